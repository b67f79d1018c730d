"""Pure rules of the impact measure: the items and their scales, when rounds are due,
whether someone may be asked now, and reading a typed answer. No I/O."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# The three items of the UCLA Loneliness Scale, short form (Hughes et al. 2004), each
# scored 1 (hardly ever) to 3 (often), and the direct question, 1 (never) to 5 (always).
UCLA_ITEMS = ("companionship", "left_out", "isolated")
DIRECT_ITEM = "lonely"
ITEMS = (*UCLA_ITEMS, DIRECT_ITEM)
SCALE = {"companionship": 3, "left_out": 3, "isolated": 3, "lonely": 5}
UCLA_MIN, UCLA_MAX = 3, 9
SKIP = "skip"

# The volunteers' pulse.
HOW_SCALE = 5
SUPPORT_CHOICES = ("no", "anon", "named")
HOURS_CHOICES = (1.0, 2.0, 3.0, 5.0, 8.0, 12.0)
HOURS_MAX = 200.0
PULSE_STEPS = ("how", "support", "hours")


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def round_due(start: datetime, month: int, timezone: str) -> datetime:
    """When the round ``month`` months after joining is due: the same local time of day,
    ``month`` calendar months later in the person's zone (right across daylight saving)."""
    if month == 0:
        return start
    zone = ZoneInfo(timezone)
    local = start.astimezone(zone)
    later = datetime.combine(add_months(local.date(), month), local.time(), tzinfo=zone)
    return later.astimezone(UTC)


def months_of(follow_ups: tuple[int, ...]) -> tuple[int, ...]:
    """The rounds: at joining (0) and each follow-up month."""
    return (0, *follow_ups)


@dataclass(frozen=True)
class AskState:
    """What decides whether someone may be asked now."""

    last_asked_at: datetime | None
    paused_until: datetime | None


def may_ask(state: AskState, now: datetime, min_days: int) -> bool:
    """Never more than once in ``min_days`` days, and never while paused after a crisis."""
    if state.paused_until is not None and now < state.paused_until:
        return False
    return state.last_asked_at is None or now - state.last_asked_at >= timedelta(days=min_days)


def window_closed(due_at: datetime, now: datetime, window_days: int) -> bool:
    """A round not begun within its window is left out (never chased)."""
    return now >= due_at + timedelta(days=window_days)


def ucla_score(answers: dict[str, int | None]) -> int | None:
    """The sum of the three UCLA items (3–9), or None when any is missing."""
    values = [answers.get(item) for item in UCLA_ITEMS]
    if any(value is None for value in values):
        return None
    return sum(value for value in values if value is not None)


def read_answer(text: str, item: str, labels: list[str], skip_words: frozenset[str]) -> int | str:
    """A typed or tapped answer: the number, or the label (any case); ``SKIP`` to skip.

    Returns the value, ``SKIP``, or "" when it isn't an answer to this item.
    """
    word = text.casefold().strip(" .!?")
    if word in skip_words:
        return SKIP
    if word.isdigit() and 1 <= int(word) <= SCALE[item]:
        return int(word)
    for value, label in enumerate(labels, start=1):
        if word == label.casefold():
            return value
    return ""


def read_hours(text: str) -> float | None:
    """Hours given, typed like ``3``, ``2.5`` or ``2,5``; None when not a sensible number."""
    word = text.strip().replace(",", ".").rstrip("th ").strip()
    try:
        hours = float(word)
    except ValueError:
        return None
    if not 0 < hours <= HOURS_MAX:
        return None
    return round(hours, 1)


def pair_months_due(matched_at: datetime, ended_at: datetime | None, now: datetime) -> int:
    """How many whole months (of 30 days) a volunteer has had with a buddy by ``now``."""
    until = min(now, ended_at) if ended_at is not None else now
    return max(0, (until - matched_at).days // 30)
