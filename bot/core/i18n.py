"""Translations from gettext catalogs (``bot/locales/<lang>/*.po``).

Message ids are stable symbolic keys (``checkin.saved``); every language,
English included, has a catalog entry. Catalogs are read with Babel at start,
so there is no compile step; each feature keeps its own ``.po`` file.

Counted phrases ("1 seat", "8 seats") are gettext plural entries
(``msgid_plural`` with ``msgstr[0]``, ``msgstr[1]``, …); each form is kept under
``key[index]`` so that the completeness checks see every form, and
:meth:`Translator.plural` picks the form by the language's plural rule.
"""

from __future__ import annotations

import gettext
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
BABEL_LOCALES = {"da": "da_DK", "nb": "nb_NO", "en": "en_GB"}


def load_catalogs(directory: Path = LOCALES_DIR) -> dict[str, dict[str, str]]:
    """Read every ``<lang>/*.po`` into ``{lang: {msgid: msgstr}}`` (empty strings skipped)."""
    catalogs: dict[str, dict[str, str]] = {}
    for lang_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
        messages: dict[str, str] = {}
        for po_file in sorted(lang_dir.glob("*.po")):
            with po_file.open("rb") as handle:
                catalog = read_po(handle, locale=lang_dir.name)
            for message in catalog:
                if not message.id or not message.string:
                    continue
                if isinstance(message.id, str):
                    messages[message.id] = str(message.string)
                    continue
                for index, form in enumerate(message.string):
                    if form:
                        messages[plural_key(message.id[0], index)] = str(form)
        catalogs[lang_dir.name] = messages
    return catalogs


def plural_key(key: str, index: int) -> str:
    """Where the plural form ``index`` of ``key`` is kept: ``meal.seats[1]``."""
    return f"{key}[{index}]"


@cache
def _plural_rule(lang: str) -> Callable[[int], int]:
    # The gettext rule of the language, e.g. "(n != 1)" for Danish, Norwegian, English.
    return gettext.c2py(get_plural(BABEL_LOCALES.get(lang, lang)).plural_expr)


@dataclass(frozen=True)
class Words:
    """Words a person may type (``on``, ``off``), shown in the reader's language.

    A placeholder given a ``Words`` value is filled with each word's ``word.<word>``
    entry in the reader's catalog (``til | fra`` in Danish), joined by ``separator``.
    """

    words: tuple[str, ...]
    separator: str = " | "

    def __str__(self) -> str:
        return self.separator.join(self.words)


class _SafeDict(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Translator:
    """Looks up messages by key and language, falling back to the default language."""

    catalogs: Mapping[str, Mapping[str, str]]
    default_language: str = "da"

    def has(self, key: str, lang: str) -> bool:
        return key in self.catalogs.get(lang, {})

    def text(self, lang: str, key: str, /, **values: object) -> str:
        """The message ``key`` in ``lang`` with ``{placeholders}`` filled in."""
        for name, value in values.items():
            if isinstance(value, Words):
                values[name] = value.separator.join(self.word(lang, w) for w in value.words)
        template = (
            self.catalogs.get(lang, {}).get(key)
            or self.catalogs.get(self.default_language, {}).get(key)
            or self.catalogs.get("en", {}).get(key)
            or key
        )
        return string.Formatter().vformat(template, (), _SafeDict(values))

    def plural(self, lang: str, key: str, n: int, /, **values: object) -> str:
        """The form of the counted phrase ``key`` for ``n`` in ``lang``; ``{n}`` is filled in
        (with ``n`` as given in ``values`` when it is written otherwise, e.g. ``1,5``)."""
        values.setdefault("n", n)
        return self.text(lang, plural_key(key, _plural_rule(lang)(n)), **values)

    def word(self, lang: str, word: str) -> str:
        """A word a person may type (``on``), as it is written in ``lang`` (``til``)."""
        return self.catalogs.get(lang, {}).get(f"word.{word}") or word

    def keys(self, lang: str) -> set[str]:
        return set(self.catalogs.get(lang, {}))

    def all_variants(self, key: str) -> list[str]:
        """The message in every language (used to accept any language's word)."""
        return [msgs[key] for msgs in self.catalogs.values() if key in msgs]


def format_local(when: datetime, zone: str, lang: str, pattern: str = "full") -> str:
    """A UTC datetime written out in the user's zone and language.

    ``full`` gives e.g. "torsdag 3. december kl. 18:00".
    """
    local = when.astimezone(ZoneInfo(zone))
    locale = BABEL_LOCALES.get(lang, "en_GB")
    if pattern == "full":
        day = format_datetime(local, "EEEE d. MMMM", locale=locale)
        if lang == "en":
            day = format_datetime(local, "EEEE d MMMM", locale=locale)
            return f"{day} at {local:%H:%M}"
        return f"{day} kl. {local:%H:%M}"
    if pattern == "short":
        return format_datetime(local, "d/M HH:mm" if lang != "en" else "d MMM HH:mm", locale=locale)
    if pattern == "date":
        return format_datetime(local, "EEE d. MMM" if lang != "en" else "EEE d MMM", locale=locale)
    return format_datetime(local, pattern, locale=locale)
