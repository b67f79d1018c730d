"""Reliability and scale figures (issue: reliability and scale).

    .venv/bin/python bench/reliability.py backlog          # 100,000 pending deliveries
    .venv/bin/python bench/reliability.py throughput N     # N processes (1: SQLite too)

backlog: the outbox holds 100,000 pending deliveries (90,000 due later, 10,000
due in the same minute). Reports the time from start to the first answered
command, the process's peak RSS, and the lateness of the 10,000 due ones
(handed to a recording adapter minus their due time), p50/p99.

throughput: each process dispatches `help`-style commands (`checkin 4` with
consent) from its own 1,000 people through the real dispatcher into a
PostgreSQL database shared by all processes; reports commands/s per process
and in total, and p95 latency.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from bot.adapters.recording import RecordingAdapter
from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.clock import SystemClock
from bot.core.events import Direct, MessageIn, Room, Sender, TextMessage
from bot.core.outbox import enqueue_many
from bot.db.engine import make_engine, upgrade

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SCHEMA = "bench_reliability"
UNLIMITED = {"commands_per_minute": 10_000, "command_burst": 10_000}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def backlog() -> None:
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite+aiosqlite:///{folder / 'backlog.db'}"
    engine = make_engine(url)
    await upgrade(engine)
    clock = SystemClock()
    now = clock.now()
    minute = now + timedelta(seconds=20)
    due = {i: minute + timedelta(milliseconds=6 * i) for i in range(10_000)}  # across a minute
    rows = [
        {
            "message": TextMessage(Direct("test", f"user{i}"), f"reminder {i}"),
            "due_at": due[i] if i < 10_000 else now + timedelta(days=1, seconds=i),
            "kind": "reminder",
            "dedupe_key": f"r:{i}",
        }
        for i in range(100_000)
    ]
    from sqlalchemy.ext.asyncio import async_sessionmaker

    async with async_sessionmaker(engine)() as session:
        for start in range(0, len(rows), 5_000):
            await enqueue_many(session, rows[start : start + 5_000], now=now)
        await session.commit()
    await engine.dispose()
    del rows
    # A fresh process would start here: measure start-up to the first answer.
    began = time.perf_counter()
    adapter = RecordingAdapter("test")
    app = await bootstrap(parse_config({}), engine=make_engine(url), adapters=[adapter])
    event = MessageIn(Sender("test", "u", "U"), Room("test", "dm:u"), "!help", True)
    await app.handle(event)
    ready = time.perf_counter() - began
    handed: dict[str, float] = {}
    original = adapter.send

    async def timed(message):  # type: ignore[no-untyped-def]
        result = await original(message)
        handed[message.to.user_id] = time.time()
        return result

    adapter.send = timed  # type: ignore[method-assign]
    while len(handed) < 10_000:
        await app.tick()
        await asyncio.sleep(0.2)  # a running bot wakes at the next due time; poll finely
    late = [handed[f"user{i}"] - due[i].timestamp() for i in range(10_000)]
    print(f"start-up to first answer with 100,000 pending: {ready:.2f} s")
    print(f"peak RSS: {_rss_mb():.0f} MB")
    print(
        f"lateness of 10,000 due in the same minute: p50 {statistics.median(late):.2f} s, "
        f"p99 {_percentile(late, 0.99):.2f} s, max {max(late):.2f} s"
    )
    await app.close()


def _dispatch_worker(url: str, worker: int, commands: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    async def run() -> None:
        config = parse_config({"safety": UNLIMITED})
        adapter = RecordingAdapter("test")
        engine = make_engine(url, schema=SCHEMA if url.startswith("postgresql") else None)
        app = await bootstrap(config, engine=engine, adapters=[adapter], migrate=False)
        people = 1000
        for person in range(people):  # consent once, outside the measurement
            sender = Sender("test", f"w{worker}p{person}", "P")
            await app.dispatcher.handle(
                MessageIn(
                    sender, Room("test", f"dm:{sender.user_id}"), "!consent checkins on", True
                )
            )
        latencies = []
        began = time.perf_counter()
        for n in range(commands):
            sender = Sender("test", f"w{worker}p{n % people}", "P")
            event = MessageIn(sender, Room("test", f"dm:{sender.user_id}"), "!checkin 4", True)
            start = time.perf_counter()
            await app.dispatcher.handle(event)
            latencies.append(time.perf_counter() - start)
        elapsed = time.perf_counter() - began
        await app.close()
        queue.put((commands / elapsed, _percentile(latencies, 0.95) * 1000))

    asyncio.run(run())


async def _prepare(url: str) -> None:
    if url.startswith("postgresql"):
        admin = make_engine(url)
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            await connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        await admin.dispose()
    engine = make_engine(url, schema=SCHEMA if url.startswith("postgresql") else None)
    await upgrade(engine)
    await engine.dispose()


def throughput(processes: int, url: str, commands: int = 2000) -> None:
    asyncio.run(_prepare(url))
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    workers = [
        multiprocessing.Process(target=_dispatch_worker, args=(url, w, commands, queue))
        for w in range(processes)
    ]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=900) for _ in workers]
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - began
    total = sum(rate for rate, _ in results)
    kind = url.split(":")[0]
    print(
        f"{kind}, {processes} process(es): total {total:.0f} commands/s "
        f"(per process {', '.join(f'{r:.0f}' for r, _ in results)}), "
        f"p95 {max(p for _, p in results):.1f} ms, wall {wall:.1f} s incl. set-up"
    )


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "backlog"
    if mode == "backlog":
        asyncio.run(backlog())
    else:
        count = int(sys.argv[2]) if len(sys.argv) > 2 else 1
        if count == 1:
            sqlite = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'tp.db'}"
            throughput(1, sqlite)
        throughput(count, POSTGRES)
