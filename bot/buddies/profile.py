"""Reading a buddy profile from what people type: pure functions, no I/O.

Answers may come all at once (``languages=da,en contact=text,video``) or one
question at a time in the profile dialog. Words are accepted in Danish,
Norwegian and English; wrong words give a :class:`ProfileError` naming the
catalog message and the accepted words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from babel import Locale

from bot.buddies.scoring import AGE_BANDS, CONTACT_MODES, GENDERS, TIME_SLOTS, UNSAID
from bot.buddies.wishes import age_band, gender_word
from bot.core.answers import NO, SKIP, fold, vocabulary
from bot.core.words import word_set, word_table

FIELDS = (
    "languages",
    "interests",
    "contact",
    "times",
    "kind",
    "gender",
    "age",
    "wish_gender",
    "wish_age",
    "about",
)
OPTIONAL_FIELDS = ("interests", "gender", "age", "wish_gender", "wish_age", "about")
ABOUT_MAX = 200
INTEREST_MAX = 10
INTEREST_LENGTH = 30
SKIP_WORDS = word_set("buddies.skip")  # the words are data: bot/locales/<lang>/words.toml


def skipped(text: str) -> bool:
    """A question passed over: "-", or any way of saying skip or no (the answer words in
    ``bot/locales/<lang>/answers.toml``: "spring over", "hopp over", "nej tak"…)."""
    word = text.strip().casefold()
    # The whole answer must say it: "nej, jeg elsker hunde" is an answer, not a skip.
    return word in SKIP_WORDS or bool(vocabulary().of(fold(word)) & {SKIP, NO})


ALL_WORDS = word_set("buddies.all")

KEY_ALIASES = MappingProxyType(
    word_table(
        "buddies.profile_field",
        (
            "languages",
            "interests",
            "contact",
            "times",
            "kind",
            "about",
            "gender",
            "age",
            "wish_gender",
            "wish_age",
            "capacity",
            "consent",
        ),
    )
)
CONTACT_WORDS = MappingProxyType(word_table("buddies.contact", ("text", "voice", "video")))
KIND_WORDS = MappingProxyType(word_table("buddies.kind", ("volunteer", "peer", "any")))
DAY_WORDS = MappingProxyType(word_table("buddies.days", ("weekday", "weekend")))
PART_WORDS = MappingProxyType(
    word_table("buddies.part_of_day", ("morning", "afternoon", "evening"))
)
# Extra language words people type that the locale data doesn't list.
LANGUAGE_EXTRA = MappingProxyType(word_table("buddies.language", ("no", "fa", "ku", "prs", "sgn")))


class ProfileError(Exception):
    """A profile answer we can't read; ``key`` is the catalog message."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Profile:
    """A buddy profile; empty fields are not answered yet."""

    languages: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    contact: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    kind: str = ""
    about: str = ""
    gender: str = ""  # GENDERS, UNSAID, or "" when skipped
    age: str = ""  # an age band, never a birth date
    wish_gender: tuple[str, ...] = ()  # empty: any
    wish_age: tuple[str, ...] = ()
    answered: frozenset[str] = field(default_factory=frozenset)

    def with_answer(self, name: str, value: object) -> Profile:
        changes: dict[str, Any] = {name: value, "answered": self.answered | {name}}
        return replace(self, **changes)

    def to_data(self) -> dict[str, object]:
        return {
            "languages": list(self.languages),
            "interests": list(self.interests),
            "contact": list(self.contact),
            "times": list(self.times),
            "kind": self.kind,
            "about": self.about,
            "gender": self.gender,
            "age": self.age,
            "wish_gender": list(self.wish_gender),
            "wish_age": list(self.wish_age),
            "answered": sorted(self.answered),
        }

    @classmethod
    def from_data(cls, data: dict[str, object]) -> Profile:
        def items(name: str) -> tuple[str, ...]:
            value = data.get(name) or []
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        return cls(
            languages=items("languages"),
            interests=items("interests"),
            contact=items("contact"),
            times=items("times"),
            kind=str(data.get("kind") or ""),
            about=str(data.get("about") or ""),
            gender=str(data.get("gender") or ""),
            age=str(data.get("age") or ""),
            wish_gender=items("wish_gender"),
            wish_age=items("wish_age"),
            answered=frozenset(items("answered")),
        )

    def missing(self, volunteer: bool, optional: bool = True) -> list[str]:
        """The questions still to ask, in order (``optional``: also interests, gender, age,
        the wishes and about)."""
        wanted = [f for f in FIELDS if not (volunteer and f == "kind")]
        if not optional:
            wanted = [f for f in wanted if f not in OPTIONAL_FIELDS]
        return [f for f in wanted if f not in self.answered]


# ---------------------------------------------------------------- languages


