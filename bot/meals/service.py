"""Shared meals: seats, the waiting list, attendance, feedback and cancelling.

Each function is one step a person or organiser takes, in one unit of work; the
timed work is in ``jobs``, planning in ``planning``, tables and video places in
``places``.

Seats are taken with one conditional UPDATE (``taken < capacity``) on the
occurrence row, backed by a CHECK constraint: on PostgreSQL the row lock makes
a second concurrent join wait and then see the seat gone; on SQLite writers
are serialised. There is no check-then-insert window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.events import TextMessage
from bot.core.outbox import cancel_pending, enqueue_many
from bot.meals import render
from bot.meals.companions import seats_for
from bot.meals.load import people_at, recipients, rowcount, rsvp_of, upcoming_query
from bot.meals.models import (
    CANCELLED,
    GUEST,
    JOINED,
    MAYBE,
    OFFERED,
    SCHEDULED,
    WAITING,
    Meal,
    MealFeedback,
    MealOccurrence,
    MealRsvp,
    MealSubscription,
)
from bot.meals.native import after_cancel
from bot.meals.places import call_off_video_places

# ---------------------------------------------------------------- seats


async def _take_seat(session: AsyncSession, occurrence_id: int, seats: int = 1) -> bool:
    """Take ``seats`` seats if that many are free (all or none); atomic on both databases."""
    result = await session.execute(
        update(MealOccurrence)
        .where(
            MealOccurrence.id == occurrence_id,
            MealOccurrence.status == SCHEDULED,
            MealOccurrence.taken + seats <= MealOccurrence.capacity,
        )
        .values(taken=MealOccurrence.taken + seats)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def _free_seat(session: AsyncSession, occurrence_id: int, seats: int = 1) -> None:
    await session.execute(
        update(MealOccurrence)
        .where(MealOccurrence.id == occurrence_id, MealOccurrence.taken >= seats)
        .values(taken=MealOccurrence.taken - seats)
        .execution_options(synchronize_session=False)
    )


async def join(
    session: AsyncSession,
    occurrence: MealOccurrence,
    person_id: int,
    is_volunteer: bool,
    now: datetime,
    companions: int | None = None,
) -> str:
    """Take a seat (and one for each companion, all or none) or a place on the waiting list.

    Returns "joined", "waiting", "already_joined", "already_waiting", or, when someone
    already seated changes how many come with them, "companions_changed" or
    "companions_no_room" (nothing changed: not enough seats free). A yes to an offered
    seat takes it (even a little after its deadline, while it is still held).
    """
    existing = await rsvp_of(session, occurrence.id, person_id)
    if existing is not None and existing.status == OFFERED:
        existing.status = JOINED
        existing.offer_expires_at = None
        await session.flush()
        return JOINED
    if existing is not None and existing.status in (JOINED, WAITING):
        if companions is None or companions == existing.companions:
            return f"already_{existing.status}"
        return await _change_companions(session, occurrence, existing, companions)
    companions = companions or 0
    seated = await _take_seat(session, occurrence.id, seats_for(companions))
    status = JOINED if seated else WAITING
    if existing is not None:  # a guest who came without a seat now takes one
        existing.status = status
        existing.created_at = now
        existing.companions = companions
    else:
        session.add(
            MealRsvp(
                occurrence_id=occurrence.id,
                person_id=person_id,
                status=status,
                is_volunteer=is_volunteer,
                created_at=now,
                companions=companions,
            )
        )
    await session.flush()
    return status


async def _change_companions(
    session: AsyncSession, occurrence: MealOccurrence, rsvp: MealRsvp, companions: int
) -> str:
    """More or fewer companions for someone already seated (or waiting)."""
    if rsvp.status == WAITING:
        rsvp.companions = companions
        return "companions_changed"
    more = companions - rsvp.companions
    if more > 0 and not await _take_seat(session, occurrence.id, more):
        return "companions_no_room"
    if more < 0:
        await _free_seat(session, occurrence.id, -more)
    rsvp.companions = companions
    await session.flush()
    if more < 0 and occurrence.status == SCHEDULED:
        await promote_waiting(session, occurrence.id)
    return "companions_changed"


async def promote_waiting(session: AsyncSession, occurrence_id: int) -> list[int]:
    """Move the first on the waiting list up while seats are free; they are told by the job."""
    promoted: list[int] = []
    while True:
        first = (
            await session.execute(
                select(MealRsvp)
                .where(MealRsvp.occurrence_id == occurrence_id, MealRsvp.status == WAITING)
                .order_by(MealRsvp.id)
                .limit(1)
            )
        ).scalar_one_or_none()
        # The first in line with all their companions, or nobody: the order is kept.
        if first is None or not await _take_seat(
            session, occurrence_id, seats_for(first.companions)
        ):
            return promoted
        first.status = JOINED
        first.moved_up = True
        promoted.append(first.person_id)
        await session.flush()


async def leave(session: AsyncSession, occurrence: MealOccurrence, person_id: int) -> str:
    """Give up a seat (the waiting list moves up) or a waiting place.

    Returns "left", "left_waiting", "offer_declined", "left_maybe" or "not_joined".
    """
    rsvp = await rsvp_of(session, occurrence.id, person_id)
    if rsvp is None or rsvp.status == GUEST:
        return "not_joined"
    status = rsvp.status
    seats = seats_for(rsvp.companions)
    await session.delete(rsvp)
    await session.flush()
    await cancel_pending(session, f"meal:{occurrence.id}:p{person_id}:")
    if status not in (JOINED, OFFERED):  # a waiting place or a "maybe" holds no seat
        return "left_maybe" if status == MAYBE else "left_waiting"
    await _free_seat(session, occurrence.id, seats)  # their companions' seats too
    if occurrence.status == SCHEDULED:
        await promote_waiting(session, occurrence.id)
    return "offer_declined" if status == OFFERED else "left"


async def subscribe(
    session: AsyncSession, meal: Meal, person_id: int, is_volunteer: bool, now: datetime
) -> list[tuple[MealOccurrence, str]]:
    """Join every occurrence of a series, now and as new ones are planned."""
    existing = await session.get(MealSubscription, (meal.id, person_id))
    if existing is None:
        session.add(
            MealSubscription(
                meal_id=meal.id, person_id=person_id, is_volunteer=is_volunteer, created_at=now
            )
        )
    future = list((await session.execute(upcoming_query(meal, now))).scalars())
    return [(occ, await join(session, occ, person_id, is_volunteer, now)) for occ in future]


async def unsubscribe(session: AsyncSession, meal: Meal, person_id: int, now: datetime) -> int:
    """Leave every future occurrence of a series; returns how many seats or places were given up."""
    await session.execute(
        delete(MealSubscription).where(
            MealSubscription.meal_id == meal.id, MealSubscription.person_id == person_id
        )
    )
    future = (
        await session.execute(
            select(MealOccurrence).where(
                MealOccurrence.meal_id == meal.id, MealOccurrence.starts_at > now
            )
        )
    ).scalars()
    left = 0
    for occurrence in list(future):
        if await leave(session, occurrence, person_id) != "not_joined":
            left += 1
    return left


async def mark_here(
    session: AsyncSession,
    occurrence: MealOccurrence,
    person_id: int,
    is_volunteer: bool,
    now: datetime,
) -> bool:
    """Record that someone came; False if they had already said so."""
    rsvp = await rsvp_of(session, occurrence.id, person_id)
    if rsvp is None:
        rsvp = MealRsvp(
            occurrence_id=occurrence.id,
            person_id=person_id,
            status=GUEST,
            is_volunteer=is_volunteer,
            created_at=now,
        )
        session.add(rsvp)
    elif rsvp.attended_at is not None:
        return False
    rsvp.attended_at = now
    await session.flush()
    return True


async def save_feedback(
    session: AsyncSession,
    occurrence: MealOccurrence,
    person_id: int,
    rating: int,
    comment: str,
    now: datetime,
) -> MealFeedback:
    """Keep (or replace) someone's rating and comment for an occurrence."""
    result = await session.execute(
        select(MealFeedback).where(
            MealFeedback.occurrence_id == occurrence.id, MealFeedback.person_id == person_id
        )
    )
    feedback = result.scalar_one_or_none()
    if feedback is None:
        feedback = MealFeedback(
            occurrence_id=occurrence.id,
            person_id=person_id,
            rating=rating,
            comment=comment,
            created_at=now,
        )
        session.add(feedback)
    else:
        feedback.rating = rating
        if comment:
            feedback.comment = comment
    await session.flush()
    return feedback


