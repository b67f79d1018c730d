"""Crisis detection over how people actually write.

Each language has a phrase file (``bot/safety/phrases/<lang>.toml``) that a
safeguarding lead can read and extend. A phrase is a short pattern of terms
matched in order over a small window of words, after the message and the
pattern are normalised the same way:

- Unicode folded (NFKC), lower case, apostrophes dropped, emoji and
  punctuation ignored;
- each word stemmed with that language's Snowball stemmer, so "pillerne",
  "piller" and "pille" meet;
- æ/ae, ø/oe/ö, å/aa folded to plain a/o, so "doe", "do" and "dø" meet;
- runs of three or more of one letter squeezed ("dööö", "pleeease");
- a few emoji read as words of their own (``EMOJI_WORDS``: 🩸 is "emojiblood").

Pattern syntax, one pattern per string::

    vil|ønsker dø            terms in order; "a|b" is either word
    selvmord*                a word that starts with "selvmord" (not stemmed)
    ikke leve ~3             up to 3 other words between terms (default 2)
    tog # pamol              "#" is a number of 10 or more ("tog 30 pamol")

A message matches when some pattern matches after the spans of the
language's ``exclude`` patterns (figurative speech: "jeg dør af grin") are
taken out. Detection needs no database and no I/O after start-up.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import snowballstemmer

from bot.core.words import words_by_language

PHRASES_DIR = Path(__file__).resolve().parent / "phrases"
MODEL_PATH = Path(__file__).resolve().parent / "model.toml"
STEMMERS = {"da": "danish", "nb": "norwegian", "en": "english"}
DEFAULT_GAP = 2
CATEGORIES = ("suicidal", "self_harm", "overdose", "farewell", "burden", "danger")

_FOLDS = str.maketrans({"æ": "a", "ø": "o", "å": "a", "ö": "o", "ä": "a", "ü": "u", "é": "e"})
_DIGRAPHS = re.compile(r"ae|oe|aa")
_REPEATS = re.compile(r"(.)\1{2,}")
_WORD = re.compile(r"[^\W_]+")
_GAP = re.compile(r"^~(\d+)$")
# Emoji that people write instead of words become words of their own, so phrases and
# the net can see them ("🔪🩸 igen", "💊💊💊💊 all gone").
EMOJI_WORDS = {
    "🩸": "emojiblood",
    "🔪": "emojiknife",
    "💊": "emojipill",
    "⚰": "emojicoffin",
    "🪦": "emojigrave",
    "🪢": "emojirope",
    "🔫": "emojigun",
    "💀": "emojiskull",
    "🖤": "emojiblackheart",
    "👋": "emojiwave",
    "🕊": "emojidove",
}
_EMOJI = str.maketrans({emoji: f" {word} " for emoji, word in EMOJI_WORDS.items()})


def fold(word: str) -> str:
    """The spelling-insensitive form of a lower-case word: æøå and their ASCII forms meet."""
    word = word.translate(_FOLDS)
    word = _DIGRAPHS.sub(lambda m: m.group(0)[0], word)
    return _REPEATS.sub(r"\1", word)


def words_of(text: str) -> list[str]:
    """The lower-case words of ``text``: apostrophes dropped, punctuation and emoji gone
    except the few in ``EMOJI_WORDS``, which become words."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_EMOJI)
    text = text.replace("’", "").replace("'", "").replace("`", "")
    return _WORD.findall(text)


@cache
def _stemmer(lang: str) -> snowballstemmer.Stemmer:
    return snowballstemmer.stemmer(STEMMERS.get(lang, "english"))


@dataclass(frozen=True)
class Term:
    """One position of a pattern: whole (stemmed, folded) words or word prefixes."""

    stems: frozenset[str]
    prefixes: tuple[str, ...]
    gap: int  # other words allowed before this term (ignored for the first)
    number: bool = False  # a number of 10 or more

    def matches(self, stem: str, folded: str) -> bool:
        if stem in self.stems or any(folded.startswith(p) for p in self.prefixes):
            return True
        return self.number and folded.isdigit() and int(folded) >= 10


@dataclass(frozen=True)
class Pattern:
    """A phrase pattern of one language and category."""

    source: str
    category: str
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class CrisisMatch:
    """What was found: the language whose phrase matched, its category and the phrase."""

    language: str
    category: str
    phrase: str


@lru_cache(maxsize=65536)
def _normal_stem(lang: str, word: str) -> str:
    return fold(_stemmer(lang).stemWord(word))


@lru_cache(maxsize=65536)
def _fold_cached(word: str) -> str:
    return fold(word)