@functools.cache
def _language_words() -> MappingProxyType[str, str]:
    """Every language name (da, nb, en locale data) and ISO code → our code."""
    words: dict[str, str] = {}
    for ui in ("en", "da", "nb"):
        for code, name in Locale.parse(ui).languages.items():
            if "_" in code or len(code) > 3:
                continue
            words.setdefault(name.casefold(), code)
            words.setdefault(code.casefold(), code)
    for code, extra in LANGUAGE_EXTRA.items():
        for word in (code, *extra):
            words[word.casefold()] = code
    for code in ("nb", "nn"):
        words[code] = "no"
    return MappingProxyType(words)


def language_code(word: str) -> str | None:
    """``"arabisk"`` / ``"Arabic"`` / ``"ar"`` → ``"ar"``; None when unknown."""
    return _language_words().get(word.strip().casefold())


def language_name(code: str, ui: str) -> str:
    """The name of a language in the user's language (``"ar"``, ``"da"`` → ``"arabisk"``)."""
    if code == "no":
        code = "nb" if ui != "en" else "no"
    names = Locale.parse({"da": "da", "nb": "nb"}.get(ui, "en")).languages
    if code == "nb" and ui == "nb":
        return "norsk"
    if code == "nb" and ui == "da":
        return "norsk"
    return str(names.get(code, code))


COMMON_LANGUAGES = ("da", "no", "en", "ar", "uk", "fa", "so", "tr", "pl", "de")


# ---------------------------------------------------------------- fields


def _split(text: str) -> list[str]:
    parts = re.split(r"[,;/+]|\s+og\s+|\s+and\s+|\s+", text.strip())
    return [p.strip().strip(".").casefold() for p in parts if p.strip().strip(".")]


def _lookup(word: str, table: MappingProxyType[str, tuple[str, ...]]) -> str | None:
    for canonical, aliases in table.items():
        if word == canonical or word in aliases:
            return canonical
    return None


def parse_languages(text: str) -> tuple[str, ...]:
    """One or more languages; ProfileError lists examples for an unknown one."""
    codes: list[str] = []
    for word in _split(text):
        code = language_code(word)
        if code is None:
            raise ProfileError("buddy.error.language", word=word)
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ProfileError("buddy.error.language_missing")
    return tuple(codes)


def parse_interests(text: str) -> tuple[str, ...]:
    """Free tags, lower case, hyphens for spaces inside a tag; at most ``INTEREST_MAX``."""
    if skipped(text):
        return ()
    tags: list[str] = []
    for part in re.split(r"[,;/]", text):
        tag = re.sub(r"[^\w\-]+", "-", part.strip().casefold()).strip("-")
        if tag.startswith("#"):
            tag = tag[1:]
        if tag and tag not in tags:
            tags.append(tag[:INTEREST_LENGTH])
    if len(tags) == 1 and " " in text.strip() and "," not in text:
        # "walks cooking films" typed with spaces: several tags.
        tags = list(dict.fromkeys(w for w in _split(text) if w))
    return tuple(tags[:INTEREST_MAX])


def parse_contact(text: str) -> tuple[str, ...]:
    words = _split(text)
    if any(w in ALL_WORDS for w in words):
        return CONTACT_MODES
    modes: list[str] = []
    for word in words:
        mode = _lookup(word, CONTACT_WORDS)
        if mode is None:
            raise ProfileError("buddy.error.contact", word=word)
        if mode not in modes:
            modes.append(mode)
    if not modes:
        raise ProfileError("buddy.error.contact", word=text)
    return tuple(m for m in CONTACT_MODES if m in modes)


def parse_times(text: str) -> tuple[str, ...]:
    """``weekday-evenings, weekend`` → slots; a day or part alone means all of its slots."""
    chosen: set[str] = set()
    items = [
        i for i in re.split(r"[,;/+]|\s+og\s+|\s+and\s+", text.strip().casefold()) if i.strip()
    ]
    for item in items:
        words = [w for w in re.split(r"[\s\-_]+", item.strip().strip(".")) if w]
        if any(w in ALL_WORDS for w in words):
            chosen.update(TIME_SLOTS)
            continue
        days: set[str] = set()
        parts: set[str] = set()
        for word in words:
            day, part = _lookup(word, DAY_WORDS), _lookup(word, PART_WORDS)
            if day:
                days.add(day)
            elif part:
                parts.add(part)
            else:
                raise ProfileError("buddy.error.times", word=word)
        for day in days or set(DAY_WORDS):
            for part in parts or set(PART_WORDS):
                chosen.add(f"{day}-{part}")
    if not chosen:
        raise ProfileError("buddy.error.times", word=text)
    return tuple(slot for slot in TIME_SLOTS if slot in chosen)


def parse_kind(text: str) -> str:
    word = text.strip().strip(".").casefold()
    kind = _lookup(word, KIND_WORDS)
    if kind is None:
        raise ProfileError("buddy.error.kind", word=word)
    return kind


def parse_about(text: str) -> str:
    line = " ".join(text.split())
    if skipped(line):
        return ""
    if len(line) > ABOUT_MAX:
        raise ProfileError("buddy.error.about_long", limit=ABOUT_MAX)
    return line


