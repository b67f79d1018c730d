"""Fan-out of reminder DMs through the outbox and the Discord adapter, against a local server.

A loopback aiohttp server plays Discord's REST API: it opens DM channels,
takes messages, and enforces a global bucket (50 requests/s by default)
with Discord-style 429 answers (``retry_after`` in the body,
``X-RateLimit-Global``, ``Retry-After`` and ``Via`` headers). discord.py
is pointed at it, so its own rate-limit handling runs as in production.

    .venv/bin/python bench/discord_fanout.py [--messages 2000] [--rates 48,40] [--bucket 50]

Prints, per adapter pace: requests/s achieved (and as a share of the
bucket), messages lost and duplicated, and how many requests got a 429.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from aiohttp import web
from discord.http import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import bootstrap, build_registry
from bot.config import parse_config
from bot.core.clock import SystemClock
from bot.core.events import Direct, TextMessage
from bot.core.i18n import Translator, load_catalogs
from bot.core.outbox import enqueue_many

BOT_ID = 900000000000000002
FIRST_USER = 700000000000000001


def _user(user_id: int) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": f"user{user_id}",
        "global_name": None,
        "discriminator": "0",
        "avatar": None,
    }


def _json(
    payload: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """JSON with the bare content type Discord sends (discord.py compares it exactly)."""
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@dataclass
class FakeDiscord:
    """Discord's REST API as far as a DM fan-out needs it, with a global bucket."""

    rate: float
    tokens: float = 0.0
    last: float = field(default_factory=time.monotonic)
    ok_requests: int = 0
    limited: int = 0
    first_ok: float = 0.0
    last_ok: float = 0.0
    received: Counter[str] = field(default_factory=Counter)
    dm_owner: dict[str, str] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10**17))

    def __post_init__(self) -> None:
        self.tokens = self.rate  # a full bucket: one second's worth

    def _take(self) -> float:
        """0 when a request may pass now, else the seconds until it may."""
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    @web.middleware
    async def bucket(self, request: web.Request, handler: Any) -> web.StreamResponse:
        wait = self._take()
        if wait > 0:
            self.limited += 1
            return _json(
                {"message": "You are being rate limited.", "retry_after": wait, "global": True},
                status=429,
                headers={
                    "Retry-After": f"{wait:.3f}",
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                    "Via": "1.1 google",
                },
            )
        response: web.StreamResponse = await handler(request)
        now = time.monotonic()
        self.ok_requests += 1
        self.first_ok = self.first_ok or now
        self.last_ok = now
        return response

    async def me(self, request: web.Request) -> web.Response:
        return _json(_user(BOT_ID))

    async def open_dm(self, request: web.Request) -> web.Response:
        recipient = str((await request.json())["recipient_id"])
        channel_id = str(next(self.ids))
        self.dm_owner[channel_id] = recipient
        payload = {"id": channel_id, "type": 1, "recipients": [_user(int(recipient))]}
        return _json(payload)

    async def post_message(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel_id"]
        body = await request.json()
        self.received[self.dm_owner.get(channel_id, channel_id)] += 1
        return _json(
            {
                "id": str(next(self.ids)),
                "channel_id": channel_id,
                "type": 0,
                "content": body.get("content", ""),
                "author": _user(BOT_ID),
                "timestamp": "2026-11-23T09:00:00+00:00",
                "edited_timestamp": None,
                "tts": False,
                "mention_everyone": False,
                "mentions": [],
                "mention_roles": [],
                "attachments": [],
                "embeds": [],
                "pinned": False,
            },
            # Discord's per-channel bucket: 5 messages per 5 s, one used.
            headers={
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "4",
                "X-RateLimit-Reset-After": "5",
                "X-RateLimit-Bucket": f"messages-{channel_id}",
            },
        )

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.bucket])
        app.router.add_get("/api/v10/users/@me", self.me)
        app.router.add_post("/api/v10/users/@me/channels", self.open_dm)
        app.router.add_post("/api/v10/channels/{channel_id}/messages", self.post_message)
        return app


@dataclass
class Outcome:
    pace: float
    messages: int
    seconds: float
    requests_per_second: float
    share_of_bucket: float
    lost: int
    duplicated: int
    limited: int
    limited_share: float


async def fan_out(messages: int, pace: float, bucket: float, folder: Path) -> Outcome:
    server = FakeDiscord(bucket)
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    Route.BASE = f"http://127.0.0.1:{port}/api/v10"

    config = parse_config(
        {
            "community": {"language": "en"},
            "discord": {"guild_ids": []},
            "database": {"url": f"sqlite+aiosqlite:///{folder}/fanout-{pace:g}.db"},
            "scheduling": {"batch_size": 200},
        }
    )
    registry = build_registry(strict=True)
    translator = Translator(load_catalogs(), "en")
    adapter = DiscordAdapter(config, registry=registry, translator=translator, rate=pace)
    state = adapter.client._connection
    state.user = discord.ClientUser(
        state=state, data=await adapter.client.http.static_login("bench-token")
    )
    clock = SystemClock()
    app = await bootstrap(
        config, clock=clock, adapters=[adapter], registry=registry, translator=translator
    )
    now = clock.now()
    users = [str(FIRST_USER + n) for n in range(messages)]
    async with app.uow() as uow:
        await enqueue_many(
            uow.session,
            [
                {
                    "message": TextMessage(
                        Direct("discord", user), "Time for a check-in: how are you?"
                    ),
                    "due_at": now,
                    "kind": "checkin_reminder",
                    "dedupe_key": f"bench:{user}",
                }
                for user in users
            ],
            now=now,
        )
        await uow.commit()

    started = time.monotonic()
    for _ in range(50):  # retried rows come due again; a clean run needs one pass
        report = await app.deliver()
        if report.sent == 0 and report.retried == 0 and sum(server.received.values()) >= len(users):
            break
    seconds = server.last_ok - server.first_ok or (time.monotonic() - started)
    await app.close()
    await adapter.client.http.close()
    await runner.cleanup()

    lost = sum(1 for user in users if server.received[user] == 0)
    duplicated = sum(count - 1 for count in server.received.values() if count > 1)
    total = server.ok_requests + server.limited
    rate = server.ok_requests / seconds
    return Outcome(
        pace=pace,
        messages=messages,
        seconds=seconds,
        requests_per_second=rate,
        share_of_bucket=rate / bucket,
        lost=lost,
        duplicated=duplicated,
        limited=server.limited,
        limited_share=server.limited / total if total else 0.0,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rates", default="48,40", help="adapter paces to try (0: unpaced)")
    parser.add_argument("--bucket", type=float, default=50.0, help="requests/s the server allows")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        for pace in (float(r) for r in args.rates.split(",")):
            outcome = await fan_out(args.messages, pace, args.bucket, Path(folder))
            label = f"{pace:g}/s" if pace > 0 else "unpaced"
            print(
                f"pace {label}: {outcome.messages} DMs ({2 * outcome.messages} requests) in "
                f"{outcome.seconds:.1f} s; {outcome.requests_per_second:.1f} requests/s = "
                f"{outcome.share_of_bucket:.1%} of the {args.bucket:g}/s bucket; "
                f"lost {outcome.lost}, duplicated {outcome.duplicated}; "
                f"429 answers {outcome.limited} ({outcome.limited_share:.2%} of requests)"
            )


if __name__ == "__main__":
    discord.utils.setup_logging(level=logging.ERROR)
    asyncio.run(main())
