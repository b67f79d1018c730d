"""The crisis path: phrases that get the crisis lines at once, with no database needed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache

from bot.config import CrisisLine


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return " ".join(re.findall(r"[\w']+", text))


@lru_cache(maxsize=1024)
def _phrase_pattern(phrase: str) -> str:
    # Every message is checked against every phrase: normalise each phrase once.
    return f" {_normalise(phrase)} "


def crisis_language(text: str, phrases: Mapping[str, Sequence[str]]) -> str | None:
    """The language whose crisis phrase occurs in ``text`` (as whole words), else None."""
    normalised = f" {_normalise(text)} "
    for lang, words in phrases.items():
        for phrase in words:
            if _phrase_pattern(phrase) in normalised:
                return lang
    return None


def format_lines(lines: Sequence[CrisisLine]) -> str:
    """One line per crisis line: name, number and hours."""
    rows = []
    for line in lines:
        hours = f" ({line.hours})" if line.hours else ""
        rows.append(f"• {line.name}: {line.number}{hours}")
    return "\n".join(rows)
