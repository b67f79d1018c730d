"""The slash commands are generated from the one registry, with valid localisations."""

from __future__ import annotations

import re

import discord
from discord import AppCommandOptionType, app_commands

from bot.adapters.discord import DiscordAdapter
from bot.adapters.discord_commands import CatalogTranslator, find_command, invocation
from bot.core.events import Invoke
from tests.adapters.discord.support import GUILD_ID

NAME = re.compile(r"^[-_\w]{1,32}$")
SERVED = discord.Object(GUILD_ID)  # commands live in the served guild only
# Names that are the same in Danish and Norwegian as in English.
SAME_EVERYWHERE = frozenset({"start", "plan", "status", "pause", "admin", "note", "okay"})


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


def test_an_invocation_names_its_values_by_parameter(adapter: DiscordAdapter) -> None:
    consent = adapter.registry.commands["consent"]
    assert invocation(consent, {"what": "checkins", "state": "on"}) == Invoke(
        "consent", named=(("what", "checkins"), ("state", "on"))
    )
    help_command = adapter.registry.commands["help"]
    assert invocation(help_command, {"topic": "meal list"}) == Invoke(
        "help", named=(("topic", "meal list"),)
    )
    assert invocation(help_command, {}) == Invoke("help")
    assert isinstance(app_commands.locale_str("x"), app_commands.locale_str)


async def test_every_command_and_option_is_named_and_described_in_danish_and_norwegian(
    adapter: DiscordAdapter,
) -> None:
    tree = adapter.client.tree
    translator = CatalogTranslator()
    missing = []
    for command in tree.get_commands(guild=SERVED):
        payload = await command.get_translated_payload(tree, translator)
        for path, leaf in _walk(payload):
            nodes = [leaf, *(o for o in leaf.get("options") or [])]
            if len(path) > 1:
                nodes.append(payload)
            for node in nodes:
                where = "/".join(path) + ("" if node is leaf else f" {node['name']}")
                for locale in ("da", "no"):
                    name = (node.get("name_localizations") or {}).get(locale)
                    about = (node.get("description_localizations") or {}).get(locale)
                    # A name may be the same in every language (status, plan, start).
                    if name is None and node["name"] not in SAME_EVERYWHERE:
                        missing.append(f"{where}: no {locale} name")
                    elif name is not None:
                        _check_name(name)
                    if not about or about == node["description"]:
                        missing.append(f"{where}: no {locale} description")
                if node is not leaf and node["description"] == node["name"].replace("_", " "):
                    missing.append(f"{where}: described only by its name")
                for choice in node.get("choices") or []:
                    local = (choice.get("name_localizations") or {}).get("da")
                    if not local and choice["value"] not in SAME_EVERYWHERE:
                        missing.append(f"{where}: choice {choice['value']} has no da name")
    assert not missing, "\n".join(missing)


async def test_danish_names_of_a_group_its_subcommands_and_options(adapter: DiscordAdapter) -> None:
    tree = adapter.client.tree
    payload = await tree.get_command("buddy", guild=SERVED).get_translated_payload(
        tree, CatalogTranslator()
    )
    assert payload["name_localizations"] == {"da": "makker", "no": "venn"}
    subs = {o["name"]: o for o in payload["options"]}
    assert subs["join"]["name_localizations"] == {"da": "tilmeld", "no": "bli-med"}
    [answer, pair] = subs["feedback"]["options"]
    assert answer["name_localizations"] == {"da": "svar", "no": "svar"}
    assert pair["name_localizations"] == {"da": "nummer", "no": "nummer"}
    assert [(c.get("name_localizations") or {}).get("da") for c in answer["choices"]] == [
        "godt",
        None,  # okay is Danish too
        "dårligt",
    ]
    assert answer["description_localizations"]["da"].startswith("hvordan det går")


async def test_localised_names_are_unique_among_siblings(adapter: DiscordAdapter) -> None:
    """Discord refuses a tree where two siblings share a name in some language."""
    tree = adapter.client.tree
    translator = CatalogTranslator()
    payloads = [
        await c.get_translated_payload(tree, translator) for c in tree.get_commands(guild=SERVED)
    ]

    def names(nodes: list[dict], locale: str) -> list[str]:
        return [(n.get("name_localizations") or {}).get(locale, n["name"]) for n in nodes]

    def check(siblings: list[dict]) -> None:
        for locale in ("da", "no"):
            shown = names(siblings, locale)
            assert len(shown) == len(set(shown)), (locale, sorted(shown))
        for node in siblings:
            if node.get("options"):
                check(node["options"])

    check(payloads)
