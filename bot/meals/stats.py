"""Anonymised aggregates for organisers: meals held, seats filled, attendance, feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.meals.models import CANCELLED, JOINED, SCHEDULED, MealFeedback, MealOccurrence, MealRsvp


async def aggregates(
    session: AsyncSession, since: datetime, until: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Counts and averages only, for occurrences that started in [since, until)."""
    in_window = (MealOccurrence.starts_at >= since, MealOccurrence.starts_at < until)
    held_row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(MealOccurrence.taken), 0),
                func.coalesce(func.sum(MealOccurrence.capacity), 0),
            ).where(*in_window, MealOccurrence.status == SCHEDULED, MealOccurrence.taken > 0)
        )
    ).one()
    cancelled = (
        await session.execute(
            select(func.count()).where(*in_window, MealOccurrence.status == CANCELLED)
        )
    ).scalar_one()
    attendance = (
        await session.execute(
            select(
                func.count(MealRsvp.attended_at),
                func.count().filter(MealRsvp.status == JOINED),
            )
            .join(MealOccurrence, MealOccurrence.id == MealRsvp.occurrence_id)
            .where(*in_window, MealOccurrence.status == SCHEDULED)
        )
    ).one()
    ratings = (
        await session.execute(
            select(MealFeedback.rating, func.count())
            .join(MealOccurrence, MealOccurrence.id == MealFeedback.occurrence_id)
            .where(*in_window)
            .group_by(MealFeedback.rating)
            .order_by(MealFeedback.rating)
        )
    ).all()
    answers = sum(int(count) for _, count in ratings)
    average = round(sum(int(r) * int(c) for r, c in ratings) / answers, 2) if answers else None
    held, seats_filled, seats_offered = (int(v) for v in held_row)
    came, had_seat = (int(v) for v in attendance)
    return {
        "meal_occurrences": [
            {"status": "held", "count": held},
            {"status": "cancelled", "count": int(cancelled)},
        ],
        "meal_seats": [
            {"seats_filled": seats_filled, "seats_offered": seats_offered, "count": held}
        ],
        "meal_attendance": [{"had_seat": had_seat, "came": came, "count": came}],
        "meal_feedback": [
            {"rating": int(rating), "count": int(count)} for rating, count in ratings
        ],
        "meal_feedback_average": [{"average": average, "count": answers}],
    }
