"""Structured logging: one line per event, ``key=value`` pairs, no personal content.

Every line is redacted as a whole, after the exception text and stack are added,
so a secret that reaches a traceback (an error message naming a URL with a
password, a token in a request) is hidden as well as one in the message.
"""

from __future__ import annotations

import logging
import sys
import time
from urllib.parse import quote

SECRET_HINTS = ("token", "password", "secret")
MIN_SECRET_LENGTH = 6
MASK = "***"


class LineFormatter(logging.Formatter):
    """``2026-11-22T18:00:00Z INFO samvaer.outbox outbox.missed count=3``.

    ``secrets`` are replaced by ``***`` in the finished line (message, exception
    and stack alike); more can be added while running with :func:`add_secret`.
    """

    converter = staticmethod(time.gmtime)

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self._secrets: list[str] = []
        for secret in secrets or []:
            self.add_secret(secret)

    def add_secret(self, secret: str) -> None:
        """Hide ``secret`` (and its URL-encoded spelling) from every later line."""
        if len(secret) < MIN_SECRET_LENGTH:
            return
        for form in (secret, quote(secret, safe="")):
            if form not in self._secrets:
                self._secrets.append(form)
        # Longest first, so a secret containing another is hidden whole.
        self._secrets.sort(key=len, reverse=True)

    def redact(self, line: str) -> str:
        for secret in self._secrets:
            line = line.replace(secret, MASK)
        return line

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ")
        line = f"{stamp} {record.levelname} {record.name} {record.getMessage()}"
        if record.exc_info:
            line += " " + self.formatException(record.exc_info).replace("\n", " | ")
        elif record.exc_text:
            line += " " + record.exc_text.replace("\n", " | ")
        if record.stack_info:
            line += " " + self.formatStack(record.stack_info).replace("\n", " | ")
        return self.redact(line)


def add_secret(secret: str) -> None:
    """Hide ``secret`` from every log line from now on (e.g. a session token got at login).

    Applies to the handlers :func:`configure_logging` installed; without them
    nothing is logged by this process's format anyway.
    """
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, LineFormatter):
            handler.formatter.add_secret(secret)


def configure_logging(level: str = "INFO", secrets: list[str] | None = None) -> None:
    """Log to stderr, one line per event, with ``secrets`` hidden."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries log request bodies at DEBUG/INFO; keep them quiet.
    for noisy in ("nio", "discord", "apscheduler", "aiosqlite", "alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
