"""`checkin 4` through the real dispatcher and adapter path on SQLite.

1,000 people who consented check in; each command is one unit of work
(person lookup, dialog check, insert, low-mood rule, commit) and its answer
goes to a recording adapter. Reports commands per second and latency
percentiles, one at a time and with 20 people typing at once.

The injected clock moves GAP seconds per command, so one person's commands are
about 1,000 s apart: each one refreshes "last seen" as a daily check-in would.

    .venv/bin/python bench/checkins_dispatch.py [commands] [gap seconds, default 1]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from bot.adapters.recording import RecordingAdapter
from bot.bootstrap import bootstrap, build_registry
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.core.events import MessageIn, Room, Sender
from bot.db.engine import make_engine
from bot.db.models import Person

# The check-in feature with the core commands it relies on, not the other features.
MODULES = ("bot.commands.core", "bot.commands.privacy", "bot.commands.checkins")

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PEOPLE = 1000
CONCURRENCY = 20


def _event(user: int, text: str) -> MessageIn:
    sender = Sender("test", f"user{user}", f"User {user}")
    return MessageIn(sender, Room("test", f"dm:user{user}"), text, is_direct=True)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def main(commands: int, gap: float = 1.0) -> None:
    folder = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    adapter = RecordingAdapter("test")
    clock = FakeClock(START)
    step = timedelta(seconds=gap)
    app = await bootstrap(
        parse_config({}),
        clock=clock,
        engine=engine,
        adapters=[adapter],
        registry=build_registry(MODULES, strict=True),
    )
    for user in range(PEOPLE):  # first contact creates the person and account
        await app.handle(_event(user, "!help"))
    async with app.uow() as uow:
        await uow.session.execute(update(Person).values(consent_checkins=True))
        await uow.commit()
    adapter.sent.clear()

    latencies: list[float] = []
    began = time.perf_counter()
    for n in range(commands):
        clock.advance(step)
        start = time.perf_counter()
        await app.handle(_event(n % PEOPLE, "!checkin 4"))
        latencies.append(time.perf_counter() - start)
    sequential = time.perf_counter() - began
    assert len(adapter.sent) == commands, "every command answered"

    concurrent_latencies: list[float] = []

    async def person(worker: int) -> None:
        for n in range(worker, commands, CONCURRENCY):
            clock.advance(step)
            start = time.perf_counter()
            await app.handle(_event(n % PEOPLE, "!checkin 4 a short note"))
            concurrent_latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(person(w) for w in range(CONCURRENCY)))
    concurrent = time.perf_counter() - began
    await app.close()

    def report(label: str, values: list[float], total: float) -> None:
        print(
            f"{label}: {len(values) / total:.0f} commands/s, "
            f"p50 {statistics.median(values) * 1000:.1f} ms, "
            f"p95 {_percentile(values, 0.95) * 1000:.1f} ms, "
            f"p99 {_percentile(values, 0.99) * 1000:.1f} ms"
        )

    print(f"`checkin 4` x {commands} on SQLite, {PEOPLE} people, clock +{gap:g} s per command")
    report("one at a time      ", latencies, sequential)
    report(f"{CONCURRENCY} people at once  ", concurrent_latencies, concurrent)
    print("targets: >= 500 commands/s, p95 < 20 ms")
    print(f"python {sys.version.split()[0]}")


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 3000,
            float(sys.argv[2]) if len(sys.argv) > 2 else 1.0,
        )
    )
