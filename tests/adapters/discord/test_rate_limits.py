"""A 429 during a fan-out: discord.py waits it out and every DM arrives exactly once.

A loopback aiohttp server stands in for Discord's REST API.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from aiohttp import web
from discord.http import Route

from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import build_registry
from bot.config import Config
from bot.core.events import Direct, TextMessage
from bot.core.i18n import Translator
from tests.adapters.discord.support import BOT_ID, message_payload, user_payload

RETRY_AFTER = 0.01  # seconds; discord.py waits this long before trying again


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py reads JSON only with exactly this content type, as Discord sends it.
    return web.Response(
        body=json.dumps(payload).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class LimitedDiscord:
    """Answers the ``limit_at``-th message request with a global 429, everything else ok."""

    def __init__(self, limit_at: int) -> None:
        self.limit_at = limit_at
        self.message_requests = 0
        self.limited = 0
        self.received: Counter[str] = Counter()
        self.owner: dict[str, str] = {}
        self.ids = itertools.count(500000000000000001)

    async def me(self, request: web.Request) -> web.Response:
        return _json(user_payload(BOT_ID, "samvaer"))

    async def open_dm(self, request: web.Request) -> web.Response:
        recipient = str((await request.json())["recipient_id"])
        channel_id = str(next(self.ids))
        self.owner[channel_id] = recipient
        return _json(
            {"id": channel_id, "type": 1, "recipients": [user_payload(int(recipient), "u")]}
        )

    async def message(self, request: web.Request) -> web.Response:
        self.message_requests += 1
        if self.message_requests == self.limit_at:
            self.limited += 1
            return _json(
                {
                    "message": "You are being rate limited.",
                    "retry_after": RETRY_AFTER,
                    "global": True,
                },
                status=429,
                headers={"X-RateLimit-Global": "true", "Retry-After": "1", "Via": "1.1 google"},
            )
        channel_id = request.match_info["channel_id"]
        self.received[self.owner[channel_id]] += 1
        return _json(message_payload(channel_id, (await request.json())["content"]))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self.me)
        app.router.add_post("/api/v10/users/@me/channels", self.open_dm)
        app.router.add_post("/api/v10/channels/{channel_id}/messages", self.message)
        return app


@pytest.fixture
async def limited() -> AsyncIterator[tuple[LimitedDiscord, str]]:
    server = LimitedDiscord(limit_at=3)
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield server, f"http://127.0.0.1:{port}/api/v10"
    await runner.cleanup()


async def test_a_429_in_a_fan_out_loses_and_doubles_nothing(
    limited: tuple[LimitedDiscord, str],
    discord_config: Config,
    translator: Translator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, base = limited
    monkeypatch.setattr(Route, "BASE", base)
    adapter = DiscordAdapter(
        discord_config, registry=build_registry(strict=True), translator=translator, rate=0
    )
    http = adapter.client.http
    state = adapter.client._connection
    try:
        state.user = discord.ClientUser(state=state, data=await http.static_login("t"))
        users = [str(700000000000000100 + n) for n in range(6)]
        results = [
            await adapter.send(TextMessage(Direct("discord", user), "Time to check in"))
            for user in users
        ]
    finally:
        await http.close()
    assert all(result.ok for result in results)
    assert server.limited == 1
    assert server.message_requests == len(users) + 1  # the limited one was tried again
    assert dict(server.received) == dict.fromkeys(users, 1)
