"""Reading a typed answer to one of the meal questions: pure, no I/O.

A number is a number where a number is asked (seats, minutes); where options
are offered, an answer picks one by its position, by its label (any case,
without accents, or a beginning that fits one option only) or by a yes/no word.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.core.answers import match_answer, means
from bot.core.parsing import ArgumentError
from bot.core.words import word_set

# The words are data (bot/locales/<lang>/words.toml).
ALL_WORDS = word_set("meals.all_dates")
THIS_WORDS = word_set("meals.this_date")
SKIP_WORDS = word_set("meals.skip")


def plain(text: str) -> str:
    """Lower case, accents and surrounding punctuation taken off: "Ændr Dato!" -> "aendr dato"."""
    folded = text.casefold().strip(" .!?,;:\"'“”„")
    folded = folded.replace("æ", "ae").replace("ø", "o").replace("å", "aa")
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def is_yes(text: str) -> bool:
    """A yes in any of the languages (the shared answer words)."""
    return means(text, "yes")


def is_no(text: str) -> bool:
    """A no in any of the languages (the shared answer words)."""
    return means(text, "no")


def pick(text: str, labels: Sequence[str]) -> int | None:
    """The index of the option ``text`` names (the shared answer matching: its number,
    its label, a word meaning the same, or a unique beginning), else the one label
    that contains it ("pladser" for "Ret antal pladser")."""
    index = match_answer(text, labels).index
    if index is not None:
        return index
    answer = plain(text)
    if len(answer) < 3:
        return None
    containing = [i for i, label in enumerate(labels) if answer in plain(label)]
    return containing[0] if len(containing) == 1 else None


NUMBER_WORDS = word_set("meals.number_word")


def read_number(text: str, low: int, high: int, error: str) -> int:
    """A whole number as typed ("3", "3 seats", "90 min", "ca. 12"); its own value, never a
    position in a list. Anything else around it ("every 2 weeks") is refused, so an
    answer meant for another question is never read as a number."""
    numbers: list[int] = []
    for word in text.replace(",", " ").split():
        folded = word.casefold().strip(".:!")
        if folded.isdigit():
            numbers.append(int(folded))
        elif folded and folded not in NUMBER_WORDS:
            raise ArgumentError(error, low=low, high=high)
    if len(numbers) != 1 or not low <= numbers[0] <= high:
        raise ArgumentError(error, low=low, high=high)
    return numbers[0]
