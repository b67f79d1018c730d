"""Anonymised check-in aggregates for organisers' statistics, as typed tables: counts only.

The database does the counting: one indexed range scan grouped by ISO week,
so a year of millions of check-ins never travels into Python row by row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.checkins.models import CheckinEntry
from bot.checkins.rules import MOOD_HIGH, MOOD_LOW, week_label
from bot.core.tables import StatTable, Term, Week, count, text

# A Monday: ISO weeks start on Mondays, so whole weeks counted from here are ISO weeks.
WEEK_ZERO = date(1970, 1, 5)
_WEEK_ZERO_JULIAN_DAY = 2440591.5  # julianday('1970-01-05 00:00:00') in SQLite


def week_key(dialect: str) -> ColumnElement[Any]:
    """A SQL expression naming the ISO week of a check-in's UTC time, cheap to group by.

    PostgreSQL truncates to the week's Monday; SQLite counts whole weeks since
    WEEK_ZERO with julianday(), as it has no week truncation.
    """
    if dialect == "postgresql":
        return func.date_trunc("week", func.timezone("UTC", CheckinEntry.created_at))
    # SQLite keeps UTC times as naive text, which julianday() reads as UTC.
    days = func.julianday(CheckinEntry.created_at) - _WEEK_ZERO_JULIAN_DAY
    return cast(days / 7, Integer)


def label_of_week(key: int | datetime) -> str:
    """The ISO week label (``2026-W48``) of a value of :func:`week_key`."""
    if isinstance(key, datetime):
        return week_label(key)
    monday = WEEK_ZERO + timedelta(weeks=key)
    return week_label(datetime(monday.year, monday.month, monday.day, tzinfo=UTC))


async def checkin_aggregates(
    session: AsyncSession, since: datetime, until: datetime
) -> list[StatTable]:
    """Check-ins and distinct people per ISO week, and how often each mood was given."""
    week = week_key(session.get_bind().dialect.name).label("week")
    moods = range(MOOD_LOW, MOOD_HIGH + 1)
    rows = await session.execute(
        select(
            week,
            func.count(),
            func.count(CheckinEntry.person_id.distinct()),
            *(func.sum(case((CheckinEntry.mood == mood, 1), else_=0)) for mood in moods),
        )
        .where(CheckinEntry.created_at >= since, CheckinEntry.created_at < until)
        .group_by(week)
        .order_by(week)
    )
    per_week = []
    by_mood = dict.fromkeys(moods, 0)
    for number, checkins, people, *mood_counts in rows.all():
        per_week.append((Week.parse(label_of_week(number)), int(checkins), int(people)))
        for mood, mood_count in zip(moods, mood_counts, strict=True):
            by_mood[mood] += int(mood_count or 0)
    return [
        StatTable(
            "checkins",
            "checkins_per_week",
            (text("week"), count("checkins"), count("people")),
            tuple(per_week),
        ),
        StatTable(
            "checkins",
            "mood_distribution",
            (text("mood"), count("count")),
            tuple((Term("stats.term.mood", mood), by_mood[mood]) for mood in moods),
        ),
    ]
