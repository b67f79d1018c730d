"""Slash commands and buttons through discord.py's own parsing, answered via the recorder."""

from __future__ import annotations

from bot.adapters.discord import DiscordAdapter, choice_custom_id
from bot.app import App
from tests.adapters.discord.support import (
    ALICE,
    Recorder,
    button_interaction,
    command_interaction,
    feed,
)

EPHEMERAL = 64


async def test_slash_language_reaches_the_dispatcher(
    discord_app: App, adapter: DiscordAdapter, recorder: Recorder
) -> None:
    await feed(adapter, command_interaction("language", [{"name": "code", "type": 3, "value": "en"}]))
    callbacks = recorder.named("POST", "/callback")
    assert callbacks and callbacks[0].json["type"] == 5  # deferred, "thinking"
    followups = [c for c in recorder.calls if c.webhook and c.method == "POST" and "/webhooks/" in c.path]
    assert followups, recorder.calls
    assert "English" in followups[0].content or followups[0].content
    assert not followups[0].flags & EPHEMERAL
