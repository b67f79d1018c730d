"""When each person is reminded of the meals they joined: reading their choice and
deciding which reminder is due. Pure: no I/O.

A choice is a few lengths of time before the start ("1d 30m", "1 dag og 30 min",
"dagen før", "2 timer"), "off" for none, or "default" for the community's. The
words for units are data in ``bot/locales/<lang>/answers.toml`` (``[duration]`` and ``[setting]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.core.answers import Vocabulary, fold, table_words

SHORTEST = 5  # minutes: a reminder nearer the start than this is of no use
LONGEST = 7 * 24 * 60  # minutes: a week ahead at most (dates are planned two weeks ahead)
MOST = 4  # reminders per meal at most
OFF = "off"
DEFAULT = "default"

_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 24 * 60, "week": 7 * 24 * 60}
_GLUED = re.compile(r"^(\d+)([^\d\s]+)$")  # "30m", "1d", "2t"


class BadReminders(ValueError):
    """What was typed is not a reminder choice; ``reason`` names the catalog message."""

    def __init__(self, reason: str, word: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.word = word


def _meanings(phrase: str, words: Vocabulary) -> frozenset[str]:
    return words.of(phrase)


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for raw in fold(text.replace(",", " ").replace("+", " ")).split():
        glued = _GLUED.match(raw)
        out.extend(glued.groups() if glued else (raw,))
    return out


def parse_reminders(text: str, words: Vocabulary | None = None) -> tuple[int, ...] | str:
    """Minutes before the start, longest first; or ``OFF`` / ``DEFAULT``.

    Raises :class:`BadReminders` ("empty", "word", "number", "range", "many").
    """
    folded = fold(text)
    if not folded:
        raise BadReminders("empty")
    setting = table_words("setting").of(folded)
    if "off" in setting:
        return OFF
    if "default" in setting:
        return DEFAULT
    words = words or table_words("duration")
    tokens = _tokens(text)
    found: set[int] = set()
    count: int | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        # A phrase of up to three words that means a whole reminder ("dagen før").
        phrase = next(
            (
                (length, meanings)
                for length in (3, 2, 1)
                if index + length <= len(tokens)
                and (meanings := _meanings(" ".join(tokens[index : index + length]), words))
            ),
            None,
        )
        if token.isdigit():
            if count is not None:
                raise BadReminders("number", token)
            count = int(token)
            index += 1
            continue
        if phrase is None:
            raise BadReminders("word", token)
        length, meanings = phrase
        index += length
        if "filler" in meanings:
            continue
        if "one" in meanings and count is None:
            count = 1
            continue
        unit = next((m for m in sorted(meanings) if m in _UNIT_MINUTES), None)
        if "day_before" in meanings:
            found.add(_UNIT_MINUTES["day"])
            continue
        if unit is None:
            raise BadReminders("word", token)
        minutes = (1 if count is None else count) * _UNIT_MINUTES[unit]
        count = None
        if not SHORTEST <= minutes <= LONGEST:
            raise BadReminders("range", str(minutes))
        found.add(minutes)
    if count is not None:
        raise BadReminders("number", str(count))
    if not found:
        raise BadReminders("empty")
    if len(found) > MOST:
        raise BadReminders("many")
    return tuple(sorted(found, reverse=True))


def stored(minutes: Iterable[int]) -> str:
    """How a choice is kept: "1440,30" ("" for none)."""
    return ",".join(str(m) for m in sorted(set(minutes), reverse=True))


def from_stored(text: str) -> tuple[int, ...]:
    """A kept choice back as minutes, longest first; what cannot be read is left out."""
    return tuple(sorted({int(p) for p in text.split(",") if p.strip().isdigit()}, reverse=True))


def default_minutes(offsets: Iterable[timedelta]) -> tuple[int, ...]:
    """The community's reminders (``[meals] reminders_before``) as minutes, longest first."""
    return tuple(sorted({int(o.total_seconds() // 60) for o in offsets}, reverse=True))


def due_reminder(
    starts_at: datetime,
    minutes: Sequence[int],
    now: datetime,
    reminded: int | None,
    send_at: datetime | None = None,
) -> int | None:
    """The reminder to send (its minutes before the start), or None.

    The one nearest the start whose time has come by ``send_at`` (default: now) and
    that is nearer the start than the last one sent: a meal joined at short notice
    gets one reminder, not every one that has passed; and one held back by quiet
    hours is replaced by a later one that falls due by then. Nothing once it starts.
    """
    at = now if send_at is None else send_at
    if at >= starts_at:
        return None
    if not any(starts_at - timedelta(minutes=m) <= now for m in minutes):
        return None  # nothing is due yet; quiet hours never bring a reminder forward
    due = [
        m
        for m in minutes
        if starts_at - timedelta(minutes=m) <= at and (reminded is None or m < reminded)
    ]
    return min(due) if due else None


def describe(minutes: Sequence[int]) -> list[tuple[str, int]]:
    """Each reminder as (unit, count) for showing: 1440 → ("day", 1), 90 → ("minute", 90)."""
    out = []
    for m in minutes:
        if m % (24 * 60) == 0:
            out.append(("day", m // (24 * 60)))
        elif m % 60 == 0:
            out.append(("hour", m // 60))
        else:
            out.append(("minute", m))
    return out
