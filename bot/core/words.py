"""Words people type that are data, not code: command aliases and word lists, per language.

``bot/locales/<lang>/aliases.toml`` lists, for each command group (``[groups]``) and
each command (``[commands]``, by its canonical name), other words that name it besides
its ``command.<name>`` in the catalogs. ``bot/locales/<lang>/words.toml`` lists words
with a meaning a feature reads ("off", a weekday, a contact mode), by name. Every
language's words count everywhere, since people mix them; the files are read once.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.core.i18n import LOCALES_DIR


@dataclass(frozen=True)
class Aliases:
    """Other words for command groups and commands (every language's, in file order)."""

    groups: Mapping[str, tuple[str, ...]]
    commands: Mapping[str, tuple[str, ...]]


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _merge(into: dict[str, list[str]], table: Mapping[str, Any]) -> None:
    for name, words in table.items():
        known = into.setdefault(name, [])
        known.extend(str(word) for word in words if str(word) not in known)


@cache
def command_aliases(directory: Path = LOCALES_DIR) -> Aliases:
    """Every language's aliases (``<lang>/aliases.toml``)."""
    groups: dict[str, list[str]] = {}
    commands: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*/aliases.toml")):
        data = _read(path)
        _merge(groups, data.get("groups", {}))
        _merge(commands, data.get("commands", {}))
    return Aliases(
        {name: tuple(words) for name, words in groups.items()},
        {name: tuple(words) for name, words in commands.items()},
    )


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"meals": {"weekday_short": {"mon": [...]}}}`` → ``{"meals.weekday_short.mon": [...]}``."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


@cache
def _word_lists(directory: Path = LOCALES_DIR) -> dict[str, tuple[str, ...]]:
    lists: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*/words.toml")):
        _merge(lists, _flatten(_read(path)))
    return {name: tuple(words) for name, words in lists.items()}


def words(name: str) -> tuple[str, ...]:
    """The words listed as ``name`` in every language's ``words.toml`` (lower case as
    written; ``"meals.repeat.weekly"`` for ``weekly`` in the table ``[meals.repeat]``). An
    unknown name is an error: a feature asking for a list nobody wrote would quietly
    understand nothing."""
    found = _word_lists()
    if name not in found:
        raise KeyError(f"no word list {name!r} in bot/locales/*/words.toml")
    return found[name]


@cache
def words_by_language(name: str, directory: Path = LOCALES_DIR) -> dict[str, tuple[str, ...]]:
    """The list ``name`` of each language apart (``{"da": (...), "nb": (...)}``), for
    words that tell the languages apart."""
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted(directory.glob("*/words.toml")):
        listed = _flatten(_read(path)).get(name)
        if listed:
            found[path.parent.name] = tuple(str(word) for word in listed)
    return found


def word_set(name: str) -> frozenset[str]:
    """:func:`words` as a set, for membership tests."""
    return frozenset(words(name))


def word_table(name: str, meanings: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The lists ``name.<meaning>`` for each of ``meanings``, in that order (the code
    names the meanings; the words for them are data)."""
    return {meaning: words(f"{name}.{meaning}") for meaning in meanings}


def word_index(name: str, meanings: Iterable[str]) -> dict[str, str]:
    """Each word of the lists ``name.<meaning>`` mapped to its meaning (a word listed
    under two meanings keeps the first)."""
    index: dict[str, str] = {}
    for meaning, listed in word_table(name, meanings).items():
        for word in listed:
            index.setdefault(word, meaning)
    return index
