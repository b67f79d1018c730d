"""10,000 daily check-in reminders due in the same minute, on SQLite.

One tick runs the reminder job (batches of 500, yielding between them) and
the outbox deliverer, which hands every reminder to a recording adapter.
Reports the wall time until all are handed over and the worst event-loop
lag, measured by a task that asks to wake every 5 ms.

    .venv/bin/python bench/checkins_reminders.py [people] [--no-freeze]

As a running bot does (bot.app.run_forever), the start-up objects are frozen
out of the collector's full passes before the tick; --no-freeze shows the
difference.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.adapters.recording import RecordingAdapter
from bot.bootstrap import bootstrap, build_registry
from bot.checkins.models import CheckinSchedule
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.db.engine import make_engine
from bot.db.models import Account, Person

# The check-in feature with the core commands it relies on, not the other features.
MODULES = ("bot.commands.core", "bot.commands.privacy", "bot.commands.checkins")

START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Copenhagen


class GcWatch:
    """Times the garbage collector's full (generation 2) passes, which pause the loop."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._began)


class LagProbe:
    """Measures how late the event loop wakes a task that sleeps 5 ms at a time."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._running = True

    async def run(self) -> None:
        while self._running:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - before - 0.005)

    def stop(self) -> None:
        self._running = False


async def populate(app, people: int) -> None:  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        session = uow.session
        ids = range(1, people + 1)
        for start in range(0, people, 2000):
            chunk = ids[start : start + 2000]
            await session.execute(
                insert(Person),
                [{"id": i, "created_at": START, "language": "da"} for i in chunk],
            )
            await session.execute(
                insert(Account),
                [
                    {
                        "person_id": i,
                        "platform": "test",
                        "external_id": f"user{i}",
                        "display_name": f"User {i}",
                        "role": 0,
                        "created_at": START,
                    }
                    for i in chunk
                ],
            )
            await session.execute(
                insert(CheckinSchedule),
                [
                    {
                        "person_id": i,
                        "weekdays": "0123456",
                        "local_time": "08:00",
                        "timezone": "Europe/Copenhagen",
                        "next_due_at": DUE,
                        "created_at": START,
                    }
                    for i in chunk
                ],
            )
        await uow.commit()


async def main(people: int) -> None:
    folder = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    clock = FakeClock(START)
    adapter = RecordingAdapter("test")
    app = await bootstrap(
        parse_config({}),
        clock=clock,
        engine=engine,
        adapters=[adapter],
        registry=build_registry(MODULES, strict=True),
    )
    await populate(app, people)
    await app.tick()  # warm up: nothing due yet
    if "--no-freeze" not in sys.argv:
        # What run_forever does after start-up.
        gc.collect()
        gc.freeze()
    clock.set(DUE + timedelta(seconds=20))
    gc_watch = GcWatch()
    gc.callbacks.append(gc_watch)
    probe = LagProbe()
    probe_task = asyncio.create_task(probe.run())
    await asyncio.sleep(0.02)
    began = time.perf_counter()
    await app.tick()
    elapsed = time.perf_counter() - began
    probe.stop()
    await probe_task
    reminders = len(adapter.sent)
    again = len(adapter.sent)
    await app.tick()
    again = len(adapter.sent) - again
    await app.close()
    print(f"people with a reminder due:     {people}")
    print(f"reminders handed to the adapter: {reminders}")
    print(f"wall time for one tick:         {elapsed:.2f} s  (target < 10 s)")
    print(f"worst event-loop lag:           {probe.worst * 1000:.1f} ms  (target < 100 ms)")
    print(f"sent again by a second tick:    {again}")
    worst_gc = max(gc_watch.pauses, default=0.0) * 1000
    print(f"full GC passes during the tick: {len(gc_watch.pauses)}, longest {worst_gc:.1f} ms")
    print(f"python {sys.version.split()[0]}")


if __name__ == "__main__":
    counts = [int(arg) for arg in sys.argv[1:] if arg.isdigit()]
    asyncio.run(main(counts[0] if counts else 10_000))
