"""Matrix adapter against a local Synapse: DM fan-out rate and command round-trip latency.

Run: .venv/bin/python bench/matrix_bench.py [--messages 1000] [--people 20] [--rounds 10]
     [--repeats 3]

1. The same N reminder DMs to the same rooms three ways: a plain matrix-nio
   ``room_send`` loop (one at a time), a ``MatrixAdapter.send`` loop (one at a
   time: direct room check with the homeserver, HTML, pacing), and the whole path
   (enqueued in the outbox, delivered by ``App.deliver`` with ``[delivery]
   max_in_flight`` sends at once). Synapse warms up as it goes, so the order of
   the three rotates from one repeat to the next and each ratio is taken within
   a repeat. (bench/matrix_fanout.py compares concurrent with concurrent.)
2. A user sends ``!help`` in a DM; the time until the reply is seen, p50/p95
   (at most 10 rounds by default: the per-person command limit has a burst of 10).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nio import AsyncClient, RoomSendResponse, SyncResponse

from bot.adapters.matrix import MatrixAdapter
from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.events import Direct, TextMessage
from bot.core.outbox import enqueue_many
from tests.adapters.matrix.synapse import Synapse


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(messages: int, people: int, rounds: int, repeats: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="samvaer-matrix-bench-"))
    synapse = Synapse(workdir / "synapse")
    synapse.start()
    try:
        bot = synapse.register("samvaer")
        os.environ["SAMVAER_BENCH_MATRIX_PASSWORD"] = bot.password
        config = parse_config(
            {
                "community": {"language": "en"},
                "database": {"url": f"sqlite+aiosqlite:///{workdir / 'samvaer.db'}"},
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
        users = [synapse.register(f"person{n}") for n in range(people)]

        # DM rooms made once by the adapter; every run below writes to the same rooms.
        rooms = [await adapter.direct_room(u.user_id) for u in users]
        assert all(rooms)
        plain_client = AsyncClient(synapse.url, bot.user_id)
        plain_client.access_token = adapter.client.access_token
        plain_client.user_id = bot.user_id

        async def plain_loop() -> float:
            started = time.perf_counter()
            for n in range(messages):
                content = {"msgtype": "m.text", "body": f"Reminder {n}: shared meal at 18:00"}
                answer = await plain_client.room_send(rooms[n % people], "m.room.message", content)
                assert isinstance(answer, RoomSendResponse), answer
            return messages / (time.perf_counter() - started)

        async def adapter_loop() -> float:
            started = time.perf_counter()
            for n in range(messages):
                to = Direct("matrix", users[n % people].user_id)
                result = await adapter.send(
                    TextMessage(to, f"Reminder {n}: *shared meal* at 18:00")
                )
                assert result.ok, result
            return messages / (time.perf_counter() - started)

        async def outbox_path() -> float:
            now = app.services.clock.now()
            rows: list[dict[str, object]] = [
                {
                    "message": TextMessage(
                        Direct("matrix", users[n % people].user_id), f"Reminder {n} at 18:00"
                    ),
                    "due_at": now,
                    "kind": "bench",
                }
                for n in range(messages)
            ]
            async with app.uow() as uow:
                await enqueue_many(uow.session, rows, now=now)
                await uow.commit()
            started = time.perf_counter()
            report = await app.deliver()
            assert report.sent == messages, report
            return messages / (time.perf_counter() - started)

        for room in rooms:  # warm-up: connections, caches
            await plain_client.room_send(
                room, "m.room.message", {"msgtype": "m.text", "body": "hi"}
            )
        runs = {"plain": plain_loop, "adapter": adapter_loop, "outbox": outbox_path}
        names = list(runs)
        print(f"DM fan-out, {messages} messages to {people} DM rooms (msg/s):")
        ratios: dict[str, list[float]] = {"adapter": [], "outbox": []}
        for repeat in range(repeats):
            order = names[repeat % 3 :] + names[: repeat % 3]
            rates = {name: await runs[name]() for name in order}
            for name in ratios:
                ratios[name].append(rates[name] / rates["plain"])
            plain, through, outbox = rates["plain"], rates["adapter"], rates["outbox"]
            print(
                f"  repeat {repeat + 1} ({' → '.join(order)}): plain loop {plain:5.1f} · "
                f"adapter.send loop {through:5.1f} ({through / plain:.2f}) · "
                f"outbox, {app.deliverer.max_in_flight} in flight {outbox:5.1f} "
                f"({outbox / plain:.2f})",
                flush=True,
            )
        for name, values in ratios.items():
            print(f"  {name} / plain loop: {min(values):.2f}–{max(values):.2f}")

        # Round trip: a person types !help in a DM and waits for the answer.
        person = users[0]
        client = AsyncClient(synapse.url, person.user_id, device_id=person.device_id)
        client.access_token = person.access_token
        first = await client.sync(timeout=0)
        assert isinstance(first, SyncResponse)
        await client.join(rooms[0])
        latencies = []
        for _ in range(rounds):
            asked = await client.room_send(
                rooms[0], "m.room.message", {"msgtype": "m.text", "body": "!help"}
            )
            assert isinstance(asked, RoomSendResponse)
            started = time.perf_counter()
            seen = False
            while not seen:
                answer = await client.sync(timeout=5000)
                assert isinstance(answer, SyncResponse)
                room = answer.rooms.join.get(rooms[0])
                for event in room.timeline.events if room else []:
                    relates = event.source.get("content", {}).get("m.relates_to", {})
                    if relates.get("m.in_reply_to", {}).get("event_id") == asked.event_id:
                        seen = True
            latencies.append((time.perf_counter() - started) * 1000)
        print(f"Command round trip (!help → reply seen), {rounds} rounds:")
        print(
            f"  p50 {statistics.median(latencies):.0f} ms · "
            f"p95 {percentile(latencies, 0.95):.0f} ms · max {max(latencies):.0f} ms"
        )
        await client.close()
        await plain_client.close()
        await app.close()
        await runner
    finally:
        synapse.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.people, args.rounds, args.repeats))
