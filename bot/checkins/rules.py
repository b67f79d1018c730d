"""Check-in decisions as pure functions: parsing schedules, reminder times, alert rules.

Nothing here does I/O; the service and the commands call these with values
they read from the database and the clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.core.parsing import ArgumentError
from bot.core.words import word_set, words

Marker = TypeVar("Marker")

MOOD_LOW = 1
MOOD_HIGH = 5
ALL_DAYS = frozenset(range(7))

# Monday is 0, as in datetime.weekday(). The words people type for them (English, Danish,
# Norwegian) are data: bot/locales/<lang>/words.toml.
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_WORDS: dict[str, int] = {
    word: day for day, name in enumerate(WEEKDAY_NAMES) for word in words(f"weekday.{name}")
}
WEEKDAY_GROUPS: dict[str, frozenset[int]] = {
    **{word: frozenset(range(5)) for word in words("checkins.weekdays")},
    **{word: frozenset({5, 6}) for word in words("checkins.weekend")},
}
DAILY_WORDS = word_set("checkins.daily")
WEEKLY_WORDS = word_set("checkins.weekly")
OFF_WORDS = word_set("checkins.off")
PLURAL_ENDINGS = ("ene", "er", "e")
FILLER_WORDS = word_set("checkins.time_filler")
_TIME = re.compile(r"^(?:kl\.?)?(\d{1,2})(?:[:.](\d{2}))?$")
_LIST_SPLIT = re.compile(r"[,;/+&\s]+")


@dataclass(frozen=True)
class ReminderRule:
    """When someone wants a reminder: on these weekdays (Monday 0), at this local time."""

    weekdays: frozenset[int]
    hour: int
    minute: int

    @property
    def is_daily(self) -> bool:
        return self.weekdays == ALL_DAYS

    @property
    def local_time(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    @property
    def days_code(self) -> str:
        """The weekdays as digits for storage, e.g. "03" for Monday and Thursday."""
        return "".join(str(day) for day in sorted(self.weekdays))

    @classmethod
    def from_stored(cls, days_code: str, local_time: str) -> ReminderRule:
        hour, minute = local_time.split(":")
        return cls(frozenset(int(c) for c in days_code), int(hour), int(minute))


def parse_time(token: str) -> tuple[int, int] | None:
    """``"08:30"``, ``"8.30"``, ``"kl. 9"`` → (hour, minute); None if it isn't a time of day."""
    match = _TIME.match(token.strip().casefold())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def parse_weekdays(words: Sequence[str]) -> frozenset[int] | None:
    """Day names in any of our languages (``mon,thu``, ``man tor``) → weekday numbers."""
    days: set[int] = set()
    for raw in words:
        for part in _LIST_SPLIT.split(raw.casefold()):
            word = part.strip(".")
            if not word or word in {"og", "and", "samt"}:
                continue
            if word in WEEKDAY_GROUPS:
                days |= WEEKDAY_GROUPS[word]
            elif word in WEEKDAY_WORDS:
                days.add(WEEKDAY_WORDS[word])
            elif (day := _plural_weekday(word)) is not None:
                days.add(day)
            else:
                return None
    return frozenset(days) or None


def _plural_weekday(word: str) -> int | None:
    """A day name in the plural: "mandage" (da), "mandager" (nb), "tirsdagene" (both)."""
    for ending in PLURAL_ENDINGS:
        stem = word.removesuffix(ending)
        if stem.endswith("dag") and stem in WEEKDAY_WORDS:
            return WEEKDAY_WORDS[stem]
    return None


