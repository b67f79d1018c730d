"""Prefix commands in a channel and in a DM, through dpytest's simulated gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import discord.ext.test as dpytest
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord import DiscordAdapter
from bot.app import App
from bot.bootstrap import bootstrap, build_registry
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.core.i18n import Translator


@pytest.fixture
async def simulated(
    engine: AsyncEngine, clock: FakeClock, translator: Translator
) -> AsyncIterator[tuple[DiscordAdapter, App]]:
    adapter = DiscordAdapter(
        parse_config({"discord": {"guild_ids": [1]}}),
        registry=build_registry(strict=True),
        translator=translator,
        rate=0,
    )
    await adapter.client._async_setup_hook()
    dpytest.configure(adapter.client, members=2)
    # Serve the guild dpytest made (its id is known only now).
    served = dpytest.get_config().guilds[0].id
    config = parse_config({"community": {"language": "en"}, "discord": {"guild_ids": [served]}})
    adapter.config = config
    assert config.discord is not None
    adapter.settings = config.discord
    app = await bootstrap(
        config,
        clock=clock,
        engine=engine,
        adapters=[adapter],
        migrate=False,
        translator=translator,
        registry=adapter.registry,
    )
    adapter.attach(app.on_event)
    yield adapter, app
    await dpytest.empty_queue()


async def test_help_in_a_channel(simulated: tuple[DiscordAdapter, App]) -> None:
    await dpytest.message("!help")
    reply = dpytest.get_message()
    assert "help" in reply.content.casefold()


async def test_help_in_a_dm(simulated: tuple[DiscordAdapter, App]) -> None:
    member = dpytest.get_config().members[0]
    dm = await member.create_dm()
    await dpytest.message("!help", channel=dm, member=member)
    reply = dpytest.get_message()
    assert isinstance(reply.channel, discord.DMChannel)
    assert "!" in reply.content


async def test_private_command_in_a_channel_answers_by_dm(
    simulated: tuple[DiscordAdapter, App],
) -> None:
    await dpytest.message("!privacy")
    first = dpytest.get_message()
    second = dpytest.get_message()
    assert isinstance(first.channel, discord.DMChannel)
    assert isinstance(second.channel, discord.TextChannel)  # "I answered you privately"
