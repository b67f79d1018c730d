"""How fast are `admin stats 30` and `admin export 365` with a year of data?

    .venv/bin/python bench/stats_queries.py [--scale 1.0] [--backend sqlite|postgres|both] [--keep]

With --keep the data stays (PostgreSQL schema bench_stats, /tmp/samvaer-bench-stats.db)
and the next run with --keep times it again instead of generating it anew.

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
from pathlib import Path
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


async def insert_checkins(
    engine: AsyncEngine, rng: random.Random, year_ago: datetime, total: int
) -> None:
    """Check-ins in arrival order (as they accumulate in a year), through the driver's bulk path.

    PostgreSQL gets COPY and SQLite the driver's executemany, because building
    millions of rows through SQLAlchemy takes longer than the measurement itself.
    """
    seconds = sorted(rng.randrange(365 * 86400 * 1000) for _ in range(total))
    columns = ("person_id", "mood", "note", "source", "created_at")
    for start in range(0, total, 500_000):
        rows = [
            (
                rng.randint(1, MEMBERS),
                rng.randint(1, 5),
                None,
                "checkin",
                year_ago + timedelta(milliseconds=ms),
            )
            for ms in seconds[start : start + 500_000]
        ]
        async with engine.begin() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            if engine.dialect.name == "postgresql":
                await raw.copy_records_to_table("checkin_entries", records=rows, columns=columns)
            else:
                # SQLite holds UTC as naive text in SQLAlchemy's format.
                text_rows = [
                    (*row[:4], row[4].replace(tzinfo=None).isoformat(" ", "microseconds"))
                    for row in rows
                ]
                await raw.executemany(
                    "INSERT INTO checkin_entries (person_id, mood, note, source, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    text_rows,
                )


async def insert_buddies(
    engine: AsyncEngine, rng: random.Random, year_ago: datetime, pairings: int
) -> dict[str, int]:
    """A pool of participants and volunteers, and a year of pairings, most of them ended."""
    profiles = [
        {
            "person_id": i,
            "role": "participant" if i % 3 else "volunteer",
            "languages": ["da"],
            "interests": [],
            "contact": ["text"],
            "times": [],
            "kind": "any",
            "about": "",
            "capacity": 1 if i % 3 else 3,
            "seeking": i % 5 != 0,
            "paused": False,
            "waiting_since": year_ago + timedelta(days=rng.randint(0, 364)),
            "created_at": year_ago,
            "updated_at": year_ago,
        }
        for i in range(1, MEMBERS + 1)
    ]
    await insert(engine, "buddy_profiles", profiles)
    pairs = []
    for p in range(1, pairings + 1):
        proposed = year_ago + timedelta(seconds=rng.randint(0, 364 * 86400))
        status = rng.choice(("ended", "ended", "ended", "active", "declined", "proposed"))
        matched = proposed + timedelta(days=1) if status in ("ended", "active") else None
        ended = (
            matched + timedelta(days=rng.randint(1, 60))
            if status == "ended" and matched is not None
            else None
        )
        pairs.append(
            {
                "id": p,
                "participant_id": rng.randint(1, MEMBERS),
                "partner_id": rng.randint(1, MEMBERS),
                "kind": "volunteer",
                "status": status,
                "shared": {},
                "score": 1.0,
                "waited_days": rng.random() * 30,
                "proposed_at": proposed,
                "expires_at": proposed + timedelta(days=3),
                "matched_at": matched,
                "ended_at": ended,
                "followup_round": 0,
            }
        )
    await insert(engine, "buddy_pairs", pairs)
    return {"buddy_profiles": MEMBERS, "buddy_pairs": pairings}


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
        await insert_checkins(engine, rng, year_ago, total)
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
    if has("bot.buddies.models"):
        counts.update(await insert_buddies(engine, rng, year_ago, int(20_000 * scale)))
    if engine.dialect.name == "postgresql":
        # Rows were inserted with explicit ids: move the sequences past them.
        async with engine.begin() as connection:
            for table in ("people", "accounts", "meal_meals", "meal_occurrences", "buddy_pairs"):
                if (
                    table in counts
                    or table == "accounts"
                    or (table == "meal_meals" and "meal_occurrences" in counts)
                ):
                    await connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))"
                        )
                    )
    return counts


MOOD_SUMS = ", ".join(f"sum(CASE WHEN mood = {m} THEN 1 ELSE 0 END)" for m in range(1, 6))
WEEK = {
    "sqlite": "CAST((julianday(created_at) - 2440591.5) / 7 AS INTEGER)",
    "postgresql": "date_trunc('week', timezone('UTC', created_at))",
}
# The statements the providers run (bot/checkins/stats.py, bot/meals/stats.py).
PLAN_QUERIES = {
    "check-ins per week and mood, last 30 days": (
        "SELECT {week} AS week, count(*), count(DISTINCT person_id), " + MOOD_SUMS + " "
        "FROM checkin_entries WHERE created_at >= '{since}' AND created_at < '{until}' "
        "GROUP BY week ORDER BY week"
    ),
    "meals held in the last 30 days": (
        "SELECT count(*), sum(taken), sum(capacity) FROM meal_occurrences "
        "WHERE starts_at >= '{since}' AND starts_at < '{until}' AND status = 'scheduled' "
        "AND taken > 0"
    ),
    "meal attendance in the last 30 days": (
        "SELECT count(r.attended_at) FROM meal_rsvps r JOIN meal_occurrences o "
        "ON o.id = r.occurrence_id WHERE o.starts_at >= '{since}' AND o.starts_at < '{until}' "
        "AND o.status = 'scheduled'"
    ),
    "buddy pairs proposed or active": (
        "SELECT participant_id FROM buddy_pairs WHERE status IN ('proposed', 'active')"
    ),
}
TABLE_MODULES = {
    "checkin_entries": "bot.checkins.models",
    "meal_occurrences": "bot.meals.models",
    "meal_rsvps": "bot.meals.models",
    "buddy_pairs": "bot.buddies.models",
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
            if not has(TABLE_MODULES[table]):
                continue
            sql = query.format(since=since, until=until, week=WEEK[engine.dialect.name])
            rows = await connection.execute(text(prefix + sql))
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


async def run(backend: str, scale: float, keep: bool = False) -> None:
    schema = None
    fresh = True
    if backend == "postgres":
        schema = "bench_stats" if keep else f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(POSTGRES_URL)
        async with admin.begin() as connection:
            exists = await connection.scalar(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = :name"), {"name": schema}
            )
            fresh = not exists
            if fresh:
                await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
        engine = make_engine(POSTGRES_URL, schema=schema)
    else:
        name = "stats" if keep else uuid.uuid4().hex[:8]
        path = Path(f"/tmp/samvaer-bench-{name}.db")
        fresh = not await asyncio.to_thread(path.exists)
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        if fresh:
            await upgrade(engine)
            started = time.perf_counter()
            counts = await generate(engine, scale)
            print(f"[{backend}] generated {counts} in {time.perf_counter() - started:.0f} s")
        else:
            print(f"[{backend}] reusing the data kept by an earlier --keep run")
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
        if schema is not None and not keep:
            async with engine.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()
        if backend == "sqlite" and not keep:
            for suffix in ("", "-wal", "-shm"):
                await asyncio.to_thread(Path(f"{path}{suffix}").unlink, missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--keep", action="store_true", help="keep the data for the next run")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        asyncio.run(run(backend, args.scale, args.keep))


if __name__ == "__main__":
    main()
