"""Tokenising command lines and converting arguments from handler signatures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.core.i18n import Words
from bot.core.words import word_table


class ArgumentError(Exception):
    """A user typed something a command can't accept; ``key`` names the catalog message."""

    def __init__(self, key: str = "", **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Token:
    text: str
    start: int


_TOKEN = re.compile(r'"([^"]*)"|“([^”]*)”|„([^“”]*)[“”]|(\S+)')


ECHO_LIMIT = 40


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """What a user typed, short enough to repeat back to them (never a wall of text)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tokenize(line: str) -> list[Token]:
    """Split on whitespace; "double quotes" group words. Unbalanced quotes are literal."""
    tokens = []
    for match in _TOKEN.finditer(line):
        text = next(g for g in match.groups() if g is not None)
        tokens.append(Token(text, match.start()))
    return tokens


@dataclass(frozen=True)
class Rest:
    """Marks a ``str`` parameter that takes the rest of the line verbatim."""

    max_length: int | None = None


@dataclass(frozen=True)
class IntRange:
    """An integer within bounds; ``error`` names the catalog message shown otherwise."""

    low: int
    high: int
    error: str = "error.number_range"

    def convert(self, token: str) -> int:
        try:
            value = int(token.strip().rstrip("."))
        except ValueError:
            raise ArgumentError(self.error, low=self.low, high=self.high) from None
        if not self.low <= value <= self.high:
            raise ArgumentError(self.error, low=self.low, high=self.high)
        return value


@dataclass(frozen=True)
class OneOf:
    """A word from a fixed set; each canonical value may have aliases in any language."""

    choices: dict[str, tuple[str, ...]]
    error: str = "error.one_of"

    def convert(self, token: str) -> str:
        word = token.casefold()
        for canonical, aliases in self.choices.items():
            if word == canonical or word in aliases:
                return canonical
        # The choices are shown in the reader's language (``word.<choice>`` in the catalogs).
        raise ArgumentError(self.error, choices=Words(tuple(self.choices)))


@dataclass(frozen=True)
class OnOff(OneOf):
    """On or off: the listed words, and any way of saying yes or no (the answer words in
    ``bot/locales/<lang>/answers.toml``: "jep", "okay", "nope"…)."""

    def convert(self, token: str) -> str:
        from bot.core.answers import NO, YES, means

        try:
            return super().convert(token)
        except ArgumentError:
            if means(token, YES):
                return "on"
            if means(token, NO):
                return "off"
            raise


ON_OFF = OnOff(word_table("on_off", ("on", "off")))


def convert(converter: Any, token: str) -> Any:
    """Apply a converter object or a plain type to one token."""
    if hasattr(converter, "convert"):
        return converter.convert(token)
    if converter is int:
        try:
            return int(token)
        except ValueError:
            raise ArgumentError("error.not_a_number", value=token) from None
    return token
