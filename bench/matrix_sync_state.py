"""Event-loop time the Matrix adapter spends on one incoming event, by the size of its state.

Run: .venv/bin/python bench/matrix_sync_state.py [--events 300] [--sizes 10,1000,10000]

For a bot with N direct rooms (N people, N prompts remembered up to the 500 kept,
2,000 handled event ids), one incoming message is put through the adapter's own
``_on_room_event`` (dedupe, translation, the state marked changed, the handler
called) with a handler that does nothing, so what is timed is the adapter's part.

- **now**: the state is only marked changed; it is written at most once a second,
  off the loop. The loop's share of that write (the snapshot) is timed apart, per
  write, and so is the worker thread's encoding and renaming.
- **before**: the same, plus the whole file written on the loop for every event,
  as the adapter did before (``json.dump`` to a temporary file, then renamed).

The two alternate, in rounds, and the sizes run one after another.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nio import MatrixRoom, RoomMessageText

from bot.adapters.matrix import MatrixAdapter
from bot.adapters.matrix_rules import PendingPrompt
from bot.config import parse_config
from bot.core.events import Incoming, Option
from bot.files import open_private

BOT = "@samvaer:example.org"
OPTIONS = tuple(Option(f"{n} · mood", f"checkin {n}") for n in range(1, 6))


def _adapter(directory: Path, rooms: int) -> MatrixAdapter:
    config = parse_config(
        {
            "matrix": {
                "homeserver": "http://127.0.0.1:1",
                "user_id": BOT,
                "password_env": "SAMVAER_UNUSED_PASSWORD",
                "store_path": str(directory),
            }
        }
    )
    adapter = MatrixAdapter(config)
    adapter.client.user_id = BOT
    state = adapter.state
    for n in range(rooms):
        user, room_id = f"@person{n}:example.org", f"!dm{n:05d}abcdefghij:example.org"
        state.directs[user] = room_id
        state.remember_prompt(
            room_id, f"$prompt{n:05d}abcdefghijklmnopqrstuvw", PendingPrompt(OPTIONS, user)
        )
    for n in range(2000):
        state.mark_seen(f"$seen{n:06d}abcdefghijklmnopqrstuvwxyz0123")
    state.next_batch = "s123456_789012_3456_78901_234_56_7890_12_3456"
    return adapter


def _message(n: int, sender: str) -> RoomMessageText:
    event = RoomMessageText.from_dict(
        {
            "type": "m.room.message",
            "event_id": f"$incoming{n:08d}abcdefghijklmnopqrstu",
            "sender": sender,
            "origin_server_ts": 1,
            "content": {"msgtype": "m.text", "body": "hello, how are you"},
        }
    )
    assert isinstance(event, RoomMessageText)
    return event


HANDLED: list[Incoming] = []


async def _handler(event: Incoming) -> None:
    HANDLED.append(event)


def _write_as_before(adapter: MatrixAdapter) -> None:
    """What the adapter did on the loop for every event before: the whole file, at once."""
    directory = adapter._store.directory
    target, temporary = directory / "sync.json", directory / "sync.tmp"
    with os.fdopen(open_private(temporary), "w", encoding="utf-8") as handle:
        json.dump(adapter.state.to_json(), handle)
    os.replace(temporary, target)


async def measure(rooms: int, events: int, round_number: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="samvaer-sync-state-") as folder:
        adapter = _adapter(Path(folder), rooms)
        user = "@person0:example.org"
        room = MatrixRoom(adapter.state.directs[user], BOT)
        room.add_member(BOT, None, None)
        room.add_member(user, None, None)
        adapter.client.rooms[room.room_id] = room
        adapter._saver.interval = 3600  # the timer is not what is timed here
        timings: dict[str, list[float]] = {"now": [], "before": [], "snapshot": [], "thread": []}
        order = ("now", "before") if round_number % 2 == 0 else ("before", "now")
        offset = round_number * 10 * events
        for kind in order:
            for n in range(events):
                event = _message(offset + n + (0 if kind == "now" else events), user)
                started = time.perf_counter()
                await adapter._on_room_event(room, event, _handler)
                if kind == "before":
                    _write_as_before(adapter)
                timings[kind].append((time.perf_counter() - started) * 1000)
            offset += 2 * events
        for _ in range(max(5, events // 20)):
            started = time.perf_counter()
            snapshot = adapter.state.to_json()
            timings["snapshot"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            adapter._store.save_sync_data(snapshot)
            timings["thread"].append((time.perf_counter() - started) * 1000)
        assert len(HANDLED) == 2 * events, "every event reached the handler"
        HANDLED.clear()
        adapter._saver.dirty = False
        await adapter._saver.close()
        await adapter.client.close()  # type: ignore[no-untyped-call]
        size = (Path(folder) / "sync.json").stat().st_size
        timings["size_kib"] = [size / 1024]
        return timings


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(sizes: list[int], events: int, rounds: int) -> None:
    print(f"Loop time per incoming event, {events} events × {rounds} rounds per size (ms):")
    for rooms in sizes:
        merged: dict[str, list[float]] = {}
        for number in range(rounds):
            for key, values in (await measure(rooms, events, number)).items():
                merged.setdefault(key, []).extend(values)
        now, before = merged["now"], merged["before"]
        print(
            f"  {rooms:>6} rooms ({merged['size_kib'][0]:.0f} KiB file): "
            f"now median {statistics.median(now):.3f} p95 {_p(now, 0.95):.3f} · "
            f"before median {statistics.median(before):.2f} p95 {_p(before, 0.95):.2f} · "
            f"before/now {statistics.median(before) / statistics.median(now):.0f}×"
        )
        print(
            f"  {'':>6}        once per write (at most 1/s): snapshot on the loop "
            f"{statistics.median(merged['snapshot']):.2f}, "
            f"encode + write + rename in the thread {statistics.median(merged['thread']):.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sizes", default="10,1000,10000")
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.events, args.rounds))
