"""Reading a typed answer to a question with choices, the way people actually type it.

``match_answer(text, labels)`` says which option a person meant: its number ("2",
"2."), its label in any case and without accents ("slet" for "Slet", "dårligt",
"daarligt" and "darligt" alike), a prefix unique among the labels ("hverdags" for
"Hverdagsaftener"), or a word that means the same as the option ("jep" for "Ja",
"skidt" for "2 · dårligt", "fine" for "4 · good"). It also recognises a request for
help and a wish to leave the question.

The words live in per-language data files (``bot/locales/<lang>/answers.toml``),
not in code: each file lists, by meaning (``yes``, ``no``, ``help``, ``cancel``,
``skip``, ``mood`` 1–5), what people write in that language. Every language's
words count everywhere, since people mix them.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.core.i18n import LOCALES_DIR

HELP = "help"
CANCEL = "cancel"
SKIP = "skip"
YES = "yes"
NO = "no"
NEGATION = "not"  # "ikke", "not": turns what follows around
_LONGEST_PHRASE = 6  # words in a known phrase
_LONGEST_ANSWER = 12  # words of an answer that are read
_LEADING_NUMBER = re.compile(r"^\d+\s*[·.):\-–]*\s*")
_PUNCTUATION = re.compile(r"[^\w\s'-]+")
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ß": "ss", "’": "'"})


def fold(text: str) -> str:
    """``text`` as compared: lower case, æ/ø/å as ae/oe/aa, accents and punctuation
    dropped, spaces collapsed ("Ja, SLET alt!" → "ja slet alt", "Dårligt" → "daarligt")."""
    text = text.casefold().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _PUNCTUATION.sub(" ", text)
    return " ".join(text.split())


def _loose(text: str) -> str:
    """The folded text with æ/ø/å typed as plain letters: "darligt" finds "daarligt",
    "prove" finds "proeve"."""
    return text.replace("aa", "a").replace("oe", "o").replace("ae", "a")


@dataclass(frozen=True)
class Vocabulary:
    """Folded words and phrases mapped to the meanings they have (any language)."""

    meanings: Mapping[str, frozenset[str]]

    def of(self, phrase: str) -> frozenset[str]:
        """The meanings of a folded phrase (empty when it has none)."""
        found = self.meanings.get(phrase)
        if found is None:
            found = self.meanings.get(_loose(phrase), frozenset())
        return found

    def of_answer(self, text: str) -> frozenset[str]:
        """What a folded answer means: the whole of it, else its longest known part,
        rightmost first ("jeg har det ikke så godt" → "ikke så godt", "I'm feeling fine
        today" → "fine"). A part after a negation ("not feeling good") means nothing:
        better to ask again than to get it backwards."""
        whole = self.of(text)
        if whole:
            return whole - {NEGATION}
        words = text.split()[:_LONGEST_ANSWER]
        for length in range(min(_LONGEST_PHRASE, len(words)), 0, -1):
            for start in range(len(words) - length, -1, -1):
                found = self.of(" ".join(words[start : start + length])) - {NEGATION}
                if not found:
                    continue
                if any(NEGATION in self.of(word) for word in words[:start]):
                    return frozenset()
                return found
        return frozenset()

    def of_label(self, label: str) -> frozenset[str]:
        """What an option means, from its label: "4 · godt" → mood 4, "Ja, slet alt" → yes."""
        plain = fold(_LEADING_NUMBER.sub("", label.strip()))
        if not plain:
            return frozenset()
        whole = self.of(plain)
        if whole:
            return whole
        first_part = fold(label.split(",")[0])
        found = self.of(fold(_LEADING_NUMBER.sub("", first_part)))
        if found:
            return found
        return self.of(plain.split()[0])


#: Tables of answers.toml read only where they are asked for (units of time, words for a
#: setting): their words never change what an answer to a question means.
OWN_TABLES = frozenset({"duration", "setting"})


def _read(path: Path) -> dict[str, list[str]]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    words: dict[str, list[str]] = {}
    for meaning, listed in data.items():
        if meaning in OWN_TABLES:
            continue
        if isinstance(listed, dict):  # [mood] 1 = [...]
            for number, inner in listed.items():
                words.setdefault(f"{meaning}_{number}", []).extend(inner)
        else:
            words.setdefault(meaning, []).extend(listed)
    return words


@cache
def vocabulary(directory: Path = LOCALES_DIR) -> Vocabulary:
    """Every language's answer words (``<lang>/answers.toml``), read once."""
    meanings: dict[str, set[str]] = {}
    for path in sorted(directory.glob("*/answers.toml")):
        for meaning, words in _read(path).items():
            for word in words:
                folded = fold(word) or word.strip()  # "?" stays itself
                meanings.setdefault(folded, set()).add(meaning)
                meanings.setdefault(_loose(folded), set()).add(meaning)
    return Vocabulary({phrase: frozenset(found) for phrase, found in meanings.items()})


@cache
def table_words(table: str, directory: Path = LOCALES_DIR) -> Vocabulary:
    """The words of one of the :data:`OWN_TABLES` in every language, by their key
    (``[duration] hour = [...]`` → "hour")."""
    meanings: dict[str, set[str]] = {}
    for path in sorted(directory.glob("*/answers.toml")):
        with path.open("rb") as handle:
            listed = tomllib.load(handle).get(table, {})
        for meaning, words in listed.items():
            for word in words:
                folded = fold(word) or word.strip()
                meanings.setdefault(folded, set()).add(meaning)
                meanings.setdefault(_loose(folded), set()).add(meaning)
    return Vocabulary({phrase: frozenset(found) for phrase, found in meanings.items()})


@dataclass(frozen=True)
class Answer:
    """What a typed answer meant: ``index`` of the option picked (0-based), or
    ``special`` ("help" or "cancel"); both empty when it matched nothing."""

    index: int | None = None
    special: str = ""
    out_of_range: bool = False  # a number, but not one of the options

    @property
    def matched(self) -> bool:
        return self.index is not None


def _number(text: str) -> int | None:
    stripped = text.strip().rstrip(".)").lstrip("#")
    if stripped.isascii() and stripped.isdigit():
        return int(stripped)
    return None


def _unique(candidates: Sequence[int]) -> int | None:
    found = sorted(set(candidates))
    return found[0] if len(found) == 1 else None


def _family(meaning: str) -> str:
    if meaning in (YES, NO):
        return "yes_no"
    return meaning.split("_")[0]


def _option_meanings(labels: Sequence[str], words: Vocabulary) -> list[frozenset[str]]:
    """Each option's meanings, read as the question as a whole reads: among moods,
    "3 · okay" is the middle mood and not also a yes."""
    found = [words.of_label(label) for label in labels]
    count: dict[str, int] = {}
    for meanings in found:
        for family in {_family(m) for m in meanings}:
            count[family] = count.get(family, 0) + 1
    kept = []
    for meanings in found:
        if not meanings:
            kept.append(meanings)
            continue
        best = max(count[_family(m)] for m in meanings)
        kept.append(frozenset(m for m in meanings if count[_family(m)] == best))
    return kept


def match_answer(text: str, labels: Sequence[str], words: Vocabulary | None = None) -> Answer:
    """Which of ``labels`` (the options as shown, in order) ``text`` picks.

    Tried in order: the number; the label itself (also without its leading number,
    without accents, "aa" or "å" typed as "a"); a word meaning the same as one option
    and no other; a prefix of one label and no other; then "help" and "cancel".
    """
    words = words or vocabulary()
    number = _number(text)
    if number is not None:
        if labels and all(_number(label) is not None for label in labels):
            # The choices are numbers themselves (seats, minutes): a number is a number,
            # never the position of an option ("3" is three seats, not the third choice).
            same = [i for i, label in enumerate(labels) if _number(label) == number]
            return Answer(index=same[0]) if same else Answer()
        if 1 <= number <= len(labels):
            return Answer(index=number - 1)
        return Answer(out_of_range=True)
    if text.strip() == "?":
        return Answer(special=HELP)
    typed = fold(text)
    if not typed:
        return Answer()
    folded = [fold(label) for label in labels]
    plain = [fold(_LEADING_NUMBER.sub("", label.strip())) for label in labels]
    for forms in (folded, plain):
        exact = _unique([i for i, form in enumerate(forms) if typed in (form, _loose(form))])
        if exact is not None:
            return Answer(index=exact)
    loose = _loose(typed)
    exact = _unique([i for i, form in enumerate(plain) if loose == _loose(form)])
    if exact is not None:
        return Answer(index=exact)
    meant = words.of_answer(typed)
    if meant:
        options = _option_meanings(labels, words)
        by_meaning = _unique([i for i, found in enumerate(options) if found & meant])
        if by_meaning is not None:
            return Answer(index=by_meaning)
    if len(loose) >= 2:
        prefixed = _unique(
            [
                i
                for i, form in enumerate(plain)
                if _loose(form).startswith(loose) or _loose(folded[i]).startswith(loose)
            ]
        )
        if prefixed is not None:
            return Answer(index=prefixed)
    for special in (HELP, CANCEL):
        if special in words.of(typed) or special in words.of(loose):
            return Answer(special=special)
    return Answer()


def means(text: str, meaning: str, words: Vocabulary | None = None) -> bool:
    """Whether a typed text means ``meaning`` ("yes", "no", "help", "cancel", "skip",
    "mood_4"), for questions without listed options (a free-text step's "skip")."""
    words = words or vocabulary()
    typed = fold(text)
    return bool(typed) and meaning in words.of_answer(typed)


def mood_of(text: str, words: Vocabulary | None = None) -> int | None:
    """The mood 1–5 a typed answer describes ("skidt" → 2, "super" → 5), or None."""
    words = words or vocabulary()
    typed = fold(text)
    moods = (
        {int(m[5:]) for m in words.of_answer(typed) if m.startswith("mood_")} if typed else set()
    )
    return moods.pop() if len(moods) == 1 else None
