"""Matrix with ``encryption = true`` against a local Synapse: what encryption costs.

Run: .venv/bin/python bench/matrix_e2ee_bench.py [--messages 300] [--people 10] [--rounds 30]

1. N reminder DMs through ``MatrixAdapter.send`` into encrypted DM rooms the bot
   opened itself (room keys shared with each person's device), reported next to
   the same number into unencrypted rooms from a second bot without encryption.
2. A person with their own key store sends ``!help`` encrypted in a DM; the time
   until the bot's encrypted reply is seen and decrypted, p50/p95.

The round trip sends commands back to back, far faster than the per-person
command limit (``[safety]``: a burst of 10, then 30 a minute) allows, so the
bench raises that limit: it measures encryption, not the flood protection.
Each round gives up after ``REPLY_DEADLINE`` seconds and says what the person
saw from the bot instead.
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

from nio import (
    AsyncClient,
    AsyncClientConfig,
    MegolmEvent,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from bot.adapters.matrix import MatrixAdapter
from bot.app import App
from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.events import Direct, TextMessage
from tests.adapters.matrix.synapse import Account, Synapse

REPLY_DEADLINE = 30.0  # seconds to wait for one decrypted reply


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def start_bot(
    synapse: Synapse, workdir: Path, name: str, *, encryption: bool
) -> tuple[App, MatrixAdapter, asyncio.Task[None], Account]:
    bot = synapse.register(name)
    variable = f"SAMVAER_BENCH_{name.upper()}_PASSWORD"
    os.environ[variable] = bot.password
    config = parse_config(
        {
            "community": {"language": "en"},
            "database": {"url": f"sqlite+aiosqlite:///{workdir / f'{name}.db'}"},
            "matrix": {
                "homeserver": synapse.url,
                "user_id": bot.user_id,
                "password_env": variable,
                "store_path": str(workdir / f"{name}-store"),
                "encryption": encryption,
            },
            # Commands back to back: without this the 11th !help gets the slow-down
            # notice and every later one silence.
            "safety": {"commands_per_minute": 10_000, "command_burst": 10_000},
        }
    )
    adapter = MatrixAdapter(config)
    app = await bootstrap(config, adapters=[adapter])
    await adapter.connect()
    runner = asyncio.create_task(adapter.start(app.on_event))
    await adapter.synced.wait()
    return app, adapter, runner, bot


def person_client(synapse: Synapse, account: Account, store: Path) -> AsyncClient:
    store.mkdir(parents=True, exist_ok=True)
    client = AsyncClient(
        synapse.url,
        account.user_id,
        device_id=account.device_id,
        store_path=str(store),
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )
    client.restore_login(account.user_id, account.device_id, account.access_token)
    return client


async def sync_with_keys(client: AsyncClient, timeout_ms: int = 0) -> SyncResponse:
    answer = await client.sync(timeout=timeout_ms)
    assert isinstance(answer, SyncResponse), answer
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
    return answer


async def wait_for_help(client: AsyncClient, dm: str, bot_id: str, round_no: int) -> None:
    """Sync until the bot's decrypted help arrives; fail saying what came instead."""
    deadline = time.perf_counter() + REPLY_DEADLINE
    instead: list[str] = []
    while time.perf_counter() < deadline:
        answer = await sync_with_keys(client, timeout_ms=5000)
        room = answer.rooms.join.get(dm)
        for event in room.timeline.events if room else []:
            if getattr(event, "sender", "") != bot_id:
                continue
            if isinstance(event, RoomMessageText) and event.decrypted:
                if "Here is what I can do" in event.body:
                    return
                instead.append(f"text {event.body[:60]!r}")
            elif isinstance(event, MegolmEvent):
                instead.append(f"undecryptable, room key session {event.session_id}")
    raise SystemExit(
        f"round {round_no}: no decrypted help within {REPLY_DEADLINE:.0f} s; "
        f"from the bot instead: {instead or 'nothing'}"
    )


async def fan_out(app: App, people: list[Account], messages: int) -> float:
    started = time.perf_counter()
    for n in range(messages):
        to = Direct("matrix", people[n % len(people)].user_id)
        result = await app.send(TextMessage(to, f"Reminder {n}: shared meal at *18:00*"))
        assert result.ok, result.reason
    return messages / (time.perf_counter() - started)


async def main(messages: int, people: int, rounds: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="samvaer-matrix-e2ee-bench-"))
    synapse = Synapse(workdir / "synapse")
    synapse.start()
    try:
        secure_app, secure, secure_runner, secure_bot = await start_bot(
            synapse, workdir, "secure", encryption=True
        )
        plain_app, _plain, plain_runner, _plain_bot = await start_bot(
            synapse, workdir, "plain", encryption=False
        )
        accounts = [synapse.register(f"person{n}") for n in range(people)]
        clients = [person_client(synapse, a, workdir / f"keys-{n}") for n, a in enumerate(accounts)]
        for client in clients:
            await sync_with_keys(client)  # publishes each person's device keys

        # The first message to each person opens the DM; timed runs reuse the rooms.
        await fan_out(secure_app, accounts, people)
        await fan_out(plain_app, accounts, people)
        plain_rate = await fan_out(plain_app, accounts, messages)
        secure_rate = await fan_out(secure_app, accounts, messages)
        print(f"DM fan-out, {messages} messages to {people} DM rooms:")
        print(f"  unencrypted rooms : {plain_rate:7.1f} msg/s")
        print(f"  encrypted rooms   : {secure_rate:7.1f} msg/s ({secure_rate / plain_rate:.0%})")

        # Round trip in the first person's encrypted DM.
        client = clients[0]
        dm = secure.state.directs[accounts[0].user_id]
        await client.join(dm)
        await sync_with_keys(client)
        latencies = []
        for _ in range(rounds):
            asked = await client.room_send(
                dm,
                "m.room.message",
                {"msgtype": "m.text", "body": "!help"},
                ignore_unverified_devices=True,
            )
            assert isinstance(asked, RoomSendResponse), asked
            started = time.perf_counter()
            await wait_for_help(client, dm, secure_bot.user_id, len(latencies) + 1)
            latencies.append((time.perf_counter() - started) * 1000)
        print(f"Encrypted command round trip (!help → decrypted reply), {rounds} rounds:")
        print(
            f"  p50 {statistics.median(latencies):.0f} ms · "
            f"p95 {percentile(latencies, 0.95):.0f} ms · max {max(latencies):.0f} ms"
        )
        for client in clients:
            await client.close()
        for app, runner in ((secure_app, secure_runner), (plain_app, plain_runner)):
            await app.close()
            await runner
    finally:
        synapse.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.people, args.rounds))
