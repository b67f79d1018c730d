"""How fast are `admin stats 30` and `admin export 365` with a year of data?

    .venv/bin/python bench/stats_queries.py [--scale 1.0] [--backend sqlite|postgres|both]

Generates a year for a 10,000-member community with bulk inserts into the real
tables of the features that are installed (check-ins, meals; 3.6M check-ins
and 50,000 meal occurrences at --scale 1), then times the two commands end to
end through the dispatcher and prints the query plans of the main statistics
queries.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.recording import RecordingAdapter
from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.core.events import MessageIn, Role, Room, Sender
from bot.db.engine import make_engine, upgrade

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MEMBERS = 10_000
CHUNK = 20_000


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


async def insert(engine: AsyncEngine, table: str, rows: list[dict[str, Any]]) -> None:
    from bot.db.registry import all_metadata

    target = all_metadata().tables[table]
    async with engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            await connection.execute(target.insert(), rows[start : start + CHUNK])


async def generate(engine: AsyncEngine, scale: float) -> dict[str, int]:
    rng = random.Random(8)
    year_ago = NOW - timedelta(days=365)
    counts: dict[str, int] = {}
    await insert(
        engine,
        "people",
        [{"id": i, "created_at": year_ago, "language": "da"} for i in range(1, MEMBERS + 1)],
    )
    await insert(
        engine,
        "accounts",
        [
            {
                "id": i,
                "person_id": i,
                "platform": "bench",
                "external_id": f"u{i}",
                "display_name": f"U{i}",
                "role": 0,
                "created_at": year_ago,
            }
            for i in range(1, MEMBERS + 1)
        ],
    )
    counts["people"] = MEMBERS
    if has("bot.checkins.models"):
        total = int(3_600_000 * scale)
        made = 0
        while made < total:
            size = min(200_000, total - made)
            rows = [
                {
                    "person_id": rng.randint(1, MEMBERS),
                    "mood": rng.randint(1, 5),
                    "note": None,
                    "source": "checkin",
                    "created_at": year_ago + timedelta(seconds=rng.randint(0, 365 * 86400)),
                }
                for _ in range(size)
            ]
            await insert(engine, "checkin_entries", rows)
            made += size
        counts["checkin_entries"] = total
    if has("bot.meals.models"):
        occurrences = int(50_000 * scale)
        meals = max(1, occurrences // 50)
        await insert(
            engine,
            "meal_meals",
            [
                {
                    "id": m,
                    "code": f"m{m}",
                    "title": f"Meal {m}",
                    "platform": "bench",
                    "room_id": "",
                    "timezone": "Europe/Copenhagen",
                    "local_time": "18:00",
                    "first_date": "2025-11-23",
                    "every_weeks": 1,
                    "minutes": 60,
                    "capacity": 12,
                    "video_kind": "jitsi",
                    "video_url": "",
                    "planned_until": NOW,
                    "created_at": year_ago,
                }
                for m in range(1, meals + 1)
            ],
        )
        occ_rows, rsvps, feedback = [], [], []
        for o in range(1, occurrences + 1):
            starts = year_ago + timedelta(seconds=rng.randint(0, 365 * 86400))
            taken = rng.randint(0, 8)
            occ_rows.append(
                {
                    "id": o,
                    "meal_id": (o % meals) + 1,
                    "starts_at": starts + timedelta(microseconds=o),
                    "status": "scheduled" if o % 20 else "cancelled",
                    "capacity": 12,
                    "taken": taken,
                }
            )
            for person in rng.sample(range(1, MEMBERS + 1), taken):
                rsvps.append(
                    {
                        "occurrence_id": o,
                        "person_id": person,
                        "status": "joined",
                        "attended_at": starts if rng.random() < 0.7 else None,
                        "created_at": starts - timedelta(days=2),
                    }
                )
                if rng.random() < 0.3:
                    feedback.append(
                        {
                            "occurrence_id": o,
                            "person_id": person,
                            "rating": rng.randint(1, 5),
                            "comment": "",
                            "created_at": starts + timedelta(hours=2),
                        }
                    )
        await insert(engine, "meal_occurrences", occ_rows)
        await insert(engine, "meal_rsvps", rsvps)
        await insert(engine, "meal_feedback", feedback)
        counts.update(meal_occurrences=occurrences, meal_rsvps=len(rsvps))
        counts["meal_feedback"] = len(feedback)
    if engine.dialect.name == "postgresql":
        # Rows were inserted with explicit ids: move the sequences past them.
        async with engine.begin() as connection:
            for table in ("people", "accounts", "meal_meals", "meal_occurrences"):
                if table != "meal_meals" or "meal_occurrences" in counts:
                    await connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))"
                        )
                    )
    return counts


PLAN_QUERIES = {
    "check-ins in the last 30 days": (
        "SELECT created_at, person_id FROM checkin_entries "
        "WHERE created_at >= '{since}' AND created_at < '{until}'"
    ),
    "moods in the last 30 days": (
        "SELECT mood, count(*) FROM checkin_entries "
        "WHERE created_at >= '{since}' AND created_at < '{until}' GROUP BY mood"
    ),
    "meals held in the last 30 days": (
        "SELECT count(*) FROM meal_occurrences "
        "WHERE starts_at >= '{since}' AND starts_at < '{until}' AND status = 'scheduled'"
    ),
}


async def plans(engine: AsyncEngine) -> list[str]:
    since = (NOW - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
    until = NOW.strftime("%Y-%m-%d %H:%M:%S")
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    lines = []
    async with engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        for name, query in PLAN_QUERIES.items():
            table = query.split("FROM ")[1].split()[0]
            if not has({"checkin_entries": "bot.checkins.models"}.get(table, "bot.meals.models")):
                continue
            rows = await connection.execute(text(prefix + query.format(since=since, until=until)))
            lines.append(f"  {name}:")
            lines += [f"    {' '.join(str(v) for v in row)}" for row in rows.all()]
    return lines


async def timed(app: Any, line: str) -> tuple[float, int]:
    event = MessageIn(
        Sender("bench", "org", "Org", Role.ORGANISER), Room("bench", "dm:org"), line, True
    )
    started = time.perf_counter()
    answers = await app.handle(event)
    elapsed = time.perf_counter() - started
    size = sum(len(getattr(a, "content", b"")) for a in answers)
    return elapsed, size


async def run(backend: str, scale: float) -> None:
    schema = None
    if backend == "postgres":
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(POSTGRES_URL)
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
        engine = make_engine(POSTGRES_URL, schema=schema)
    else:
        path = f"/tmp/samvaer-bench-{uuid.uuid4().hex[:8]}.db"
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
        started = time.perf_counter()
        counts = await generate(engine, scale)
        print(f"[{backend}] generated {counts} in {time.perf_counter() - started:.0f} s")
        config = parse_config({"community": {"language": "en"}})
        app = await bootstrap(
            config,
            clock=FakeClock(NOW),
            engine=engine,
            adapters=[RecordingAdapter("bench")],
            migrate=False,
        )
        await timed(app, "!admin stats 1")  # warm-up: imports matplotlib, fills caches
        for line in ("!admin stats 30", "!admin export 365"):
            figures = [await timed(app, line) for _ in range(3)]
            best = min(f[0] for f in figures)
            print(f"[{backend}] {line}: best of 3 {best:.2f} s (file {figures[0][1]} bytes)")
        print(f"[{backend}] query plans:")
        print("\n".join(await plans(engine)))
    finally:
        if schema is not None:
            async with engine.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        asyncio.run(run(backend, args.scale))


if __name__ == "__main__":
    main()
