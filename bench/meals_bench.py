"""Shared meals at scale: `meal list` latency and the reminder fan-out.

Load: 1,000 meals in one week with 50 seats taken each (50,000 seats) and
50,000 pending reminders in the outbox.

- `meal list` through the real dispatcher: p50/p95 over 200 runs.
- Reminder fan-out: 100 meals (5,000 people) reach their 15-minute reminder at
  once; one tick plans tables, enqueues and hands every reminder to a
  recording adapter. Reports the wall time and the worst event-loop lag.

    .venv/bin/python bench/meals_bench.py            # SQLite and, when running, PostgreSQL
    .venv/bin/python bench/meals_bench.py sqlite
    .venv/bin/python bench/meals_bench.py sqlite --quiet-ratio   # with/without quiet hours
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bot.adapters.recording import RecordingAdapter
from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.core.events import MessageIn, Room, Sender
from bot.db.engine import make_engine, upgrade
from bot.db.models import Account, OutboxItem, Person
from bot.meals.models import Meal, MealOccurrence, MealRsvp

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MEALS = 1000
SEATS = 50
PEOPLE = 5000
FANOUT_MEALS = 100  # 100 x 50 = 5,000 reminders due at once
LIST_RUNS = 200
# Deliveries claimed per round. The deliverer decodes and marks a whole batch
# without yielding, so the batch size bounds the loop lag; 100 keeps it low.
BATCH_SIZE = int(os.environ.get("SAMVAER_BENCH_BATCH", "100"))


async def _chunks(session, table, rows, size=2000):  # type: ignore[no-untyped-def]
    for start in range(0, len(rows), size):
        await session.execute(insert(table), rows[start : start + size])


async def populate(app) -> None:  # type: ignore[no-untyped-def]
    fanout_at = START + timedelta(hours=2)
    async with app.uow() as uow:
        session = uow.session
        await _chunks(
            session,
            Person,
            [{"id": i, "created_at": START, "language": "da"} for i in range(1, PEOPLE + 1)],
        )
        await _chunks(
            session,
            Account,
            [
                {
                    "person_id": i,
                    "platform": "test",
                    "external_id": f"user{i}",
                    "display_name": f"User {i}",
                    "role": 1 if i % 25 == 0 else 0,
                    "created_at": START,
                }
                for i in range(1, PEOPLE + 1)
            ],
        )
        meals, occurrences, rsvps, outbox = [], [], [], []
        for m in range(1, MEALS + 1):
            if m <= FANOUT_MEALS:
                starts = fanout_at
            else:  # the rest spread over the days after tomorrow
                starts = START + timedelta(days=2) + timedelta(minutes=7 * (m - FANOUT_MEALS))
            meals.append(
                {
                    "id": m,
                    "code": f"m{m:04d}",
                    "title": f"Meal {m}",
                    "platform": "test",
                    "room_id": "",
                    "timezone": "Europe/Copenhagen",
                    "local_time": "18:00",
                    "first_date": starts.date().isoformat(),
                    "every_weeks": 0,
                    "minutes": 60,
                    "capacity": 60,
                    "video_kind": "jitsi",
                    "video_url": "",
                    "planned_until": starts,
                    "created_at": START,
                }
            )
            occurrences.append(
                {
                    "id": m,
                    "meal_id": m,
                    "starts_at": starts,
                    "status": "scheduled",
                    "capacity": 60,
                    "taken": SEATS,
                    "reminders_done": 0,
                    "start_announced": False,
                    "feedback_asked": False,
                }
            )
            for s in range(SEATS):
                person = (m * SEATS + s) % PEOPLE + 1
                rsvps.append(
                    {
                        "occurrence_id": m,
                        "person_id": person,
                        "status": "joined",
                        "is_volunteer": person % 25 == 0,
                        "moved_up": False,
                        "created_at": START,
                    }
                )
                outbox.append(
                    {
                        "dedupe_key": f"bench:{m}:{person}",
                        "person_id": person,
                        "kind": "meal_reminder",
                        "platform": "test",
                        "payload": {
                            "type": "TextMessage",
                            "to": {"user": "x", "platform": "test"},
                            "text": "later",
                        },
                        "due_at": START + timedelta(days=3, minutes=m),
                        "status": "pending",
                        "attempts": 0,
                        "created_at": START,
                    }
                )
        await _chunks(session, Meal, meals)
        await _chunks(session, MealOccurrence, occurrences)
        await _chunks(session, MealRsvp, rsvps)
        await _chunks(session, OutboxItem, outbox)
        if session.get_bind().dialect.name == "postgresql":
            for table in ("people", "meal_meals", "meal_occurrences"):
                await session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            await session.execute(text("ANALYZE"))
        await uow.commit()


async def bench_list(app) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    sender = Sender("test", "user77", "User 77")
    event = MessageIn(sender, Room("test", "dm:user77"), "!meal list", True)
    await app.dispatcher.handle(event)  # warm up
    timings = []
    for _ in range(LIST_RUNS):
        began = time.perf_counter()
        answers = await app.dispatcher.handle(event)
        timings.append((time.perf_counter() - began) * 1000)
        assert "Meal" in getattr(answers[0], "text", ""), answers
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


async def bench_fanout(app, adapter: RecordingAdapter) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    app.services.clock.set(START + timedelta(hours=2) - timedelta(minutes=15))
    adapter.sent.clear()
    worst = 0.0
    running = True

    async def watch() -> None:
        nonlocal worst
        while running:
            began = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - began - 0.005)

    watcher = asyncio.create_task(watch())
    began = time.perf_counter()
    await app.run_jobs()
    print(f"    jobs (tables, enqueue) {time.perf_counter() - began:.2f} s")
    await app.deliver()
    elapsed = time.perf_counter() - began
    running = False
    await watcher
    reminders = sum(1 for m in adapter.sent if "Påmindelse" in getattr(m, "text", ""))
    return elapsed, worst * 1000, reminders


async def run(backend: str, quiet: bool = True) -> None:
    schema = ""
    with tempfile.TemporaryDirectory() as folder:
        if backend == "sqlite":
            engine = make_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = make_engine(POSTGRES_URL)
            async with admin.begin() as connection:
                await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            await admin.dispose()
            engine = make_engine(POSTGRES_URL, schema=schema)
        try:
            await upgrade(engine)
            adapter = RecordingAdapter("test")
            app = await bootstrap(
                parse_config(
                    {
                        "community": {"language": "da"},
                        "scheduling": {"batch_size": BATCH_SIZE},
                        # One person lists 200 times in a row: the flood limit is not measured.
                        "safety": {"commands_per_minute": 10_000, "command_burst": 10_000},
                    }
                ),
                clock=FakeClock(START),
                engine=engine,
                adapters=[adapter],
                migrate=False,
            )
            if not quiet:  # the baseline: the outbox sends without looking at quiet hours
                app.deliverer.quiet = None
            began = time.perf_counter()
            await populate(app)
            print(
                f"[{backend}] load: {MEALS} meals, {MEALS * SEATS} seats, batch {BATCH_SIZE}, "
                f"{MEALS * SEATS} pending reminders ({time.perf_counter() - began:.1f} s)"
            )
            p50, p95 = await bench_list(app)
            print(
                f"[{backend}] meal list: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {LIST_RUNS} runs"
            )
            elapsed, lag, count = await bench_fanout(app, adapter)
            print(
                f"[{backend}] fan-out (quiet hours {'applied' if quiet else 'not applied'}): "
                f"{count} reminders handed to the adapter in {elapsed:.2f} s, "
                f"worst loop lag {lag:.0f} ms"
            )
        finally:
            await engine.dispose()
            if schema:
                admin = make_engine(POSTGRES_URL)
                async with admin.begin() as connection:
                    await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                await admin.dispose()


async def postgres_running() -> bool:
    engine = make_engine(POSTGRES_URL)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("select 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


async def main(backends: list[str], quiet_ratio: bool = False) -> None:
    for backend in backends:
        if backend == "postgres" and not await postgres_running():
            print("[postgres] not running at 127.0.0.1:5432; skipped")
            continue
        if quiet_ratio:  # with and without the quiet-hours step, in rotated order
            for quiet in (True, False, False, True):
                await run(backend, quiet)
        else:
            await run(backend)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--quiet-ratio"]
    asyncio.run(main(arguments or ["sqlite", "postgres"], "--quiet-ratio" in sys.argv))