def parse_schedule(text: str) -> ReminderRule | None:
    """A reminder rule from what follows ``checkin schedule``; None means "off".

    Accepts ``daily 08:30``, ``weekly mon,thu 19:00``, ``man,tor 19.00``,
    ``08:30`` (daily) and ``off``. Raises ArgumentError with a catalog key
    naming what to type instead.
    """
    words = text.replace(",", ", ").split()
    if not words:
        raise ArgumentError("checkin.schedule_help")
    lowered = [w.casefold().strip(",") for w in words]
    if lowered[0] in OFF_WORDS and len(lowered) == 1:
        return None
    *rest, last = lowered
    when = parse_time(last)
    if when is None:
        raise ArgumentError("checkin.bad_time", value=words[-1])
    rest = [w for w in rest if w and w not in FILLER_WORDS]
    if not rest or all(w in DAILY_WORDS for w in rest):
        return ReminderRule(ALL_DAYS, *when)
    if rest[0] in WEEKLY_WORDS:
        rest = rest[1:]
    if not rest:
        raise ArgumentError("checkin.need_days")
    days = parse_weekdays(rest)
    if days is None:
        raise ArgumentError("checkin.bad_days", value=" ".join(rest))
    return ReminderRule(days, *when)


# ---------------------------------------------------------------- times


def local_slot(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time on ``day``.

    A time that occurs twice (autumn) gives the first occurrence; a time that
    doesn't exist (spring) gives the first valid instant after it, i.e. the
    moment the clocks jump.
    """
    wall = datetime(day.year, day.month, day.day, hour, minute)  # noqa: DTZ001 - a wall time
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(first, other), max(first, other)
    # Local time rises monotonically across a gap: find the first second at or past ``wall``.
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high


def next_due(rule: ReminderRule, zone: ZoneInfo, after: datetime) -> datetime:
    """The first reminder instant strictly after ``after`` (aware UTC)."""
    start = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(9):
        day = start + timedelta(days=offset)
        if day.weekday() not in rule.weekdays:
            continue
        slot = local_slot(day, rule.hour, rule.minute, zone)
        if slot > after:
            return slot
    raise ValueError("a reminder rule needs at least one weekday")


def missed_scheduled_days(
    rule: ReminderRule,
    zone: ZoneInfo,
    *,
    scheduled_since: datetime,
    last_checkin: datetime | None,
    now: datetime,
    cap: int,
) -> int:
    """How many scheduled days in a row have passed without a check-in (at most ``cap``).

    A scheduled day counts once it is over in the person's zone, its reminder
    came after the schedule was made, and no check-in happened on or after it.
    """
    today = now.astimezone(zone).date()
    day = scheduled_since.astimezone(zone).date()
    if last_checkin is not None:
        day = max(day, last_checkin.astimezone(zone).date() + timedelta(days=1))
    missed = 0
    while day < today and missed < cap:
        if day.weekday() in rule.weekdays:
            slot = local_slot(day, rule.hour, rule.minute, zone)
            # Strictly after: a schedule made at its reminder's very instant starts tomorrow.
            if slot > scheduled_since:
                missed += 1
        day += timedelta(days=1)
    return missed


def missed_episode_start(scheduled_since: datetime, last_checkin: datetime | None) -> datetime:
    """Since when someone has been quiet: their last check-in, or when reminders began."""
    if last_checkin is None or last_checkin < scheduled_since:
        return scheduled_since
    return last_checkin


# ---------------------------------------------------------------- alerts


def low_mood_run_start(
    recent: Sequence[tuple[int, Marker]], *, low_max: int, streak: int
) -> Marker | None:
    """Where the current run of low moods began, if it is at least ``streak`` long.

    ``recent`` holds (mood, marker) pairs, newest first; the marker (a time,
    an id) of the run's first check-in identifies the episode, so a run that
    goes on raises one alert, not one per check-in.
    """
    run_start: Marker | None = None
    length = 0
    for mood, when in recent:
        if mood > low_max:
            break
        run_start = when
        length += 1
    if length >= streak:
        return run_start
    return None


def note_too_long(note: str, limit: int) -> bool:
    return len(note) > limit


def week_label(when: datetime) -> str:
    """ISO week like ``2026-W48`` (statistics)."""
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"
