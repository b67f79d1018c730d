"""An iCalendar file for a meal: the community's time zone, RRULE for a series, EXDATE for
cancelled dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from bot.meals.models import Meal
from bot.meals.rules import local_start


def meal_calendar(
    meal: Meal,
    *,
    cancelled: Sequence[datetime],
    last_start: datetime | None,
    link: str,
    description: str,
    now: datetime,
) -> bytes:
    """The .ics bytes for ``meal``.

    ``cancelled`` are starts (UTC) of cancelled dates; ``last_start`` ends a
    series that was cancelled as a whole (None: it goes on).
    """
    zone = ZoneInfo(meal.timezone)
    first = local_start(
        date.fromisoformat(meal.first_date), time.fromisoformat(meal.local_time), zone
    ).astimezone(zone)
    calendar = Calendar()
    calendar.add("prodid", "-//Samvaer//meals//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"meal-{meal.code}@samvaer")
    event.add("dtstamp", now)
    event.add("summary", meal.title)
    event.add("dtstart", first)
    event.add("dtend", first + timedelta(minutes=meal.minutes))
    if description:
        event.add("description", description)
    if link:
        event.add("url", link)
        event.add("location", link)
    if meal.every_weeks > 0:
        rule: dict[str, object] = {"freq": "weekly", "interval": meal.every_weeks}
        if last_start is not None:
            rule["until"] = last_start.astimezone(UTC)
        event.add("rrule", rule)
        if cancelled:
            event.add("exdate", [start.astimezone(zone) for start in sorted(cancelled)])
    calendar.add_component(event)
    # Transitions from the year before the first meal are enough for any calendar.
    calendar.add_missing_timezones(first_date=date(first.year - 1, 1, 1))
    return bytes(calendar.to_ical())
