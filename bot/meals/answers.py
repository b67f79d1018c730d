"""Reading a typed answer to one of the meal questions: pure, no I/O.

A number is a number where a number is asked (seats, minutes); where options
are offered, an answer picks one by its position, by its label (any case,
without accents, or a beginning that fits one option only) or by a yes/no word.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.core.parsing import ArgumentError

YES_WORDS = frozenset(
    {"yes", "y", "ok", "okay", "sure", "ja", "jo", "jep", "jepp", "yep", "javel", "gerne", "gjerne"}
)
NO_WORDS = frozenset({"no", "n", "nej", "nei", "nope", "nix", "næ", "ikke"})
ALL_WORDS = frozenset(
    {"all", "alle", "every", "hver", "always", "altid", "alltid", "series", "every date"}
)
THIS_WORDS = frozenset({"this", "once", "only", "denne", "dette", "kun", "bare", "den", "en"})
SKIP_WORDS = frozenset({"no", "nej", "nei", "skip", "spring over", "hopp over", "-", "nope", "ok"})


def plain(text: str) -> str:
    """Lower case, accents and surrounding punctuation taken off: "Ændr Dato!" -> "aendr dato"."""
    folded = text.casefold().strip(" .!?,;:\"'“”„")
    folded = folded.replace("æ", "ae").replace("ø", "o").replace("å", "aa")
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def is_yes(text: str) -> bool:
    return plain(text) in {plain(word) for word in YES_WORDS}


def is_no(text: str) -> bool:
    return plain(text) in {plain(word) for word in NO_WORDS}


def pick(text: str, labels: Sequence[str]) -> int | None:
    """The index of the option ``text`` names: its number, its label, or a unique beginning."""
    answer = plain(text)
    if not answer:
        return None
    if answer.isdigit():
        number = int(answer)
        return number - 1 if 1 <= number <= len(labels) else None
    names = [plain(label) for label in labels]
    if answer in names:
        return names.index(answer)
    starting = [i for i, name in enumerate(names) if name.startswith(answer)]
    if len(starting) == 1:
        return starting[0]
    containing = [i for i, name in enumerate(names) if len(answer) >= 3 and answer in name]
    if len(containing) == 1:
        return containing[0]
    return None


NUMBER_WORDS = frozenset(
    {
        "seat", "seats", "plads", "pladser", "plass", "plasser", "people", "persons",
        "personer", "mennesker", "min", "mins", "minute", "minutes", "minut", "minutter",
        "ca", "cirka", "about", "around", "omkring", "rundt", "~",
    }
)  # fmt: skip


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