async def add_comment(
    session: AsyncSession, feedback_id: int, person_id: int, comment: str
) -> bool:
    """Add a comment to someone's own rating; False if the rating is gone or not theirs."""
    feedback = await session.get(MealFeedback, feedback_id)
    if feedback is None or feedback.person_id != person_id:
        return False
    feedback.comment = comment
    return True


# ---------------------------------------------------------------- telling people


async def tell_people(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrence: MealOccurrence,
    person_ids: Iterable[int],
    key: str,
    *,
    now: datetime,
    kind: str,
    dedupe: str,
    extra: dict[str, object] | None = None,
) -> int:
    """A private message ``key`` to each person, in their language and time zone."""
    found = await recipients(session, services, person_ids, meal.platform)
    rows = []
    for rec in found.values():
        text = render.notice(services, rec, meal, occurrence, key, **(extra or {}))
        rows.append(
            {
                "message": TextMessage(rec.to, text),
                "due_at": now,
                "kind": kind,
                "person_id": rec.person_id,
                "dedupe_key": f"{dedupe}:{rec.person_id}",
            }
        )
    return await enqueue_many(session, rows, now=now)


async def cancel_occurrence(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrence: MealOccurrence,
    now: datetime,
) -> int:
    """Cancel one date: pending reminders go, everyone who joined or waited is told."""
    people = await people_at(session, occurrence.id, (JOINED, WAITING, OFFERED, MAYBE))
    occurrence.status = CANCELLED
    occurrence.cancelled_at = now
    await cancel_pending(session, f"meal:{occurrence.id}:")
    await call_off_video_places(session, services, meal, [occurrence], now)
    await after_cancel(session, services, meal, now)
    await tell_people(
        session,
        services,
        meal,
        occurrence,
        people,
        "meal.cancelled_notice",
        now=now,
        kind="meal_cancelled",
        dedupe=f"meal-cancelled:{occurrence.id}",
    )
    return len(people)


async def cancel_series(
    session: AsyncSession, services: Services, meal: Meal, now: datetime
) -> int:
    """Cancel every future date of a meal; each person is told once."""
    meal.cancelled_at = now
    future = list((await session.execute(upcoming_query(meal, now))).scalars())
    told: set[int] = set()
    for occurrence in future:
        people = await people_at(session, occurrence.id, (JOINED, WAITING, OFFERED, MAYBE))
        occurrence.status = CANCELLED
        occurrence.cancelled_at = now
        await cancel_pending(session, f"meal:{occurrence.id}:")
        new = [p for p in people if p not in told]
        told.update(new)
        if new:
            await tell_people(
                session,
                services,
                meal,
                occurrence,
                new,
                "meal.series_cancelled_notice",
                now=now,
                kind="meal_cancelled",
                dedupe=f"meal-cancelled:{occurrence.id}",
            )
    await call_off_video_places(session, services, meal, future, now)
    await after_cancel(session, services, meal, now)
    await session.execute(delete(MealSubscription).where(MealSubscription.meal_id == meal.id))
    return len(told)
