"""Check-in reminders to many people on a local Synapse, against plain matrix-nio.

Run: .venv/bin/python bench/matrix_fanout.py [--people 1000] [--rounds 2] [--ten-thousand]

The homeserver is the one the tests start (tests/adapters/matrix/synapse.py: SQLite,
loopback, rate limits lifted). The bot's DM rooms with ``--people`` accounts are made
once; then, in rounds whose order alternates (Synapse warms up as it goes, so
whichever runs first is handicapped):

- **plain**: one text per room with ten ``room_send`` calls in flight at once, the
  fastest a plain nio client sends (the baseline);
- **reminders**: one check-in reminder per person, a choice prompt with five
  options, enqueued in the outbox and delivered by ``App.deliver`` through
  ``MatrixAdapter.send`` (direct room check, the poll, the prompt remembered)
  with ``[delivery] max_in_flight`` (default 10).

Before the rounds, one reminder per person is delivered and timed on its own:
the first use of each direct room after a start, when the adapter asks the
homeserver once whether the room is private (later sends trust the live sync
until the room's state changes).

The ratio reminders / plain is reported per round. ``--ten-thousand`` then
delivers 10,000 reminders (ten per person) through the same path and reports
the time. ``--sequential`` adds a round with one send in flight, as before the
outbox sent several at once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nio import (
    AsyncClient,
    AsyncClientConfig,
    RoomCreateResponse,
    RoomPreset,
    RoomSendResponse,
)

from bot.adapters.matrix import MatrixAdapter
from bot.app import App
from bot.bootstrap import bootstrap
from bot.checkins.render import mood_prompt
from bot.config import parse_config
from bot.core.events import Direct
from bot.core.outbox import enqueue_many
from tests.adapters.matrix.synapse import Account, Synapse

IN_FLIGHT = 10


async def _gather_bounded(count: int, limit: int, work: Any) -> None:
    """Run ``work(n)`` for n in range(count), ``limit`` at a time."""
    numbers = iter(range(count))

    async def worker() -> None:
        for n in numbers:
            await work(n)

    await asyncio.gather(*(worker() for _ in range(limit)))


async def _synced_all(adapter: MatrixAdapter, rooms: list[str]) -> None:
    """Wait (polling; the bench has no event for it) until the adapter has synced every room."""
    while True:
        if set(rooms) <= set(adapter.client.rooms):
            return
        await asyncio.sleep(0.1)


async def plain_round(client: AsyncClient, rooms: list[str], label: str) -> float:
    async def one(n: int) -> None:
        content = {"msgtype": "m.text", "body": f"How are you today? ({label} {n})"}
        answer = await client.room_send(rooms[n], "m.room.message", content)
        assert isinstance(answer, RoomSendResponse), answer

    started = time.perf_counter()
    await _gather_bounded(len(rooms), IN_FLIGHT, one)
    return len(rooms) / (time.perf_counter() - started)


class StateChecks:
    """Counts the adapter's questions to the homeserver about a room's full state."""

    def __init__(self, adapter: MatrixAdapter) -> None:
        self.count = 0
        original = adapter.client.room_get_state

        async def counted(room_id: str) -> Any:
            self.count += 1
            return await original(room_id)

        adapter.client.room_get_state = counted  # type: ignore[method-assign]


async def reminder_round(app: App, people: list[Account], per_person: int = 1) -> float:
    now = app.services.clock.now()
    text = app.services.translator.text("en", "checkin.ask")
    rows: list[dict[str, object]] = [
        {
            "message": mood_prompt(app.services, Direct("matrix", person.user_id), "en", text),
            "due_at": now,
            "kind": "checkins.reminder",
        }
        for _ in range(per_person)
        for person in people
    ]
    async with app.uow() as uow:
        await enqueue_many(uow.session, rows, now=now)
        await uow.commit()
    started = time.perf_counter()
    report = await app.deliver()
    elapsed = time.perf_counter() - started
    assert report.sent == len(rows), report
    return len(rows) / elapsed


async def main(people_count: int, rounds: int, ten_thousand: bool, sequential: bool) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="samvaer-matrix-fanout-"))
    synapse = Synapse(workdir / "synapse")
    synapse.start()
    try:
        bot = synapse.register("samvaer")
        os.environ["SAMVAER_BENCH_MATRIX_PASSWORD"] = bot.password
        config = parse_config(
            {
                "community": {"language": "en"},
                "database": {"url": f"sqlite+aiosqlite:///{workdir / 'samvaer.db'}"},
                "delivery": {"max_in_flight": IN_FLIGHT},
                "matrix": {
                    "homeserver": synapse.url,
                    "user_id": bot.user_id,
                    "password_env": "SAMVAER_BENCH_MATRIX_PASSWORD",
                    "store_path": str(workdir / "store"),
                },
            }
        )
        adapter = MatrixAdapter(config)
        app = await bootstrap(config, adapters=[adapter])
        await adapter.connect()
        runner = asyncio.create_task(adapter.start(app.on_event))
        await adapter.synced.wait()

        started = time.perf_counter()
        people = [synapse.register(f"person{n}") for n in range(people_count)]
        rooms: list[str] = [""] * people_count
        plain_client = AsyncClient(
            synapse.url, bot.user_id, config=AsyncClientConfig(max_limit_exceeded=0)
        )
        plain_client.access_token = adapter.client.access_token
        plain_client.user_id = bot.user_id

        async def make_room(n: int) -> None:
            # The direct chat the adapter would open (made here without its m.direct
            # bookkeeping, which only slows the set-up); the adapter still checks it
            # with the homeserver before its first reminder.
            made = await plain_client.room_create(
                is_direct=True, preset=RoomPreset.trusted_private_chat, invite=[people[n].user_id]
            )
            assert isinstance(made, RoomCreateResponse), made
            rooms[n] = made.room_id
            adapter.state.directs[people[n].user_id] = made.room_id

        await _gather_bounded(people_count, IN_FLIGHT, make_room)
        # As in a running community, the rooms exist before reminders go out: wait
        # until the bot's own sync has seen them all.
        await _synced_all(adapter, rooms)
        seconds = time.perf_counter() - started
        print(f"Set-up: {people_count} accounts and DM rooms in {seconds:.0f} s", flush=True)
        await plain_round(plain_client, rooms[: min(50, people_count)], "warm-up")

        checks = StateChecks(adapter)
        first_use = await reminder_round(app, people)
        print(
            f"First reminders after the start (each room checked once): {first_use:6.1f}/s, "
            f"{checks.count} room-state checks",
            flush=True,
        )
        checks.count = 0
        print(
            f"Check-in reminders to {people_count} people vs ten concurrent plain nio sends "
            f"(max_in_flight {IN_FLIGHT}):"
        )
        ratios = []
        for number in range(rounds):
            order = ("plain", "reminders") if number % 2 == 0 else ("reminders", "plain")
            rates: dict[str, float] = {}
            for kind in order:
                if kind == "plain":
                    rates[kind] = await plain_round(plain_client, rooms, f"round {number}")
                else:
                    rates[kind] = await reminder_round(app, people)
            ratio = rates["reminders"] / rates["plain"]
            ratios.append(ratio)
            print(
                f"  round {number + 1} ({' then '.join(order)}): plain {rates['plain']:6.1f}/s · "
                f"reminders {rates['reminders']:6.1f}/s · ratio {ratio:.2f}",
                flush=True,
            )
        print(f"  mean ratio {sum(ratios) / len(ratios):.2f} (target ≥ 0.90)")
        print(f"  room-state checks during the rounds: {checks.count}")

        if sequential:
            app.deliverer.max_in_flight = 1
            rate = await reminder_round(app, people)
            print(f"  one in flight (as before): {rate:6.1f}/s", flush=True)
            app.deliverer.max_in_flight = IN_FLIGHT

        if ten_thousand:
            per_person = max(1, 10_000 // people_count)
            total = per_person * people_count
            started = time.perf_counter()
            rate = await reminder_round(app, people, per_person)
            elapsed = time.perf_counter() - started
            print(
                f"{total} reminders ({per_person} per person) delivered in {elapsed:.0f} s "
                f"({rate:.1f}/s; target < 300 s)",
                flush=True,
            )
        print(f"Sync state written {adapter._saver.writes} times during the run")

        await plain_client.close()
        await app.close()
        await runner
    finally:
        synapse.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ten-thousand", action="store_true")
    parser.add_argument("--sequential", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.people, args.rounds, args.ten_thousand, args.sequential))
