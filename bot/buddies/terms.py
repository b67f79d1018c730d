"""Pure decisions about time in the buddy programme: when someone still waiting hears
why (and later that they are not forgotten), how long a pair's agreed term runs and
what both answers about going on mean, and the date a pause lasts until.

No I/O here; :mod:`jobs` and :mod:`service` load what these need and act on the answer.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.parsing import ArgumentError
from bot.core.words import word_index, word_set

FREQUENCIES = ("weekly", "fortnightly")
# The words are data (bot/locales/<lang>/words.toml).
FREQUENCY_WORDS = word_index("buddies.frequency", FREQUENCIES)
UNTIL_WORDS = word_set("buddies.until")

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?\.?$")


# ---------------------------------------------------------------- waiting


def waiting_notice(
    waiting_since: datetime, told_at: datetime | None, now: datetime, every_days: int
) -> str | None:
    """Which word someone still waiting after a round gets now, if any.

    ``"why"`` once, the first round they are left over in; after that, once they have
    waited ``every_days`` or longer, ``"not_forgotten"`` at most every ``every_days``.
    """
    if told_at is None or told_at < waiting_since:
        return "why"
    every = timedelta(days=every_days)
    if now - waiting_since >= every and now - told_at >= every:
        return "not_forgotten"
    return None


def waited_weeks(waiting_since: datetime, now: datetime) -> int:
    return max(int((now - waiting_since).total_seconds() // (7 * 86400)), 0)


def longest_waiting(
    waits: dict[int, datetime], now: datetime, limit: int
) -> list[tuple[int, float]]:
    """The ``limit`` people who have waited longest, with their days, longest first."""
    days = {pid: max((now - since).total_seconds() / 86400, 0.0) for pid, since in waits.items()}
    return sorted(days.items(), key=lambda item: (-item[1], item[0]))[:limit]


# ---------------------------------------------------------------- terms


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: datetime, months: int, zone: str, at: str) -> datetime:
    """The end of a term of ``months`` from ``start``: that local date at ``at`` ("HH:MM",
    the daily round's time, so the question and the goodbye come in the day), DST-correct.

    A wall time inside the spring-forward gap moves forward by the gap.
    """
    tz = ZoneInfo(zone)
    hour, minute = (int(x) for x in at.split(":"))
    day = add_months(start.astimezone(tz).date(), months)
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(start.tzinfo)


def extension_due(
    term_ends_at: datetime | None, asked_at: datetime | None, now: datetime, notice_days: int
) -> bool:
    """Time to ask both whether to go on: within ``notice_days`` of the end, asked once."""
    if term_ends_at is None or asked_at is not None:
        return False
    return now >= term_ends_at - timedelta(days=notice_days)


def extension_outcome(first: str | None, second: str | None) -> str:
    """``"extend"`` only when both said yes; ``"end"`` once anyone said no; else ``"open"``."""
    if first == "yes" and second == "yes":
        return "extend"
    if "no" in (first, second):
        return "end"
    return "open"


# ---------------------------------------------------------------- pause until


class PastDate(ArgumentError):
    """A pause date that has already passed, with the date that was probably meant."""


def parse_pause_date(text: str, today: date) -> date:
    """A date to pause until: "2027-01-10", "10/1", "10.1.2027".

    A day and month without a year is the next such date. A date that has passed raises
    :class:`PastDate` with the same day a year later as the likely meaning; today is
    refused the same way (a pause until today is no pause).
    """
    word = text.strip().casefold().rstrip(".")
    try:
        match = _ISO_DATE.match(word)
        if match:
            wanted = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        else:
            match = _DAY_MONTH.match(word)
            if not match:
                raise ArgumentError("buddy.error.pause_date", value=text)
            day, month = int(match.group(1)), int(match.group(2))
            if match.group(3):
                year = int(match.group(3))
                wanted = date(year + 2000 if year < 100 else year, month, day)
            else:
                wanted = date(today.year, month, day)
                if wanted <= today:
                    wanted = add_months(wanted, 12)
    except ValueError:
        raise ArgumentError("buddy.error.pause_date", value=text) from None
    if wanted <= today:
        meant = add_months(wanted, 12 * (today.year - wanted.year))
        if meant <= today:
            meant = add_months(meant, 12)
        raise PastDate("buddy.error.pause_past", value=text, meant=meant.isoformat())
    return wanted


def pause_ends(day: date, zone: str) -> datetime:
    """The start of ``day`` in ``zone``: matching resumes on the morning of that date."""
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(zone))
