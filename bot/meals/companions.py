"""Joining with companions who have no account ("meal join <id> +1", "med 1", "with 2"):
reading the words and counting seats. Pure, no I/O.

The words ("with", "med") are data in ``bot/locales/<lang>/answers.toml`` ([setting]).
"""

from __future__ import annotations

import re

from bot.core.answers import fold, table_words

MOST = 3  # companions one person may bring
_PLUS = re.compile(r"^\+\s*(\d+)$")


class BadCompanions(ValueError):
    """A companion count that cannot be read or is too many."""


def seats_for(companions: int) -> int:
    """Seats a person takes: their own and one for each companion."""
    return 1 + companions


def _count(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return 1 if "one" in table_words("duration").of(fold(token)) else None


def split_companions(text: str) -> tuple[str, int | None]:
    """What is left of ``text`` (a date, "all") and how many companions it names
    (None when it names none: "+0" is a choice, nothing typed is not).

    "+1" → 1, "2026-12-03 +2" → ("2026-12-03", 2), "med 1" / "with a" → 1.
    Raises :class:`BadCompanions` for a count above :data:`MOST` or a "with" without one.
    """
    tokens = text.split()
    rest: list[str] = []
    companions = 0
    named = False
    index = 0
    joined = " ".join(tokens)
    for glued in re.finditer(r"\+\s+(\d+)", joined):  # "+ 1" typed with a space
        joined = joined.replace(glued.group(0), f"+{glued.group(1)}")
    tokens = joined.split()
    while index < len(tokens):
        token = tokens[index]
        plus = _PLUS.match(token)
        if plus:
            companions += int(plus.group(1))
            named = True
            index += 1
            continue
        if "with" in table_words("setting").of(fold(token)):
            number = _count(tokens[index + 1]) if index + 1 < len(tokens) else None
            if number is None:
                raise BadCompanions(token)
            companions += number
            named = True
            index += 2
            continue
        rest.append(token)
        index += 1
    if companions > MOST:
        raise BadCompanions(str(companions))
    return " ".join(rest), companions if named else None
