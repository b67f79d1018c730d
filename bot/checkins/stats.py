"""Anonymised check-in aggregates for organisers' statistics: counts only."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.models import CheckinEntry
from bot.checkins.rules import MOOD_HIGH, MOOD_LOW, week_label
from bot.core.clock import as_utc


async def checkin_aggregates(
    session: AsyncSession, since: datetime, until: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Check-ins and distinct people per ISO week, and how often each mood was given."""
    in_range = (CheckinEntry.created_at >= since, CheckinEntry.created_at < until)
    rows = await session.execute(
        select(CheckinEntry.created_at, CheckinEntry.person_id).where(*in_range)
    )
    per_week: Counter[str] = Counter()
    people: defaultdict[str, set[int]] = defaultdict(set)
    for created_at, person_id in rows.all():
        week = week_label(as_utc(created_at))
        per_week[week] += 1
        people[week].add(person_id)
    moods = await session.execute(
        select(CheckinEntry.mood, func.count()).where(*in_range).group_by(CheckinEntry.mood)
    )
    by_mood = {mood: count for mood, count in moods.all()}
    return {
        "checkins_per_week": [
            {"week": week, "checkins": per_week[week], "people": len(people[week])}
            for week in sorted(per_week)
        ],
        "mood_distribution": [
            {"mood": mood, "count": int(by_mood.get(mood, 0))}
            for mood in range(MOOD_LOW, MOOD_HIGH + 1)
        ],
    }
