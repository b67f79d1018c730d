"""A bot process for fault tests: delivers the outbox to a file that plays the platform.

    python -m tests.fault.worker --url URL --record FILE [--schema S] [--offset-seconds N]

The file gets one line per message the "platform" accepted: ``<delivery key> <user>``.
Like a Matrix homeserver with transaction ids, the platform ignores a re-send of a
key it has already accepted unless ``--no-dedupe`` is given (then every attempt is
written, to prove no process sent anything twice).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.clock import SystemClock
from bot.core.events import Direct, Outgoing, SendResult
from bot.core.outbox import CLAIMED, PENDING
from bot.core.registry import CommandRegistry
from bot.db.engine import make_engine
from bot.db.models import OutboxItem


class OffsetClock(SystemClock):
    """The system clock moved by a fixed offset: a restart "later" without waiting."""

    def __init__(self, offset: timedelta) -> None:
        self._offset = offset

    def now(self) -> datetime:
        return super().now() + self._offset


class FilePlatform:
    platform = "test"

    def __init__(self, path: Path, dedupe: bool, delay: float) -> None:
        self._file = path.open("a", encoding="utf-8")
        self._dedupe = dedupe
        self._delay = delay
        self._seen = (
            {line.split()[0] for line in path.read_text(encoding="utf-8").splitlines()}
            if dedupe and path.exists()
            else set()
        )

    async def start(self, on_event: object) -> None:
        return None

    async def stop(self) -> None:
        self._file.close()

    async def send(self, message: Outgoing, delivery_key: str | None = None) -> SendResult:
        if self._delay:
            await asyncio.sleep(self._delay)  # the platform's network latency
        key = delivery_key or ""
        if self._dedupe and key in self._seen:
            return SendResult(ok=True)
        self._seen.add(key)
        user = message.to.user_id if isinstance(message.to, Direct) else "?"  # type: ignore[union-attr]
        self._file.write(f"{key} {user} {os.getpid()}\n")
        self._file.flush()
        return SendResult(ok=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--schema", default=None)
    parser.add_argument("--record", required=True)
    parser.add_argument("--offset-seconds", type=float, default=0)
    parser.add_argument("--delay-ms", type=float, default=0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--no-dedupe", action="store_true")
    args = parser.parse_args()
    config = parse_config(
        {"scheduling": {"claim_lease": "60s", "batch_size": args.batch, "grace": "2h"}}
    )
    platform = FilePlatform(Path(args.record), not args.no_dedupe, args.delay_ms / 1000)
    app = await bootstrap(
        config,
        clock=OffsetClock(timedelta(seconds=args.offset_seconds)),
        engine=make_engine(args.url, schema=args.schema),
        adapters=[platform],  # type: ignore[list-item]
        migrate=False,
        registry=CommandRegistry(),
    )
    try:
        while True:
            await app.deliver()
            async with app.uow() as uow:
                left = await uow.session.execute(
                    select(func.count()).where(OutboxItem.status.in_([PENDING, CLAIMED]))
                )
                if left.scalar_one() == 0:
                    return
            await asyncio.sleep(0.02)  # others hold the rest; poll as the bot does
    finally:
        await app.close()


if __name__ == "__main__":
    asyncio.run(main())
