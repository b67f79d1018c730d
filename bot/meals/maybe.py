""" "Maybe" for one date of a meal: counted apart from those coming, holds no seat, shown
to the host, and reminded once (``[meals] maybe_reminder_before``) with a join button.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.events import ChoicePrompt
from bot.core.outbox import enqueue_many
from bot.meals import render
from bot.meals.load import recipients
from bot.meals.models import (
    JOINED,
    MAYBE,
    OFFERED,
    SCHEDULED,
    WAITING,
    Meal,
    MealOccurrence,
    MealRsvp,
)
from bot.meals.rules import local_day


async def say_maybe(
    session: AsyncSession,
    occurrence: MealOccurrence,
    person_id: int,
    is_volunteer: bool,
    now: datetime,
) -> str:
    """ "Maybe" for one date: counted apart, holds no seat. Someone who already has a
    seat, an offer or a waiting place keeps it (they can leave to give it up).

    Returns "maybe", "already_maybe", "already_joined", "already_waiting" or
    "already_offered".
    """
    rsvp = (
        await session.execute(
            select(MealRsvp).where(
                MealRsvp.occurrence_id == occurrence.id, MealRsvp.person_id == person_id
            )
        )
    ).scalar_one_or_none()
    if rsvp is not None and rsvp.status in (JOINED, WAITING, OFFERED, MAYBE):
        return f"already_{rsvp.status}"
    if rsvp is None:
        session.add(
            MealRsvp(
                occurrence_id=occurrence.id,
                person_id=person_id,
                status=MAYBE,
                is_volunteer=is_volunteer,
                created_at=now,
            )
        )
    else:  # came before without a seat ("meal here"): now a maybe for this date
        rsvp.status = MAYBE
    await session.flush()
    return "maybe"


async def remind_maybes(session: AsyncSession, services: Services, now: datetime) -> int:
    """One reminder to each "maybe", ``maybe_reminder_before`` the start, with a button
    to join (a seat if one is free, else the waiting list) and one to say no."""
    before = services.config.meals.maybe_reminder_before
    rows = list(
        (
            await session.execute(
                select(MealRsvp, MealOccurrence, Meal)
                .join(MealOccurrence, MealOccurrence.id == MealRsvp.occurrence_id)
                .join(Meal, Meal.id == MealOccurrence.meal_id)
                .where(
                    MealRsvp.status == MAYBE,
                    MealRsvp.maybe_reminded.is_(False),
                    MealOccurrence.status == SCHEDULED,
                    MealOccurrence.starts_at > now,
                    MealOccurrence.starts_at <= now + before,
                )
                .order_by(MealRsvp.id)
            )
        ).all()
    )
    out = []
    for rsvp, occurrence, meal in rows:
        rsvp.maybe_reminded = True
        found = await recipients(session, services, [rsvp.person_id], meal.platform)
        day = local_day(meal, occurrence)
        for rec in found.values():
            free = occurrence.capacity - occurrence.taken
            key = "meal.maybe_reminder" if free > 0 else "meal.maybe_reminder_full"
            options = render.join_or_leave(
                services, rec.lang, meal, day, "meal.button_join", "meal.button_not_this_time"
            )
            out.append(
                {
                    "message": ChoicePrompt(
                        rec.to, render.notice(services, rec, meal, occurrence, key), options
                    ),
                    "due_at": now,
                    "kind": "meal_maybe",
                    "person_id": rec.person_id,
                    "dedupe_key": f"meal:{occurrence.id}:p{rec.person_id}:maybe",
                    "expires_at": occurrence.starts_at,
                }
            )
    return await enqueue_many(session, out, now=now)


async def maybe_count(session: AsyncSession, occurrence_id: int) -> int:
    return int(
        (
            await session.execute(
                select(func.count()).where(
                    MealRsvp.occurrence_id == occurrence_id, MealRsvp.status == MAYBE
                )
            )
        ).scalar_one()
    )
