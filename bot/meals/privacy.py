"""Personal data in shared meals: what ``mydata`` shows, what ``forget`` erases, and retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.meals import reminder_choice
from bot.meals.load import rowcount
from bot.meals.models import (
    JOINED,
    MAYBE,
    OFFERED,
    WAITING,
    Meal,
    MealFeedback,
    MealOccurrence,
    MealReminderChoice,
    MealRsvp,
    MealSubscription,
)
from bot.meals.service import leave


async def purge(session: AsyncSession, before: datetime) -> dict[str, int]:
    """Delete occurrences (with seats, tables and feedback) that started before ``before``,
    and meals with nothing left to come."""
    occurrences = await session.execute(
        delete(MealOccurrence).where(MealOccurrence.starts_at < before)
    )
    meals = await session.execute(delete(Meal).where(Meal.planned_until < before))
    return {"occurrences": rowcount(occurrences), "meals": rowcount(meals)}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


class MealData:
    """The meals part of ``mydata`` and ``forget``."""

    name = "meals"

    async def export(self, session: AsyncSession, person_id: int) -> dict[str, Any]:
        hosted = await session.execute(
            select(Meal).where(Meal.host_person_id == person_id).order_by(Meal.id)
        )
        seats = await session.execute(
            select(MealRsvp, MealOccurrence, Meal)
            .join(MealOccurrence, MealOccurrence.id == MealRsvp.occurrence_id)
            .join(Meal, Meal.id == MealOccurrence.meal_id)
            .where(MealRsvp.person_id == person_id)
            .order_by(MealOccurrence.starts_at)
        )
        feedback = await session.execute(
            select(MealFeedback, MealOccurrence, Meal)
            .join(MealOccurrence, MealOccurrence.id == MealFeedback.occurrence_id)
            .join(Meal, Meal.id == MealOccurrence.meal_id)
            .where(MealFeedback.person_id == person_id)
            .order_by(MealFeedback.created_at)
        )
        series = await session.execute(
            select(MealSubscription, Meal)
            .join(Meal, Meal.id == MealSubscription.meal_id)
            .where(MealSubscription.person_id == person_id)
        )
        return {
            "hosted": [
                {"id": m.code, "title": m.title, "created_at": _iso(m.created_at)}
                for m in hosted.scalars()
            ],
            "seats": [
                {
                    "id": meal.code,
                    "title": meal.title,
                    "starts_at": _iso(occ.starts_at),
                    "status": rsvp.status,
                    "table": rsvp.table_no,
                    "attended_at": _iso(rsvp.attended_at),
                    "companions": rsvp.companions,
                    "joined_at": _iso(rsvp.created_at),
                    "offer_until": _iso(rsvp.offer_expires_at),
                    "waiting_position_told": rsvp.position_told,
                }
                for rsvp, occ, meal in seats
            ],
            "every_time": [
                {"id": meal.code, "title": meal.title, "since": _iso(sub.created_at)}
                for sub, meal in series
            ],
            "reminders": await reminder_choice.export(session, person_id),
            "feedback": [
                {
                    "id": meal.code,
                    "starts_at": _iso(occ.starts_at),
                    "rating": fb.rating,
                    "comment": fb.comment,
                }
                for fb, occ, meal in feedback
            ],
        }

    async def erase(self, session: AsyncSession, person_id: int, now: datetime) -> None:
        """Give up every seat kindly (the waiting list moves up) and keep only anonymous ratings."""
        seats = await session.execute(
            select(MealOccurrence)
            .join(MealRsvp, MealRsvp.occurrence_id == MealOccurrence.id)
            .where(
                MealRsvp.person_id == person_id,
                MealRsvp.status.in_((JOINED, WAITING, OFFERED, MAYBE)),
            )
        )
        for occurrence in list(seats.scalars()):
            await leave(session, occurrence, person_id)
        await session.execute(delete(MealRsvp).where(MealRsvp.person_id == person_id))
        await session.execute(
            delete(MealSubscription).where(MealSubscription.person_id == person_id)
        )
        await session.execute(
            delete(MealReminderChoice).where(MealReminderChoice.person_id == person_id)
        )
        await session.execute(
            update(MealFeedback)
            .where(MealFeedback.person_id == person_id)
            .values(person_id=None, comment="")
        )
        await session.execute(
            update(Meal).where(Meal.host_person_id == person_id).values(host_person_id=None)
        )
