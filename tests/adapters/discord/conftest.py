"""Fixtures: a Discord adapter wired to the recorder and to the real app on each database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord import DiscordAdapter
from bot.app import App
from bot.bootstrap import bootstrap, build_registry
from bot.config import Config, parse_config
from bot.core.clock import FakeClock
from bot.core.i18n import Translator
from tests.adapters.discord.support import (
    BUDDY_CHANNEL_ID,
    CATEGORY_ID,
    CHANNEL_ID,
    GUILD_ID,
    Recorder,
    wire,
)


@pytest.fixture
def discord_config() -> Config:
    return parse_config(
        {
            "community": {"language": "en"},
            "discord": {
                "guild_ids": [GUILD_ID],
                "buddy_channel_id": BUDDY_CHANNEL_ID,
                "meal_voice_category_id": CATEGORY_ID,
            },
            "roles": {"organisers": ["discord-role:Organiser"], "volunteers": []},
            "rooms": {"organisers": [f"discord:{CHANNEL_ID}"]},
        }
    )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def adapter(
    discord_config: Config, translator: Translator, recorder: Recorder
) -> AsyncIterator[DiscordAdapter]:
    made = DiscordAdapter(
        discord_config, registry=build_registry(strict=True), translator=translator, rate=0
    )
    await wire(made, recorder)
    return made


@pytest.fixture
async def discord_app(
    engine: AsyncEngine,
    discord_config: Config,
    clock: FakeClock,
    translator: Translator,
    adapter: DiscordAdapter,
) -> App:
    app = await bootstrap(
        discord_config,
        clock=clock,
        engine=engine,
        adapters=[adapter],
        migrate=False,
        translator=translator,
        registry=adapter.registry,
    )
    adapter.attach(app.on_event)
    return app
