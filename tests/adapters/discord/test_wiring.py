"""The Discord adapter gets the core's registry and translator instead of making its own."""

from __future__ import annotations

from bot.adapters.discord import DiscordAdapter
from bot.adapters.factory import make_adapters
from bot.bootstrap import build_registry
from bot.config import Config
from bot.core.i18n import Translator


def test_factory_hands_the_shared_registry_and_translator(
    discord_config: Config, translator: Translator
) -> None:
    registry = build_registry(strict=True)
    made = make_adapters(discord_config, "discord", registry=registry, translator=translator)
    assert len(made) == 1
    adapter = made[0]
    assert isinstance(adapter, DiscordAdapter)
    assert adapter.registry is registry
    assert adapter.translator is translator


def test_adapters_without_those_parameters_are_made_as_before(
    discord_config: Config, translator: Translator
) -> None:
    made = make_adapters(
        discord_config, "console", registry=build_registry(strict=True), translator=translator
    )
    assert [adapter.platform for adapter in made] == ["console"]