def parse_gender(text: str) -> str:
    """One's own gender: woman, man, non-binary or "prefer not to say"; skipping leaves
    it unanswered."""
    if skipped(text):
        return ""
    gender = gender_word(text)
    if gender is None:
        raise ProfileError("buddy.error.gender", word=text.strip())
    return gender


ANY_WISH_WORDS = frozenset(
    {"anyone", "anybody", "no wish", "ligegyldigt", "spiller ingen rolle", "ingen ønsker"}
)


def _any(text: str) -> bool:
    """No wish: "any", "lige meget", "spiller ingen rolle", or skipping the question."""
    word = " ".join(text.strip().strip(".").casefold().split())
    return word in ALL_WORDS | ANY_WISH_WORDS or word in KIND_WORDS["any"] or skipped(text)


def parse_wish_gender(text: str) -> tuple[str, ...]:
    """The genders a buddy may have; "any" (or skipping) wishes nothing."""
    if _any(text):
        return ()
    wished: set[str] = set()
    for part in re.split(r"[,;/+]|\s+og\s+|\s+and\s+|\s+eller\s+|\s+or\s+", text):
        if not part.strip():
            continue
        gender = gender_word(part)
        if gender is None or gender == UNSAID:
            raise ProfileError("buddy.error.wish_gender", word=part.strip())
        wished.add(gender)
    return tuple(g for g in GENDERS if g in wished)


def parse_age(text: str) -> str:
    """One's own age band (an age in years is read as its band and not kept)."""
    if skipped(text):
        return ""
    band = age_band(text)
    if band is None:
        raise ProfileError("buddy.error.age", word=text.strip(), bands=", ".join(AGE_BANDS))
    return band


def parse_wish_age(text: str) -> tuple[str, ...]:
    """The age bands a buddy may be in; "any" (or skipping) wishes nothing."""
    if _any(text):
        return ()
    wished: set[str] = set()
    for part in re.split(r"[,;/]|\s+og\s+|\s+and\s+|\s+eller\s+|\s+or\s+", text):
        if not part.strip():
            continue
        band = age_band(part)
        if band is None:
            raise ProfileError(
                "buddy.error.wish_age", word=part.strip(), bands=", ".join(AGE_BANDS)
            )
        wished.add(band)
    return tuple(b for b in AGE_BANDS if b in wished)


PARSERS = MappingProxyType(
    {
        "languages": parse_languages,
        "interests": parse_interests,
        "contact": parse_contact,
        "times": parse_times,
        "kind": parse_kind,
        "about": parse_about,
        "gender": parse_gender,
        "age": parse_age,
        "wish_gender": parse_wish_gender,
        "wish_age": parse_wish_age,
    }
)


def canonical_key(word: str) -> str | None:
    word = word.strip().casefold()
    if word in KEY_ALIASES:
        return word
    for key, aliases in KEY_ALIASES.items():
        if word in aliases:
            return key
    return None


_PAIR = re.compile(r'([^\s=]+)\s*=\s*("[^"]*"|“[^”]*”|\S+(?:\s*,\s*\S+)*)')


@dataclass(frozen=True)
class ParsedArguments:
    """What ``buddy join/volunteer`` was given at once."""

    profile: Profile
    capacity: int | None = None
    consent: bool | None = None


def parse_arguments(text: str, max_capacity: int) -> ParsedArguments:
    """``capacity 2 languages=da,en about="…"`` → profile answers; ProfileError otherwise."""
    profile = Profile()
    capacity: int | None = None
    consent: bool | None = None
    rest = text.strip()
    bare = re.match(r"^(capacity|kapacitet|kapasitet)\s+(\S+)\s*", rest, re.IGNORECASE)
    if bare:
        capacity = _capacity(bare.group(2), max_capacity)
        rest = rest[bare.end() :]
    position = 0
    for match in _PAIR.finditer(rest):
        if rest[position : match.start()].strip():
            raise ProfileError("buddy.error.key_value", word=rest[position : match.start()].strip())
        position = match.end()
        key = canonical_key(match.group(1))
        value = match.group(2).strip('"“”')
        if key is None:
            raise ProfileError("buddy.error.unknown_key", word=match.group(1))
        if key == "capacity":
            capacity = _capacity(value, max_capacity)
        elif key == "consent":
            consent = value.casefold() in ("yes", "ja", "on", "true", "1")
        else:
            profile = profile.with_answer(key, PARSERS[key](value))
    if rest[position:].strip():
        raise ProfileError("buddy.error.key_value", word=rest[position:].strip())
    return ParsedArguments(profile, capacity, consent)


def _capacity(word: str, max_capacity: int) -> int:
    try:
        value = int(word)
    except ValueError:
        raise ProfileError("buddy.error.capacity", high=max_capacity) from None
    if not 1 <= value <= max_capacity:
        raise ProfileError("buddy.error.capacity", high=max_capacity)
    return value


def shared(a: Iterable[str], b: Iterable[str]) -> list[str]:
    """What two lists have in common, in the first one's order."""
    second = set(b)
    return [x for x in a if x in second]