def compile_pattern(lang: str, source: str, category: str) -> Pattern:
    """A pattern from its written form; raises ValueError on an empty or malformed one."""
    terms: list[Term] = []
    gap = DEFAULT_GAP
    for chunk in source.split():
        gap_match = _GAP.match(chunk)
        if gap_match:
            gap = int(gap_match.group(1))
            continue
        stems: set[str] = set()
        prefixes: list[str] = []
        number = False
        for alternative in chunk.split("|"):
            if alternative == "#":
                number = True
                continue
            if alternative.endswith("*"):
                word = "".join(words_of(alternative[:-1]))
                if word:
                    prefixes.append(fold(word))
                continue
            for word in words_of(alternative):
                stems.add(_normal_stem(lang, word))
        if not stems and not prefixes and not number:
            raise ValueError(f"crisis phrase {source!r} has an empty term {chunk!r}")
        if "_" in chunk:
            raise ValueError(f"crisis phrase {source!r}: write words apart, not joined by _")
        terms.append(Term(frozenset(stems), tuple(prefixes), gap, number))
        gap = DEFAULT_GAP
    if not terms:
        raise ValueError(f"crisis phrase {source!r} is empty")
    return Pattern(source, category, tuple(terms))


class PatternIndex:
    """Patterns by their first term, so each word looks up only the patterns it can start."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.by_stem: dict[str, list[Pattern]] = {}
        # Prefix patterns by their first two letters: one dict lookup per word.
        self.by_prefix: dict[str, list[tuple[str, Pattern]]] = {}
        self.numbered: list[Pattern] = []
        for pattern in patterns:
            first = pattern.terms[0]
            for stem in first.stems:
                self.by_stem.setdefault(stem, []).append(pattern)
            for prefix in first.prefixes:
                self.by_prefix.setdefault(prefix[:2], []).append((prefix, pattern))
            if first.number:
                self.numbered.append(pattern)

    def starting_at(
        self, stems: Sequence[str], folded: Sequence[str]
    ) -> Iterable[tuple[Pattern, list[int]]]:
        """Every (pattern, positions) match, in the order the matches start."""
        for start, (stem, fold_word) in enumerate(zip(stems, folded, strict=True)):
            candidates = list(self.by_stem.get(stem, ()))
            for prefix, pattern in self.by_prefix.get(fold_word[:2], ()):
                if fold_word.startswith(prefix):
                    candidates.append(pattern)
            if fold_word.isdigit():
                candidates += self.numbered
            for pattern in candidates:
                rest = _match_from(pattern.terms, 1, start, stems, folded)
                if rest is not None:
                    yield pattern, [start, *rest]


@dataclass
class LanguagePhrases:
    """The compiled patterns of one language and its figurative exclusions."""

    lang: str
    patterns: list[Pattern] = field(default_factory=list)
    excludes: list[Pattern] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._index()

    def _index(self) -> None:
        self._patterns = PatternIndex(self.patterns)
        self._excludes = PatternIndex(self.excludes)

    def add(self, pattern: Pattern) -> None:
        self.patterns.append(pattern)
        self._index()

    def _normal(self, words: Sequence[str]) -> tuple[list[str], list[str]]:
        return [_normal_stem(self.lang, w) for w in words], [_fold_cached(w) for w in words]

    def excluded(self, words: Sequence[str]) -> set[int]:
        """Positions of words inside this language's figurative spans ("dør af grin")."""
        positions: set[int] = set()
        for _pattern, matched in self._excludes.starting_at(*self._normal(words)):
            positions.update(range(matched[0], matched[-1] + 1))
        return positions

    def find(self, words: Sequence[str]) -> Pattern | None:
        """The first pattern that matches these words."""
        for pattern, _matched in self._patterns.starting_at(*self._normal(words)):
            return pattern
        return None


def _match_from(
    terms: Sequence[Term], index: int, position: int, stems: Sequence[str], folded: Sequence[str]
) -> list[int] | None:
    """Positions of terms[index:] matched after ``position`` (the previous term's place)."""
    if index == len(terms):
        return []
    term = terms[index]
    last = min(len(stems) - 1, position + 1 + term.gap)
    for next_position in range(position + 1, last + 1):
        if term.matches(stems[next_position], folded[next_position]):
            rest = _match_from(terms, index + 1, next_position, stems, folded)
            if rest is not None:
                return [next_position, *rest]
    return None


