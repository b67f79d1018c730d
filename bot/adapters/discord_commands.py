"""Slash commands generated from the core's one command registry.

Every registry command becomes an application command: ``checkin schedule``
is the subcommand ``schedule`` of the group ``/checkin``; a group's own
command (``checkin 4``) is offered as ``/checkin now``. The names and
descriptions of every command, option and choice are localised for Danish and
Norwegian from the catalogs (``command.<key>``, ``option.<param>``,
``about.<key>.<param>``, ``word.<choice>``). An
invocation becomes an :class:`~bot.core.events.Invoke` with the option values by
parameter name: the registry binds them with the same converters and checks as
typed text, and the dispatcher does role checks and replies, but a value is never
written into a command line and parsed again (a ``"`` or a space stays as it was).
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from bot.core.events import Arg, Invoke
from bot.core.i18n import Translator
from bot.core.parsing import IntRange, OneOf, Rest
from bot.core.registry import Command, CommandRegistry, Param

# Discord's locales for our languages (Norwegian is "no" on Discord).
DISCORD_LOCALES = {"da": discord.Locale.danish, "nb": discord.Locale.norwegian}
NAME_RULE = re.compile(r"^[-_\w]{1,32}$")  # \w covers \p{L} and \p{N} for str patterns
DESCRIPTION_LIMIT = 100
MAX_CHOICES = 25
ROOT_SUBCOMMAND = "now"
ROOT_SUBCOMMAND_NAMES = {"da": "nu", "nb": "nå"}
STRING_LIMIT = 6000

MAX_SUGGESTIONS = 25  # Discord shows at most 25 autocomplete choices
CHOICE_TEXT_LIMIT = 100  # a choice's name and value are at most 100 characters

OnSlash = Callable[[discord.Interaction, Command, Invoke], Awaitable[None]]
Complete = Callable[
    [discord.Interaction, Command, Param, str], Awaitable[list[app_commands.Choice[str]]]
]
# What discord.py calls: an option's autocomplete, and a slash command with its options.
Completer = Callable[
    [discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]
SlashCallback = Callable[..., Coroutine[Any, Any, None]]


def valid_name(name: str) -> bool:
    """Whether ``name`` is allowed as a Discord command or option name."""
    return name == name.lower() and NAME_RULE.match(name) is not None and "ǀ" not in name


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """One line of at most ``limit`` characters (Discord's description limit)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line or "…"
    return line[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class LocalNames:
    """A command's or group's name in Danish and Norwegian, where one is known and valid."""

    names: dict[str, str]

    def extras(self) -> dict[str, str]:
        return {DISCORD_LOCALES[lang].value: name for lang, name in self.names.items()}


def _local_word(registry: CommandRegistry, lang: str, name: str, index: int) -> str | None:
    """Word ``index`` of a command's name in ``lang`` (``command.<key>`` in the catalogs)."""
    words = registry.names.get(lang, {}).get(name, "").split()
    return words[index] if len(words) > index else None


def group_names(registry: CommandRegistry, translator: Translator, head: str) -> LocalNames:
    """Localised names of a group: the first word of its commands' names (``makker``)."""
    names: dict[str, str] = {}
    for lang in DISCORD_LOCALES:
        for command in registry.subcommands(head):
            word = _local_word(registry, lang, command.name, 0)
            if word and word != head and registry.canonical(word) == head and valid_name(word):
                names[lang] = word
                break
    return LocalNames(names)


def subcommand_names(
    registry: CommandRegistry, translator: Translator, command: Command
) -> LocalNames:
    """Localised names of a subcommand (``schedule`` → ``påmind``)."""
    sub = command.name.partition(" ")[2]
    names: dict[str, str] = {}
    for lang in DISCORD_LOCALES:
        word = _local_word(registry, lang, command.name, 1)
        if word and word != sub and valid_name(word):
            names[lang] = word
    return LocalNames(names)


def top_level_names(
    registry: CommandRegistry, translator: Translator, command: Command
) -> LocalNames:
    """Localised names of a top-level command (``language`` → ``sprog``)."""
    names: dict[str, str] = {}
    for lang in DISCORD_LOCALES:
        word = _local_word(registry, lang, command.name, 0)
        known = word and registry.canonical(word) == command.name
        if word and known and word != command.name and valid_name(word):
            names[lang] = word
    return LocalNames(names)


def localised(text: str, extras: dict[str, str]) -> app_commands.locale_str:
    """A string that our command translator knows how to localise."""
    return app_commands.locale_str(text, **extras)


def descriptions(translator: Translator, key: str) -> app_commands.locale_str:
    """The help text of a catalog key in English, with da and nb localisations."""
    english = shorten(translator.text("en", key))
    extras = {
        DISCORD_LOCALES[lang].value: shorten(translator.text(lang, key))
        for lang in DISCORD_LOCALES
        if translator.has(key, lang)
    }
    return localised(english, extras)


class CatalogTranslator(app_commands.Translator):
    """Gives discord.py the localisations we attached to each string."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        value = string.extras.get(locale.value)
        return str(value) if value else None


# ---------------------------------------------------------------- options


def _annotation(param: Param) -> object:
    converter = param.converter
    if isinstance(converter, IntRange):
        return app_commands.Range[int, converter.low, converter.high]
    if converter is int:
        return int
    if isinstance(converter, Rest) and converter.max_length:
        return app_commands.Range[str, 1, min(converter.max_length, STRING_LIMIT)]
    return str


def _choices(
    param: Param, translator: Translator | None = None
) -> list[app_commands.Choice[str]] | None:
    """A word option's choices, each shown in the reader's language (``word.<choice>``)."""
    converter = param.converter
    if not (isinstance(converter, OneOf) and 0 < len(converter.choices) <= MAX_CHOICES):
        return None
    choices = []
    for value in converter.choices:
        extras = {}
        if translator is not None:
            extras = {
                DISCORD_LOCALES[lang].value: shorten(
                    translator.word(lang, value), CHOICE_TEXT_LIMIT
                )
                for lang in DISCORD_LOCALES
                if translator.word(lang, value) != value
            }
        choices.append(app_commands.Choice(name=localised(value, extras), value=value))
    return choices


def option_names(translator: Translator, command: Command) -> dict[str, LocalNames]:
    """Each option's name in Danish and Norwegian (``option.<param>``), where valid and
    different from the command's other options."""
    result: dict[str, LocalNames] = {}
    for lang in DISCORD_LOCALES:
        taken: set[str] = set()
        for param in command.params:
            name = option_name(param)
            word = translator.catalogs.get(lang, {}).get(f"option.{param.name}", "").casefold()
            names = result.setdefault(name, LocalNames({})).names
            if word and word != name and valid_name(word) and word not in taken:
                names[lang] = word
                taken.add(word)
    return result


def option_description(
    translator: Translator, command: Command, param: Param
) -> app_commands.locale_str:
    """What an option is for (``about.<command>.<param>``), with da and nb localisations."""
    key = f"about.{command.key}.{param.name}"
    if not translator.has(key, "en"):
        return localised(param.name.replace("_", " "), {})
    return descriptions(translator, key)


def option_name(param: Param) -> str:
    name = param.name.lower().rstrip("_")
    return name if valid_name(name) else "value"


def invocation(command: Command, values: Mapping[str, object]) -> Invoke:
    """The command with a slash invocation's option values, by parameter name."""
    named: list[tuple[str, Arg]] = []
    for param in command.params:
        value = values.get(option_name(param))
        if isinstance(value, app_commands.Choice):
            value = value.value
        if value is None or value == "":
            continue
        named.append((param.name, value if isinstance(value, int | str) else str(value)))
    return Invoke(command.name, named=tuple(named))


def _completer(command: Command, param: Param, complete: Complete) -> Completer:
    """An autocomplete callback for one option, handing the typed text to ``complete``."""

    async def completer(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await complete(interaction, command, param, current)

    return completer


def _callback(
    command: Command,
    on_slash: OnSlash,
    registry: CommandRegistry | None = None,
    complete: Complete | None = None,
    translator: Translator | None = None,
) -> SlashCallback:
    """A callback whose signature tells discord.py the options of ``command``."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await on_slash(interaction, command, invocation(command, values))

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    optional_seen = False
    describe: dict[str, str | app_commands.locale_str] = {}
    rename: dict[str, str | app_commands.locale_str] = {}
    local_names = option_names(translator, command) if translator is not None else {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    completers: dict[str, Completer] = {}
    for param in command.params:
        name = option_name(param)
        # Discord wants required options first; after an optional one, all are optional.
        required = param.required and not optional_seen
        optional_seen = optional_seen or not required
        parameters.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(param),
                default=inspect.Parameter.empty if required else None,
            )
        )
        if translator is not None:
            describe[name] = option_description(translator, command, param)
            extras = local_names[name].extras()
            if extras:
                rename[name] = localised(name, extras)
        else:
            describe[name] = param.name.replace("_", " ")
        found = _choices(param, translator)
        if found:
            choices[name] = found
        elif (
            complete is not None
            and registry is not None
            and registry.suggester(command.name, param.name) is not None
        ):
            completers[name] = _completer(command, param, complete)
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__name__ = command.key
    if describe:
        app_commands.describe(**describe)(callback)
    if rename:
        app_commands.rename(**rename)(callback)
    if choices:
        app_commands.choices(**choices)(callback)
    if completers:
        app_commands.autocomplete(**completers)(callback)
    return callback


# ---------------------------------------------------------------- the tree


def build_commands(
    registry: CommandRegistry,
    translator: Translator,
    on_slash: OnSlash,
    complete: Complete | None = None,
) -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    """The application commands for every registry command, grouped by their first word.

    Arguments with a suggestion provider in the registry autocomplete through ``complete``.
    """
    built: list[app_commands.Command[Any, ..., Any] | app_commands.Group] = []
    for head in registry.heads():
        members = registry.subcommands(head)
        if len(members) == 1 and members[0].name == head:
            command = members[0]
            built.append(
                app_commands.Command(
                    name=localised(head, top_level_names(registry, translator, command).extras()),
                    description=descriptions(translator, f"help.{command.key}"),
                    callback=_callback(command, on_slash, registry, complete, translator),
                )
            )
            continue
        first = registry.commands.get(head) or members[0]
        group = app_commands.Group(
            name=localised(head, group_names(registry, translator, head).extras()),
            description=descriptions(translator, f"help.{first.key}"),
        )
        for command in members:
            if command.name == head:
                extras = {
                    DISCORD_LOCALES[lang].value: word
                    for lang, word in ROOT_SUBCOMMAND_NAMES.items()
                }
                name = localised(ROOT_SUBCOMMAND, extras)
            else:
                sub = command.name.split(" ", 1)[1]
                if not valid_name(sub):
                    continue
                name = localised(sub, subcommand_names(registry, translator, command).extras())
            group.add_command(
                app_commands.Command(
                    name=name,
                    description=descriptions(translator, f"help.{command.key}"),
                    callback=_callback(command, on_slash, registry, complete, translator),
                    parent=group,
                )
            )
        built.append(group)
    return built


def find_command(registry: CommandRegistry, path: Iterable[str]) -> Command | None:
    """The registry command behind a slash command path (``["checkin", "now"]``)."""
    words = list(path)
    if len(words) == 2 and words[1] == ROOT_SUBCOMMAND:
        words = words[:1]
    return registry.commands.get(" ".join(words))


# ---------------------------------------------------------------- comparing for sync

_OPTION_KEYS = ("type", "name", "description", "name_localizations", "description_localizations")


def comparable(payload: dict[str, Any]) -> dict[str, Any]:
    """The parts of a command payload we set, in a form that compares equal across fetches."""
    result: dict[str, Any] = {key: payload.get(key) or None for key in _OPTION_KEYS}
    result["type"] = payload.get("type", 1)
    result["required"] = bool(payload.get("required", False))
    result["autocomplete"] = bool(payload.get("autocomplete", False))
    for key in ("min_value", "max_value", "min_length", "max_length"):
        if payload.get(key) is not None:
            result[key] = payload[key]
    result["choices"] = [
        {"name": c["name"], "value": c["value"]} for c in payload.get("choices") or []
    ]
    result["options"] = [comparable(option) for option in payload.get("options") or []]
    return result


def suggestion_choices(pairs: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices from (label, value) pairs, within Discord's limits."""
    choices = []
    for label, value in pairs:
        if not value or len(value) > CHOICE_TEXT_LIMIT:
            continue  # a cut value would not be the value any more
        choices.append(app_commands.Choice(name=shorten(label, CHOICE_TEXT_LIMIT), value=value))
        if len(choices) == MAX_SUGGESTIONS:
            break
    return choices


def fingerprint(payloads: Iterable[dict[str, Any]]) -> str:
    """A stable text for a whole set of commands, to decide whether a sync is needed."""
    items = sorted((comparable(p) for p in payloads), key=lambda c: str(c["name"]))
    return json.dumps(items, sort_keys=True, ensure_ascii=False)
