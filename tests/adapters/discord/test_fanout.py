"""A fan-out of DMs: one request per prompt, and nothing lost or doubled when Discord says 429.

The recorded tests count the requests discord.py makes; the others drive a small
fan-out the way the outbox deliverer does (several at once, in order per person)
against bench/discord_server.py, a loopback server with Discord's global and
per-route limits and Discord-style 429 answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import discord
import pytest
from discord.http import Route

from bench.discord_server import FakeDiscord, RouteLimit
from bench.fanout import send_concurrently
from bot.adapters.discord import DiscordAdapter
from bot.bootstrap import build_registry
from bot.config import Config
from bot.core.events import ChoicePrompt, Direct, Option, Outgoing, TextMessage
from bot.core.i18n import Translator
from tests.adapters.discord.support import ALICE, BOB, Recorder

MOODS = tuple(Option(label, f"checkin {n}") for n, label in enumerate("12345", 1))


def prompt(user: int | str) -> ChoicePrompt:
    return ChoicePrompt(Direct("discord", str(user)), "How are you today?", MOODS)


async def test_a_prompt_in_a_dm_is_one_request_with_its_buttons(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    first = await adapter.send(prompt(ALICE))
    second = await adapter.send(prompt(ALICE))

    assert first.ok
    assert second.ok
    opened = recorder.named("POST", "/users/@me/channels")
    sent = recorder.named("POST", "/messages")
    assert len(opened) == 1  # the DM is opened once and remembered
    assert len(sent) == 2  # each prompt: one message ...
    for call in sent:
        buttons = [b for row in call.json["components"] for b in row["components"]]
        assert [b["label"] for b in buttons] == ["1", "2", "3", "4", "5"]  # ... with its buttons
    assert len(recorder.calls) == 3


async def test_prompts_to_one_person_at_once_open_the_dm_once(
    adapter: DiscordAdapter, recorder: Recorder
) -> None:
    results = await asyncio.gather(*(adapter.send(prompt(BOB)) for _ in range(3)))

    assert all(result.ok for result in results)
    assert len(recorder.named("POST", "/users/@me/channels")) == 1
    assert len(recorder.named("POST", "/messages")) == 3


@pytest.fixture
async def served() -> AsyncIterator[list[FakeDiscord]]:
    """Servers started by a test; stopped afterwards."""
    servers: list[FakeDiscord] = []
    yield servers
    for server in servers:
        await server.stop()


async def _adapter_against(
    server: FakeDiscord,
    servers: list[FakeDiscord],
    config: Config,
    translator: Translator,
    monkeypatch: pytest.MonkeyPatch,
    *,
    rate: float,
) -> DiscordAdapter:
    servers.append(server)
    monkeypatch.setattr(Route, "BASE", await server.start())
    adapter = DiscordAdapter(
        config, registry=build_registry(strict=True), translator=translator, rate=rate
    )
    http = adapter.client.http
    state = adapter.client._connection
    state.user = discord.ClientUser(state=state, data=await http.static_login("token"))
    return adapter


async def _deliver(adapter: DiscordAdapter, messages: list[Outgoing]) -> list[Outgoing]:
    """Send like the deliverer, retrying what failed (as the outbox would, later)."""
    pending = messages
    for _ in range(5):
        results = await send_concurrently(adapter.send, pending, limit=10)
        pending = [m for m, r in zip(pending, results, strict=True) if not r.ok]
        if not pending:
            break
    return pending


async def test_a_fan_out_through_429s_loses_and_doubles_nothing(
    served: list[FakeDiscord],
    discord_config: Config,
    translator: Translator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Every third request is refused as over the global limit (something else spends it).
    server = FakeDiscord(refuse_every=3)
    adapter = await _adapter_against(
        server, served, discord_config, translator, monkeypatch, rate=0
    )
    users = [str(700000000000000100 + n) for n in range(24)]
    try:
        with caplog.at_level(logging.WARNING, logger="samvaer.discord"):
            undelivered = await _deliver(adapter, [prompt(user) for user in users])
    finally:
        await adapter.client.http.close()

    assert server.limited_global > 0  # Discord did refuse some
    assert undelivered == []
    assert {user: len(texts) for user, texts in server.received.items()} == dict.fromkeys(users, 1)
    assert server.with_buttons == len(users)
    assert all(count == 1 for count in server.dms_opened.values())
    warnings = [r for r in caplog.records if r.getMessage().startswith("discord.rate_limited")]
    assert len(warnings) == 1  # the operators are told, once, with what to do
    assert "requests_per_second" in warnings[0].getMessage()


async def test_a_channel_bucket_is_waited_out_from_its_headers(
    served: list[FakeDiscord],
    discord_config: Config,
    translator: Translator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two messages per 0.2 s per channel: discord.py reads the headers and waits.
    server = FakeDiscord(message_limit=RouteLimit(2, 0.2))
    adapter = await _adapter_against(
        server, served, discord_config, translator, monkeypatch, rate=0
    )
    texts = {user: [f"{user} #{n}" for n in range(5)] for user in ("7001", "7002")}
    messages: list[Outgoing] = [
        TextMessage(Direct("discord", user), text)
        for n in range(5)
        for user, lines in texts.items()
        for text in lines[n : n + 1]
    ]
    try:
        undelivered = await _deliver(adapter, messages)
    finally:
        await adapter.client.http.close()

    assert undelivered == []
    assert dict(server.received) == texts  # each person's in the order sent, once
    assert server.limited == 0


async def test_few_429s_are_not_worth_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    from bot.adapters.discord import _LimitWatch

    watch = _LimitWatch(rate=48)
    with caplog.at_level(logging.WARNING, logger="samvaer.discord"):
        for n in range(2000):
            watch.seen(429 if n % 200 == 0 else 200)  # 0.5 %
    assert not watch.warned
    assert caplog.records == []
