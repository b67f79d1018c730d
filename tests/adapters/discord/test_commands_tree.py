"""The slash commands are generated from the one registry, with valid localisations."""

from __future__ import annotations

import re

import discord
from discord import AppCommandOptionType, app_commands

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord_commands import CatalogTranslator, command_line, find_command
from tests.adapters.discord.support import GUILD_ID

NAME = re.compile(r"^[-_\w]{1,32}$")
SERVED = discord.Object(GUILD_ID)  # commands live in the served guild only


def _walk(payload: dict, path: tuple[str, ...] = ()):
    options = payload.get("options") or []
    subs = [o for o in options if o["type"] in (1, 2)]
    if not subs:
        yield (*path, payload["name"]), payload
    for sub in subs:
        yield from _walk(sub, (*path, payload["name"]))


def _check_name(name: str) -> None:
    assert name == name.lower(), name
    assert NAME.match(name), name


async def test_tree_matches_registry(adapter: DiscordAdapter) -> None:
    tree = adapter.client.tree
    translator = CatalogTranslator()
    payloads = [
        await c.get_translated_payload(tree, translator) for c in tree.get_commands(guild=SERVED)
    ]
    assert tree.get_commands() == []  # no global commands
    found = {}
    for payload in payloads:
        for path, leaf in _walk(payload):
            command = find_command(adapter.registry, path)
            assert command is not None, path
            found[command.name] = leaf
    assert set(found) == set(adapter.registry.commands)
    for payload in payloads:
        assert len(payload["description"]) <= 100
        for _path, leaf in _walk(payload):
            for name in [leaf["name"], *(leaf.get("name_localizations") or {}).values()]:
                _check_name(name)
            for option in leaf.get("options") or []:
                _check_name(option["name"])
    for name, leaf in found.items():
        command = adapter.registry.commands[name]
        options = {o["name"]: o for o in leaf.get("options") or []}
        assert len(options) == len(command.params), name


async def test_options_are_typed(adapter: DiscordAdapter) -> None:
    tree = adapter.client.tree
    payload = await tree.get_command("consent", guild=SERVED).get_translated_payload(
        tree, CatalogTranslator()
    )
    what = payload["options"][0]
    assert what["type"] == AppCommandOptionType.string.value
    assert [c["value"] for c in what["choices"]] == ["checkins", "buddies", "share"]
    language = await tree.get_command("language", guild=SERVED).get_translated_payload(
        tree, CatalogTranslator()
    )
    assert language["name_localizations"] == {"da": "sprog", "no": "språk"}
    assert "da" in language["description_localizations"]


def test_command_line_is_canonical(adapter: DiscordAdapter) -> None:
    consent = adapter.registry.commands["consent"]
    assert command_line(consent, {"what": "checkins", "state": "on"}) == "consent checkins on"
    help_command = adapter.registry.commands["help"]
    assert command_line(help_command, {"topic": "meal list"}) == "help meal list"
    assert command_line(help_command, {}) == "help"
    assert isinstance(app_commands.locale_str("x"), app_commands.locale_str)
