"""Memory of a bot process delivering a backlog: 100,000 due deliveries for 10,000 people.

A first process fills a SQLite database (10,000 people with an account each, and
10 due reminders each in the outbox, 100,000 rows); then, in rotated order, a
fresh process starts the bot on it (bootstrap, as ``samvaer run`` does) and
runs the outbox deliverer until every row is handed to the recording adapter
(which counts instead of keeping them), and a baseline process does the same
on a copy of the database with an empty outbox. Each reports its RSS after
start-up and its peak RSS (``getrusage``); each person's reminders must arrive
once each and in order.

    .venv/bin/python bench/outbox_memory.py [--people 10000] [--per-person 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.recording import RecordingAdapter
from bot.core.events import Direct, Outgoing, SendResult, TextMessage

REMINDER = (
    "Good morning! Time for today's check-in: how are you, from 1 (very bad) to 5 "
    "(very good)? Answer with a number, and add a few words if you like. Reminder {n}."
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class CountingAdapter(RecordingAdapter):
    """The recording adapter, keeping only what a check needs: each person's last number."""

    def __init__(self) -> None:
        super().__init__("test")
        self.count = 0
        self.last: dict[str, int] = {}
        self.out_of_order = 0
        self.repeated = 0

    async def send(self, message: Outgoing, delivery_key: str | None = None) -> SendResult:
        assert isinstance(message, TextMessage)
        assert isinstance(message.to, Direct)
        number = int(message.text.rsplit(" ", 1)[1].rstrip("."))
        last = self.last.get(message.to.user_id, -1)
        if number == last:
            self.repeated += 1
        elif number < last:
            self.out_of_order += 1
        self.last[message.to.user_id] = number
        self.count += 1
        return SendResult(ok=True)


async def fill(path: Path, people: int, per_person: int) -> None:
    from datetime import timedelta

    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from bot.core.clock import SystemClock
    from bot.core.outbox import enqueue_many
    from bot.db.engine import make_engine, upgrade
    from bot.db.models import Account, Person

    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    now = SystemClock().now()
    async with async_sessionmaker(engine)() as session:
        await session.execute(
            insert(Person), [{"id": i + 1, "created_at": now} for i in range(people)]
        )
        await session.execute(
            insert(Account),
            [
                {
                    "person_id": i + 1,
                    "platform": "test",
                    "external_id": f"user{i}",
                    "created_at": now,
                }
                for i in range(people)
            ],
        )
        batch: list[dict[str, object]] = []
        for n in range(per_person):
            for i in range(people):
                batch.append(
                    {
                        "message": TextMessage(Direct("test", f"user{i}"), REMINDER.format(n=n)),
                        "due_at": now - timedelta(minutes=1) + timedelta(microseconds=n),
                        "kind": "checkin_reminder",
                        "person_id": i + 1,
                        "dedupe_key": f"bench:{i}:{n}",
                    }
                )
                if len(batch) == 5_000:
                    await enqueue_many(session, batch, now=now)
                    batch.clear()
        if batch:
            await enqueue_many(session, batch, now=now)
        await session.commit()
    await engine.dispose()


async def deliver(path: Path) -> dict[str, float]:
    from bot.bootstrap import bootstrap
    from bot.config import parse_config

    adapter = CountingAdapter()
    config = parse_config({"database": {"url": f"sqlite+aiosqlite:///{path}"}})
    app = await bootstrap(config, adapters=[adapter])
    started_rss = current_rss_mb()
    began = time.perf_counter()
    while True:
        report = await app.deliver()
        if report.sent == 0 and report.retried == 0:
            break
    seconds = time.perf_counter() - began
    await app.close()
    return {
        "delivered": adapter.count,
        "people": len(adapter.last),
        "out_of_order": adapter.out_of_order,
        "repeated": adapter.repeated,
        "seconds": seconds,
        "rss_after_start": started_rss,
        "peak_rss": peak_rss_mb(),
    }


def child(*arguments: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, *arguments], check=True, capture_output=True, text=True
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--per-person", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--fill", help=argparse.SUPPRESS)
    parser.add_argument("--deliver", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        asyncio.run(fill(Path(args.fill), args.people, args.per_person))
        print(json.dumps({"filled": 1}))
        return
    if args.deliver:
        print(json.dumps(asyncio.run(deliver(Path(args.deliver)))))
        return

    rows = args.people * args.per_person
    print(
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{rows} due deliveries for {args.people} people (SQLite)",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        full = Path(folder) / "full.db"
        empty = Path(folder) / "empty.db"
        child("--fill", str(empty), "--people", str(args.people), "--per-person", "0")
        for round_ in range(args.rounds):
            # The outbox is filled afresh for each round (delivering marks it sent).
            full.unlink(missing_ok=True)
            child(
                "--fill",
                str(full),
                "--people",
                str(args.people),
                "--per-person",
                str(args.per_person),
            )
            order = ["backlog", "baseline"] if round_ % 2 == 0 else ["baseline", "backlog"]
            for name in order:
                figures = child("--deliver", str(full if name == "backlog" else empty))
                print(
                    f"round {round_ + 1} {name:>8}: delivered {figures['delivered']:.0f} to "
                    f"{figures['people']:.0f} people in {figures['seconds']:.1f} s "
                    f"(out of order {figures['out_of_order']:.0f}, twice "
                    f"{figures['repeated']:.0f}); RSS after start-up "
                    f"{figures['rss_after_start']:.0f} MB, peak {figures['peak_rss']:.0f} MB",
                    flush=True,
                )


if __name__ == "__main__":
    main()
