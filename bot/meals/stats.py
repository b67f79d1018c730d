"""Anonymised aggregates for organisers, as typed tables: meals held, seats filled,
attendance, feedback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.tables import Mean, StatTable, Term, count, mean, text
from bot.meals.models import CANCELLED, JOINED, SCHEDULED, MealFeedback, MealOccurrence, MealRsvp


async def aggregates(session: AsyncSession, since: datetime, until: datetime) -> list[StatTable]:
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
                # People without an account who came with someone ("+1"): a number only.
                func.coalesce(func.sum(MealRsvp.companions).filter(MealRsvp.status == JOINED), 0),
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
    came, had_seat, companions = (int(v) for v in attendance)
    return [
        StatTable(
            "meals",
            "meal_occurrences",
            (text("status"), count("count")),
            ((Term("stats.term.held"), held), (Term("stats.term.cancelled"), int(cancelled))),
        ),
        StatTable(
            "meals",
            "meal_seats",
            (count("seats_filled"), count("seats_offered"), count("meals_held")),
            ((seats_filled, seats_offered, held),),
        ),
        StatTable(
            "meals",
            "meal_attendance",
            (count("had_seat"), count("came"), count("companions")),
            ((had_seat, came, companions),),
        ),
        StatTable(
            "meals",
            "meal_feedback",
            (text("rating"), count("count")),
            tuple((Term("stats.term.rating", int(r)), int(c)) for r, c in ratings),
        ),
        StatTable(
            "meals",
            "meal_feedback_average",
            (mean("average_rating"),),
            ((Mean(average, answers),),),
        ),
    ]
