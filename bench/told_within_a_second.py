"""How soon others are told: from the commit of a command to the adapter's send of a
message it queued for someone else.

A volunteer is told when a person who agreed to sharing writes crisis words: the
alert goes through the outbox. With the runner's "due now" wake, delivery starts as
soon as the command commits; without it, the next poll (30 s by default) would.

    .venv/bin/python bench/told_within_a_second.py [rounds, default 200]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.adapters.recording import RecordingAdapter
from bot.app import deliver_when_due
from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.core.events import Direct, MessageIn, Outgoing, Role, Room, Sender, SendResult
from bot.db.engine import make_engine

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class TimedAdapter(RecordingAdapter):
    """Notes when each message for the volunteer was handed to the platform."""

    def __init__(self) -> None:
        super().__init__("test")
        self.told = asyncio.Event()
        self.told_at = 0.0

    async def send(self, message: Outgoing) -> SendResult:
        result = await super().send(message)
        if getattr(message, "to", None) == Direct("test", "vera"):
            self.told_at = time.perf_counter()
            self.told.set()
        return result


def _event(user: str, text: str, role: Role = Role.PARTICIPANT) -> MessageIn:
    sender = Sender("test", user, user.title(), role)
    return MessageIn(sender, Room("test", f"dm:{user}"), text, is_direct=True)


async def main(rounds: int) -> None:
    folder = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    adapter = TimedAdapter()
    adapter.roles["vera"] = Role.VOLUNTEER
    clock = FakeClock(START)
    app = await bootstrap(parse_config({}), clock=clock, engine=engine, adapters=[adapter])
    runner = asyncio.create_task(deliver_when_due(app))
    await app.handle(_event("vera", "!help", Role.VOLUNTEER))
    latencies = []
    for index in range(rounds):
        user = f"person{index}"
        await app.handle(_event(user, "!checkin share on"))
        adapter.told.clear()
        await app.handle(_event(user, "I want to end my life"))
        committed = time.perf_counter()  # the command's unit of work has committed
        await asyncio.wait_for(adapter.told.wait(), timeout=10)
        latencies.append((adapter.told_at - committed) * 1000)
        clock.advance(timedelta(minutes=1))
    runner.cancel()
    await app.close()
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95)]
    print(f"alert to a volunteer, {rounds} rounds on SQLite, recording adapter:")
    print(
        f"commit to send: median {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, "
        f"max {ordered[-1]:.1f} ms (target: within a second)"
    )
    print(f"python {sys.version.split()[0]}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
