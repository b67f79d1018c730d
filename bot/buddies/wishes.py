"""Reading the words of a wish: a gender typed in any of the three languages and an
age band (or an age in years, kept only as its band). Pure; the profile parsers in
:mod:`profile` turn a None into a reply saying what to type."""

from __future__ import annotations

import re

from bot.buddies.scoring import AGE_BANDS
from bot.core.answers import fold, vocabulary

YOUNGEST = 18  # the programme is for adults


def gender_word(word: str) -> str | None:
    """A gender typed in any of the three languages (``[gender]`` in answers.toml)."""
    meanings = vocabulary().of(fold(word))
    found = [m.removeprefix("gender_") for m in meanings if m.startswith("gender_")]
    return found[0] if len(found) == 1 else None


_BAND = re.compile(r"^(\d{1,3})\s*(?:[-–—]\s*(\d{1,3})|\+|\s*-\s*)?$")


def age_band(word: str) -> str | None:
    """``"50-66"``, ``"50–66"``, ``"67+"`` or an age in years (``"72"``) → its band."""
    match = _BAND.match(word.strip().strip("."))
    if match is None:
        return None
    low = int(match.group(1))
    if match.group(2) is not None:
        band = f"{low}-{int(match.group(2))}"
        return band if band in AGE_BANDS else None
    if word.strip().endswith("+"):
        return f"{low}+" if f"{low}+" in AGE_BANDS else None
    if low < YOUNGEST:
        return None
    for band in AGE_BANDS:
        start, _, end = band.replace("+", "-").partition("-")
        if int(start) <= low and (not end or low <= int(end)):
            return band
    return None
