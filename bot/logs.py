"""Structured logging: one line per event, ``key=value`` pairs, no personal content."""

from __future__ import annotations

import logging
import sys
import time

SECRET_HINTS = ("token", "password", "secret")


class LineFormatter(logging.Formatter):
    """``2026-11-22T18:00:00Z INFO samvaer.outbox outbox.missed count=3``."""

    converter = staticmethod(time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ")
        message = record.getMessage()
        line = f"{stamp} {record.levelname} {record.name} {message}"
        if record.exc_info:
            line += " " + self.formatException(record.exc_info).replace("\n", " | ")
        return line


class RedactSecrets(logging.Filter):
    """Drops the values of known secrets from any log line."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            for secret in self._secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def configure_logging(level: str = "INFO", secrets: list[str] | None = None) -> None:
    """Log to stderr, one line per event."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter())
    handler.addFilter(RedactSecrets(secrets or []))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries log request bodies at DEBUG/INFO; keep them quiet.
    for noisy in ("nio", "discord", "apscheduler", "aiosqlite", "alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