def load_phrase_file(lang: str, path: Path) -> LanguagePhrases:
    """One language's phrases from a TOML file: ``[phrases] <category> = [...]``, ``exclude``."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    phrases = LanguagePhrases(lang)
    for category, sources in data.get("phrases", {}).items():
        if category not in CATEGORIES:
            raise ValueError(f"{path.name}: unknown crisis category {category!r}")
        for source in sources:
            phrases.patterns.append(compile_pattern(lang, source, category))
    for source in data.get("exclude", {}).get("phrases", ()):
        phrases.excludes.append(compile_pattern(lang, source, "exclude"))
    phrases._index()
    return phrases


def message_features(text: str) -> set[str]:
    """The words (stemmed in each language) and word pairs of a message, for the model."""
    words = words_of(text)
    found: set[str] = set()
    shortest: list[str] = []
    for word in words:
        stems = {_normal_stem(lang, word) for lang in STEMMERS}
        found.update(f"w:{stem}" for stem in stems)
        shortest.append(min(stems, key=lambda stem: (len(stem), stem)))
    found.update(f"b:{a}_{b}" for a, b in itertools.pairwise(shortest))
    return found


# Small words that tell the three languages apart well enough to pick a reply language.
# They are data: ``language_hint`` in bot/locales/<lang>/words.toml.
# On a tie the first listed wins: Danish, then Norwegian, then English.
_LANGUAGE_HINTS = {
    lang: frozenset(words_by_language("language_hint")[lang]) for lang in ("da", "nb", "en")
}


def guess_language(text: str) -> str:
    """The language a message most likely is in (da, nb or en)."""
    words = set(words_of(text))
    return max(_LANGUAGE_HINTS, key=lambda lang: len(words & _LANGUAGE_HINTS[lang]))


@dataclass(frozen=True)
class CrisisModel:
    """The second net: words and weights learned from the labelled corpora (a logistic
    regression and a naive Bayes, averaged into one table by tools/train_crisis_model.py).

    A message is caught when the chance it gives is at least its language's threshold
    (chosen when training, so that a writer the net never saw gets few false alarms).
    """

    weights: Mapping[str, float]
    bias: float
    thresholds: Mapping[str, float]

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> CrisisModel:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        threshold = data["threshold"]
        if isinstance(threshold, int | float):  # one threshold for every language
            threshold = dict.fromkeys(STEMMERS, threshold)
        return cls(
            dict(data["weights"]),
            float(data["bias"]),
            {lang: float(value) for lang, value in threshold.items()},
        )

    def score(self, text: str) -> float:
        """The net's log-odds that ``text`` is a crisis."""
        return self.bias + sum(self.weights.get(f, 0.0) for f in message_features(text))

    def chance(self, text: str) -> float:
        """How likely the model finds ``text`` to be a crisis, 0 to 1."""
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, self.score(text)))))

    def threshold(self, lang: str) -> float:
        """The chance at which a message in ``lang`` is caught (the strictest if unknown)."""
        return self.thresholds.get(lang, max(self.thresholds.values(), default=0.5))


class CrisisDetector:
    """Finds crisis phrases in any of the known languages."""

    def __init__(
        self, languages: Mapping[str, LanguagePhrases], model: CrisisModel | None = None
    ) -> None:
        self.languages = dict(languages)
        self.model = model

    @classmethod
    def from_files(
        cls,
        directory: Path = PHRASES_DIR,
        extra: Mapping[str, Sequence[str]] | None = None,
        extra_files: Sequence[Path] = (),
        model: Path | None = MODEL_PATH,
    ) -> CrisisDetector:
        """The shipped phrase files, plus phrases and files an organisation adds in config,
        and the learned second net (``model=None`` for phrases only)."""
        languages = {
            path.stem: load_phrase_file(path.stem, path)
            for path in sorted(directory.glob("*.toml"))
        }
        for path in extra_files:
            lang = path.stem.split(".")[0]
            added = load_phrase_file(lang, path)
            own = languages.setdefault(lang, LanguagePhrases(lang))
            own.patterns.extend(added.patterns)
            own.excludes.extend(added.excludes)
            own._index()
        for lang, sources in (extra or {}).items():
            own = languages.setdefault(lang, LanguagePhrases(lang))
            for source in sources:
                own.add(compile_pattern(lang, source, "suicidal"))
        learned = CrisisModel.load(model) if model is not None and model.exists() else None
        return cls(languages, learned)

    def literal_words(self, text: str) -> list[str]:
        """The words of ``text`` with figurative spans ("jeg dør af grin") taken out."""
        words = words_of(text)
        # Figurative speech in any language is taken out before any language looks:
        # a Danish "begår selvmord, skrev avisen" must not be caught by a Norwegian phrase.
        excluded: set[int] = set()
        for phrases in self.languages.values():
            excluded |= phrases.excluded(words)
        return [w for i, w in enumerate(words) if i not in excluded]

    def find_phrase(self, words: Sequence[str], prefer: str | None = None) -> CrisisMatch | None:
        """The first phrase that matches these (literal) words, ``prefer`` language first."""
        order = sorted(self.languages, key=lambda lang: lang != prefer)
        for lang in order:
            pattern = self.languages[lang].find(words)
            if pattern is not None:
                return CrisisMatch(lang, pattern.category, pattern.source)
        return None

    def detect(self, text: str, prefer: str | None = None) -> CrisisMatch | None:
        """The crisis phrase in ``text``, trying the ``prefer`` language first; else None."""
        words = self.literal_words(text)
        if not words:
            return None
        found = self.find_phrase(words, prefer)
        if found is not None:
            return found
        # Nobody wrote this wording down: the learned net looks at the whole message
        # (figurative spans taken out, as for the phrases).
        if self.model is not None:
            lang = guess_language(text)
            if prefer is not None and prefer in self.model.thresholds:
                lang = prefer
            if self.model.chance(" ".join(words)) >= self.model.threshold(lang):
                return CrisisMatch(lang if prefer is None else prefer, "learned", "")
        return None


@cache
def default_detector() -> CrisisDetector:
    """The detector with the shipped phrase files only (tests and tools)."""
    return CrisisDetector.from_files()
