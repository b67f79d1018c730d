"""Pure rules for shared meals: reading dates and times, recurrence in local time, tables.

Nothing here does I/O. Wrong input raises ``ArgumentError`` with a catalog key,
like the core's argument converters, so the dispatcher answers in the user's
language and nothing is saved.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.parsing import ArgumentError, Token, tokenize
from bot.core.words import word_index, word_set, words

if TYPE_CHECKING:  # the rules read a meal's fields; they never query or write
    from bot.meals.models import Meal, MealOccurrence

# Monday is 0; the words people type (English, Danish, Norwegian) are data, in
# bot/locales/<lang>/words.toml, as are the other words below.
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS: dict[str, int] = {
    word: number
    for number, name in enumerate(WEEKDAY_NAMES)
    for word in (*words(f"weekday.{name}"), *words(f"meals.weekday_short.{name}"))
}

# Words for today and tomorrow; two-word forms ("i morgen") are joined before lookup.
RELATIVE_DAYS = {
    word: ahead
    for ahead, name in enumerate(("today", "tomorrow", "day_after_tomorrow"))
    for word in words(f"meals.relative_day.{name}")
}
EVERY_WORDS = word_set("meals.every")
WEEK_WORDS = word_set("meals.week")
OTHER_WORDS = word_set("meals.other")
WEEKLY_WORDS = {
    **{word: 1 for word in words("meals.repeat.weekly")},
    **{word: 2 for word in words("meals.repeat.fortnightly")},
}
CAPACITY_WORDS = word_set("meals.capacity")
MINUTES_WORDS = word_set("meals.minutes")
VIDEO_WORDS = word_set("meals.video")
MINIMUM_WORDS = word_set("meals.minimum")
TIME_FILLERS = word_set("meals.time_filler")
VOICE = "voice"  # a voice channel the platform makes (where its adapter can)
VOICE_KINDS = frozenset({VOICE, "discord"})  # "discord": how meals made before said it
VIDEO_KINDS = ("jitsi", "element", VOICE)
VIDEO_ALIASES = word_index("meals.video_kind", VIDEO_KINDS)
MAX_WEEKS_APART = 4
MAX_DAYS_AHEAD = 366
CAPACITY_RANGE = (1, 1000)
MINUTES_RANGE = (10, 600)

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?\.?$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


# ---------------------------------------------------------------- dates and times


def parse_date(text: str, today: date) -> date:
    """A date from "2026-12-03", "3/12", "3.12.2026", a weekday or "tomorrow" in en/da/nb.

    A weekday means the next such day (today included); a day/month without a
    year means the next time that date comes (see :func:`read_date`).
    """
    return read_date(text, today)[0]


def read_date(text: str, today: date) -> tuple[date, bool]:
    """Like :func:`parse_date`, and whether a day/month that has passed this year was
    moved to next year (a guess the person should be asked about)."""
    word = " ".join(text.casefold().split()).rstrip(",")
    if word in RELATIVE_DAYS:
        return today + timedelta(days=RELATIVE_DAYS[word]), False
    if word.rstrip(".") in WEEKDAYS:
        ahead = (WEEKDAYS[word.rstrip(".")] - today.weekday()) % 7
        return today + timedelta(days=ahead), False
    match = _ISO_DATE.match(word)
    try:
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3))), False
        match = _DAY_MONTH.match(word)
        if match:
            day, month = int(match.group(1)), int(match.group(2))
            if match.group(3):
                year = int(match.group(3))
                return date(year + 2000 if year < 100 else year, month, day), False
            candidate = date(today.year, month, day)
            if candidate < today:
                return date(today.year + 1, month, day), True
            return candidate, False
    except ValueError:
        raise ArgumentError("meal.bad_date", value=text) from None
    raise ArgumentError("meal.bad_date", value=text)


def parse_time(text: str) -> time:
    """A local time "18:00" or "18.00"; 24:30 and 18:75 are refused."""
    match = _TIME.match(text.strip())
    if not match:
        raise ArgumentError("meal.bad_time", value=text)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ArgumentError("meal.bad_time", value=text)
    return time(hour, minute)


def local_start(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC moment of ``at`` on ``day`` in ``zone``.

    When clocks go back and the time happens twice, the first (summer-time)
    one is meant; when it doesn't exist (clocks go forward) the wall clock
    is read with the offset from before the change, i.e. one hour later.
    """
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def occurrence_starts(
    first_date: date,
    at: time,
    zone: ZoneInfo,
    every_weeks: int,
    *,
    after: datetime,
    until: datetime,
) -> list[datetime]:
    """Starts (UTC) of a meal strictly after ``after`` and no later than ``until``.

    Recurrence is counted in local dates, so a weekly 18:00 meal stays at
    18:00 on the wall clock across daylight-saving changes.
    """
    if every_weeks <= 0:
        start = local_start(first_date, at, zone)
        return [start] if after < start <= until else []
    step = timedelta(weeks=every_weeks)
    local_after = after.astimezone(zone).date()
    skip = max(0, (local_after - first_date).days // step.days - 1)
    day = first_date + skip * step
    starts: list[datetime] = []
    while True:
        start = local_start(day, at, zone)
        if start > until:
            return starts
        if start > after:
            starts.append(start)
        day += step


def is_occurrence_date(first_date: date, every_weeks: int, day: date) -> bool:
    """Whether a meal falls on ``day`` (a local date)."""
    if every_weeks <= 0:
        return day == first_date
    delta = (day - first_date).days
    return delta >= 0 and delta % (7 * every_weeks) == 0


# ---------------------------------------------------------------- video places


def video_choice(text: str, can_voice: bool) -> tuple[str, str]:
    """(kind, url) for "jitsi", "element", "voice" (the platform's own voice channel, where
    the platform can make one) or a web address."""
    word = text.strip()
    kind = VIDEO_ALIASES.get(word.casefold())
    if kind == VOICE and not can_voice:
        raise ArgumentError("meal.discord_only")
    if kind is not None:
        return kind, ""
    if _URL.match(word):
        return "url", word
    raise ArgumentError("meal.bad_video", value=text)


def is_link(text: str) -> bool:
    """Whether ``text`` is a web address a video link can be (http or https)."""
    return bool(_URL.match(text))


def video_link(kind: str, *, jitsi_base: str, element_base: str, room_name: str) -> str:
    """A call link for a generated room name (Jitsi or Element Call)."""
    if kind == "jitsi":
        return f"{jitsi_base.rstrip('/')}/{room_name}"
    if kind == "element":
        return f"{element_base.rstrip('/')}/room/#/{room_name}"
    raise ValueError(f"no generated link for {kind}")


# ---------------------------------------------------------------- scheduling


@dataclass(frozen=True)
class Limits:
    """What the config allows when scheduling."""

    title_max_length: int
    default_capacity: int
    default_minutes: int


@dataclass(frozen=True)
class MealRequest:
    """A meal as a host described it, checked and ready to store."""

    title: str
    first_date: date
    at: time
    every_weeks: int = 0
    capacity: int = 12
    minutes: int = 60
    video_kind: str = "jitsi"
    video_url: str = ""
    date_guessed: bool = False  # a passed day/month read as next year: ask before creating
    minimum: int = 0  # fewer joined a while before the start: the host is asked


def check_title(text: str, limits: Limits) -> str:
    title = " ".join(text.split())
    if not title:
        raise ArgumentError("meal.title_missing")
    if len(title) > limits.title_max_length:
        raise ArgumentError("meal.title_too_long", limit=limits.title_max_length)
    return title


def check_when(day: date, at: time, zone: ZoneInfo, now: datetime) -> datetime:
    """The start of a first occurrence; in the past or too far ahead is refused."""
    start = local_start(day, at, zone)
    if start <= now:
        raise ArgumentError("meal.date_past")
    if start - now > timedelta(days=MAX_DAYS_AHEAD):
        raise ArgumentError("meal.date_far", days=MAX_DAYS_AHEAD)
    return start


def parse_number(text: str, low: int, high: int, error: str) -> int:
    try:
        value = int(text.strip().rstrip("."))
    except ValueError:
        raise ArgumentError(error, low=low, high=high) from None
    if not low <= value <= high:
        raise ArgumentError(error, low=low, high=high)
    return value


def parse_minimum(text: str, capacity: int) -> int:
    """A meal's minimum size: from 0 (none) up to its seats."""
    return parse_number(text, 0, capacity, "meal.bad_minimum")


def parse_repeat(words: Sequence[str]) -> tuple[int, int]:
    """(weeks apart, words used) from "every week", "every 2 weeks", "hver anden uge"…"""
    first = words[0].casefold() if words else ""
    if first in WEEKLY_WORDS:
        return WEEKLY_WORDS[first], 1
    if first not in EVERY_WORDS or len(words) < 2:
        raise ArgumentError("meal.bad_repeat")
    second = words[1].casefold().rstrip(".")
    if second in WEEK_WORDS:
        return 1, 2
    if len(words) >= 3 and words[2].casefold() in WEEK_WORDS:
        if second in OTHER_WORDS:
            return 2, 3
        if second.isdigit() and 1 <= int(second) <= MAX_WEEKS_APART:
            return int(second), 3
    raise ArgumentError("meal.bad_repeat")


def _split_date(tokens: list[Token]) -> tuple[list[Token], str, list[Token]]:
    """(title tokens, date words, rest): the date is the first token that reads as one."""
    for index, token in enumerate(tokens):
        if index == 0 and len(tokens) > 1:
            continue  # the first word always belongs to the title
        word = token.text.casefold()
        pair = f"{word} {tokens[index + 1].text.casefold()}" if index + 1 < len(tokens) else ""
        if pair in RELATIVE_DAYS:
            return tokens[:index], pair, tokens[index + 2 :]
        if (
            word in RELATIVE_DAYS
            or word.rstrip(".,") in WEEKDAYS
            or _ISO_DATE.match(word)
            or _DAY_MONTH.match(word)
        ):
            return tokens[:index], word, tokens[index + 1 :]
    raise ArgumentError("meal.when_missing")


def parse_schedule(
    line: str, *, today: date, now: datetime, zone: ZoneInfo, can_voice: bool, limits: Limits
) -> MealRequest:
    """Read ``"<title>" <date|weekday> <HH:MM> [every week] [capacity N] [minutes N] [video X]``."""
    tokens = tokenize(line)
    if not tokens:
        raise ArgumentError()
    title_tokens, date_words, rest = _split_date(tokens)
    title = check_title(" ".join(t.text for t in title_tokens), limits)
    day, guessed = read_date(date_words, today)
    words = [t.text for t in rest]
    if words and words[0].casefold() in TIME_FILLERS:
        words = words[1:]
    if not words:
        raise ArgumentError("meal.time_missing")
    at = parse_time(words[0])
    check_when(day, at, zone, now)
    options = _Options(capacity=limits.default_capacity, minutes=limits.default_minutes)
    index = 1
    while index < len(words):
        index = options.take(words, index, can_voice)
    if options.minimum > options.capacity:  # "minimum 8 seats 6", in either order
        raise ArgumentError("meal.bad_minimum", low=0, high=options.capacity)
    return MealRequest(
        title=title,
        first_date=day,
        at=at,
        every_weeks=options.every_weeks,
        capacity=options.capacity,
        minutes=options.minutes,
        video_kind=options.video_kind,
        video_url=options.video_url,
        date_guessed=guessed,
        minimum=options.minimum,
    )


@dataclass
class _Options:
    capacity: int
    minutes: int
    every_weeks: int = 0
    video_kind: str = "jitsi"
    video_url: str = ""
    minimum: int = 0
    seen: set[str] = field(default_factory=set)

    def take(self, words: list[str], index: int, can_voice: bool) -> int:
        """Read one option starting at ``words[index]``; returns the index after it."""
        word = words[index].casefold()
        value = words[index + 1] if index + 1 < len(words) else ""
        if word in EVERY_WORDS or word in WEEKLY_WORDS:
            self.every_weeks, used = parse_repeat(words[index:])
            return index + used
        if word in CAPACITY_WORDS:
            self.capacity = parse_number(value, *CAPACITY_RANGE, "meal.bad_capacity")
            return index + 2
        if word in MINIMUM_WORDS:
            self.minimum = parse_minimum(value, self.capacity)
            return index + 2
        if word in MINUTES_WORDS:
            self.minutes = parse_number(value, *MINUTES_RANGE, "meal.bad_minutes")
            return index + 2
        if word in VIDEO_WORDS:
            if not value:
                raise ArgumentError("meal.bad_video", value="")
            self.video_kind, self.video_url = video_choice(value, can_voice)
            return index + 2
        raise ArgumentError("meal.bad_option", value=words[index])


# ---------------------------------------------------------------- tables


@dataclass(frozen=True)
class Seat:
    """Someone at a meal, in the order they joined."""

    person_id: int
    is_volunteer: bool = False
    companions: int = 0  # people without an account who come with them ("+1")


@dataclass(frozen=True)
class Table:
    """One table of a split meal; ``host`` is a volunteer at it, when there is one."""

    number: int
    seats: tuple[Seat, ...]
    host: int | None


def table_count(people: int, table_size: int) -> int:
    """How many tables ``people`` need so none has more than ``table_size``."""
    return max(1, math.ceil(people / table_size))


# ---------------------------------------------------------------- a meal's own times

HERE_EARLY = timedelta(minutes=15)  # "meal here" is accepted this long before the start
FEEDBACK_WINDOW = timedelta(days=7)  # feedback is accepted this long after a meal ends


def meal_zone(meal: Meal) -> ZoneInfo:
    return ZoneInfo(meal.timezone)


def local_day(meal: Meal, occurrence: MealOccurrence) -> str:
    """The occurrence's date in the meal's zone, as typed after a meal id."""
    return occurrence.starts_at.astimezone(meal_zone(meal)).date().isoformat()


def meal_time(meal: Meal) -> time:
    return time.fromisoformat(meal.local_time)


def ends_at(meal: Meal, occurrence: MealOccurrence) -> datetime:
    return occurrence.starts_at + timedelta(minutes=meal.minutes)


# ---------------------------------------------------------------- short ids

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to read aloud


def normalise_code(text: str) -> str:
    """A meal id as typed ("#K7QF", "k7qf") in its stored form."""
    return text.strip().lstrip("#").casefold()
