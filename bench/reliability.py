"""Reliability and scale figures (issue: reliability and scale).

    .venv/bin/python bench/reliability.py backlog          # 100,000 pending deliveries
    .venv/bin/python bench/reliability.py throughput N     # N processes (1: SQLite too)

backlog: the outbox holds 100,000 pending deliveries (90,000 due later, 10,000
due in the same minute). Reports the time from start to the first answered
command, the process's peak RSS, and the lateness of the 10,000 due ones
(handed to a recording adapter minus their due time), p50/p99.

throughput: each process sends `checkin 4` (with consent) from its own 1,000
people through App.handle (dispatcher, unit of work, answer handed to a
recording adapter), one command at a time, into one database shared by all
processes. The processes get ready, then all measure over the same 10 s
window. Reports commands/s in total and per process, p95 latency, and the CPU
time per command of the bot processes and of the PostgreSQL server, which
bounds what any number of processes can reach on the machine's cores.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
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


def _dispatch_worker(
    url: str,
    worker: int,
    seconds: float,
    ready: multiprocessing.Queue,  # type: ignore[type-arg]
    go: multiprocessing.Event,  # type: ignore[valid-type]
    finished: multiprocessing.Event,  # type: ignore[valid-type]
    results: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:
    async def run() -> None:
        config = parse_config({"safety": UNLIMITED})
        adapter = RecordingAdapter("test")
        engine = make_engine(url, schema=SCHEMA if url.startswith("postgresql") else None)
        app = await bootstrap(config, engine=engine, adapters=[adapter], migrate=False)
        people = 1000
        for person in range(people):  # consent once, outside the measurement
            sender = Sender("test", f"w{worker}p{person}", "P")
            await app.handle(
                MessageIn(
                    sender, Room("test", f"dm:{sender.user_id}"), "!consent checkins on", True
                )
            )
        adapter.sent.clear()
        ready.put(worker)
        go.wait()  # every process starts measuring at the same moment
        latencies = []
        cpu_began = time.process_time()
        began = time.perf_counter()
        deadline = began + seconds
        n = 0
        while time.perf_counter() < deadline:
            sender = Sender("test", f"w{worker}p{n % people}", "P")
            event = MessageIn(sender, Room("test", f"dm:{sender.user_id}"), "!checkin 4", True)
            start = time.perf_counter()
            await app.handle(event)  # dispatched, stored, answer handed to the adapter
            latencies.append(time.perf_counter() - start)
            n += 1
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu_began
        assert len(adapter.sent) == n, "every command answered"
        results.put((n, elapsed, _percentile(latencies, 0.95) * 1000, cpu))
        finished.wait()  # connections stay open until the server's CPU is read
        await app.close()

    asyncio.run(run())


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL server process (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() not in ("postgres", "postmaster"):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return used


def _postgres_cpu_since(before: dict[int, float]) -> float:
    now = _postgres_cpu()
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())


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


def throughput(processes: int, url: str, seconds: float = 10.0) -> None:
    asyncio.run(_prepare(url))
    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    go = multiprocessing.Event()
    finished = multiprocessing.Event()
    workers = [
        multiprocessing.Process(
            target=_dispatch_worker, args=(url, w, seconds, ready, go, finished, results)
        )
        for w in range(processes)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=900)
    server_before = _postgres_cpu()
    go.set()
    measured = [results.get(timeout=900) for _ in workers]
    server_cpu = _postgres_cpu_since(server_before)
    finished.set()
    for worker in workers:
        worker.join()
    commands = sum(n for n, _, _, _ in measured)
    window = max(elapsed for _, elapsed, _, _ in measured)
    bot_cpu = sum(cpu for _, _, _, cpu in measured)
    kind = url.split(":")[0]
    print(
        f"{kind}, {processes} process(es), {seconds:g} s: {commands / window:.0f} commands/s "
        f"(per process {', '.join(f'{n / e:.0f}' for n, e, _, _ in measured)}), "
        f"p95 {max(p for _, _, p, _ in measured):.1f} ms; CPU per command: "
        f"bot {bot_cpu / commands * 1000:.2f} ms"
        + (
            f", PostgreSQL {server_cpu / commands * 1000:.2f} ms"
            if kind.startswith("postgres")
            else ""
        )
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
