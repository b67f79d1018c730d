"""A host changes a meal: its title, the time, the seats or the video link, for one date
or every date from now on. Everyone who joined the dates changed is told, each in
their own language and time zone; seats taken away move the last to join to the
front of the waiting list, and they are told kindly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.meals.companions import seats_for
from bot.meals.jobs import tell_moved_up
from bot.meals.load import upcoming_query
from bot.meals.models import (
    JOINED,
    OFFERED,
    WAITING,
    Meal,
    MealOccurrence,
    MealRsvp,
    MealTable,
)
from bot.meals.native import publish
from bot.meals.places import call_off_video_places
from bot.meals.rules import local_start, meal_zone
from bot.meals.service import promote_waiting, tell_people

EDIT_KIND = "meal_changed"  # outbox kind of a "the meal changed" notice


async def future_dates(session: AsyncSession, meal: Meal, now: datetime) -> list[MealOccurrence]:
    """The dates not started and not cancelled, soonest first."""
    return list((await session.execute(upcoming_query(meal, now))).scalars())


async def _joined(session: AsyncSession, occurrence_id: int) -> list[MealRsvp]:
    rows = await session.execute(
        select(MealRsvp)
        .where(MealRsvp.occurrence_id == occurrence_id, MealRsvp.status == JOINED)
        .order_by(MealRsvp.id)
    )
    return list(rows.scalars())


async def _holding_seats(session: AsyncSession, occurrence_id: int) -> list[MealRsvp]:
    """Who holds a seat: those who joined and those a seat is offered to (it is kept for
    them until they answer), in the order they joined."""
    rows = await session.execute(
        select(MealRsvp)
        .where(MealRsvp.occurrence_id == occurrence_id, MealRsvp.status.in_((JOINED, OFFERED)))
        .order_by(MealRsvp.id)
    )
    return list(rows.scalars())


async def _tell_joined(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrences: Sequence[MealOccurrence],
    key: str,
    now: datetime,
    tag: str,
    extra: dict[str, object] | None = None,
) -> int:
    """Tell each person who joined any of these dates once (about the first one)."""
    told: set[int] = set()
    stamp = int(now.timestamp())
    for occurrence in occurrences:
        people = [r.person_id for r in await _joined(session, occurrence.id)]
        new = [p for p in people if p not in told]
        if not new:
            continue
        told.update(new)
        await tell_people(
            session,
            services,
            meal,
            occurrence,
            new,
            key,
            now=now,
            kind=EDIT_KIND,
            # Not under "meal:<id>:", which leaving and cancelling clear.
            dedupe=f"meal-changed:{occurrence.id}:{tag}:{stamp}",
            extra=extra,
        )
    return len(told)


async def change_title(
    session: AsyncSession, services: Services, meal: Meal, title: str, now: datetime
) -> int:
    """A new title for every date; returns how many people were told."""
    meal.title = title
    await session.flush()
    await publish(session, services, meal, now)
    dates = await future_dates(session, meal, now)
    return await _tell_joined(
        session, services, meal, dates, "meal.title_changed_notice", now, "title"
    )


def moved_start(meal: Meal, occurrence: MealOccurrence, at: time) -> datetime:
    """The start of ``occurrence`` at the local time ``at`` on the same local day."""
    zone = meal_zone(meal)
    return local_start(occurrence.starts_at.astimezone(zone).date(), at, zone)


async def change_time(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrences: Sequence[MealOccurrence],
    at: time,
    now: datetime,
    *,
    every_date: bool,
) -> int:
    """Move these dates to ``at`` on their own local day (and the series, when every date
    changes); returns how many people were told."""
    if every_date:
        meal.local_time = at.strftime("%H:%M")
    for occurrence in occurrences:
        occurrence.starts_at = moved_start(meal, occurrence, at)
        occurrence.reminders_done = 0  # the reminders follow the new time
    if occurrences:
        await session.execute(
            update(MealRsvp)
            .where(MealRsvp.occurrence_id.in_([o.id for o in occurrences]))
            .values(reminded_minutes=None)
        )
    if every_date and occurrences:
        meal.planned_until = max(meal.planned_until, *(o.starts_at for o in occurrences))
    await session.flush()
    await publish(session, services, meal, now)
    return await _tell_joined(
        session, services, meal, occurrences, "meal.time_changed_notice", now, "time"
    )


async def change_capacity(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrences: Sequence[MealOccurrence],
    capacity: int,
    now: datetime,
    *,
    every_date: bool,
) -> int:
    """New seats for these dates; returns how many people moved to the waiting list.

    Fewer seats than people who joined: the last to join go to the front of the
    waiting list and are told. More seats: the waiting list moves up and those moved up
    are told in the same unit of work.
    """
    if every_date:
        meal.capacity = capacity
    moved = 0
    for occurrence in occurrences:
        joined = await _holding_seats(session, occurrence.id)
        # Each keeps their companions' seats too: whoever does not fit with all of theirs moves.
        kept_seats = 0
        surplus: list[MealRsvp] = []
        for rsvp in joined:
            if surplus or kept_seats + seats_for(rsvp.companions) > capacity:
                surplus.append(rsvp)
            else:
                kept_seats += seats_for(rsvp.companions)
        for rsvp in surplus:
            rsvp.status = WAITING
            rsvp.table_no = None
            rsvp.offer_expires_at = None
        # Seats first, so the seats check (taken <= capacity) holds at every step.
        await session.execute(
            update(MealOccurrence)
            .where(MealOccurrence.id == occurrence.id)
            .values(taken=kept_seats, capacity=capacity)
            .execution_options(synchronize_session=False)
        )
        await session.flush()
        await session.refresh(occurrence)
        if surplus:
            moved += len(surplus)
            await tell_people(
                session,
                services,
                meal,
                occurrence,
                [r.person_id for r in surplus],
                "meal.moved_to_waiting_notice",
                now=now,
                kind=EDIT_KIND,
                dedupe=f"meal-changed:{occurrence.id}:seats:{int(now.timestamp())}",
            )
        else:
            await promote_waiting(session, occurrence.id)
    await tell_moved_up(session, services, now)  # at once, not at the next timed run
    return moved


async def change_link(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrences: Sequence[MealOccurrence],
    link: str,
    now: datetime,
    *,
    every_date: bool,
) -> int:
    """A new video link for these dates (every table meets there); returns how many
    people were told."""
    # Voice channels and events the platform made for these dates are called off first.
    await call_off_video_places(session, services, meal, occurrences, now)
    if every_date:
        meal.video_kind, meal.video_url = "url", link
    ids = [o.id for o in occurrences]
    if ids:
        await session.execute(
            update(MealTable).where(MealTable.occurrence_id.in_(ids)).values(video_url=link)
        )
    await session.flush()
    await publish(session, services, meal, now)
    return await _tell_joined(
        session,
        services,
        meal,
        occurrences,
        "meal.link_changed_notice",
        now,
        "link",
        {"link": link},
    )
