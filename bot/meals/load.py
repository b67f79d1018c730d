"""Queries for shared meals: finding meals, dates, seats and the people to tell.

Nothing here decides or writes; each function gathers what a decision needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.events import Direct, Room
from bot.db.models import Account, Person
from bot.meals.models import SCHEDULED, WAITING, Meal, MealOccurrence, MealRsvp
from bot.meals.rules import ends_at
from bot.rooms.service import rooms_for

SUGGEST_SINCE = timedelta(days=1)  # meals this recent are still offered ("meal here", feedback)


def rowcount(result: Any) -> int:
    """How many rows a bulk UPDATE or DELETE touched."""
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Recipient:
    """Where and how to write to one person."""

    person_id: int
    to: Direct
    lang: str
    zone: str


async def recipients(
    session: AsyncSession, services: Services, person_ids: Iterable[int], prefer: str
) -> dict[int, Recipient]:
    """Direct destinations with language and time zone, preferring accounts on ``prefer``."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    community = services.config.community
    rows = await session.execute(
        select(Person.id, Person.language, Person.timezone, Account.platform, Account.external_id)
        .join(Account, Account.person_id == Person.id)
        .where(Person.id.in_(ids))
        .order_by(Account.id)
    )
    found: dict[int, Recipient] = {}
    for person_id, language, zone, platform, external_id in rows:
        current = found.get(person_id)
        if current is not None and (current.to.platform == prefer or platform != prefer):
            continue
        found[person_id] = Recipient(
            person_id,
            Direct(platform, external_id),
            language or community.language,
            zone or community.timezone,
        )
    return found


async def find_meal(session: AsyncSession, code: str) -> Meal | None:
    result = await session.execute(select(Meal).where(Meal.code == code))
    return result.scalar_one_or_none()


async def next_occurrence(
    session: AsyncSession, meal: Meal, now: datetime
) -> MealOccurrence | None:
    """The next occurrence that has not started and is not cancelled."""
    result = await session.execute(upcoming_query(meal, now).limit(1))
    return result.scalar_one_or_none()


def upcoming_query(meal: Meal, now: datetime) -> Select[MealOccurrence]:
    """A meal's occurrences that have not started and are not cancelled, soonest first."""
    return (
        select(MealOccurrence)
        .where(
            MealOccurrence.meal_id == meal.id,
            MealOccurrence.status == SCHEDULED,
            MealOccurrence.starts_at > now,
        )
        .order_by(MealOccurrence.starts_at)
    )


async def dates_of(session: AsyncSession, meal: Meal) -> list[tuple[datetime, str]]:
    """Every planned date of a meal with its status, soonest first (for its calendar)."""
    rows = await session.execute(
        select(MealOccurrence.starts_at, MealOccurrence.status)
        .where(MealOccurrence.meal_id == meal.id)
        .order_by(MealOccurrence.starts_at)
    )
    return [(starts_at, status) for starts_at, status in rows.all()]


async def latest_occurrence(
    session: AsyncSession, meal: Meal, now: datetime, *, started: bool
) -> MealOccurrence | None:
    """The most recent occurrence that has started (or, with started=False, the next one)."""
    query = select(MealOccurrence).where(
        MealOccurrence.meal_id == meal.id, MealOccurrence.status == SCHEDULED
    )
    if started:
        query = query.where(MealOccurrence.starts_at <= now).order_by(
            MealOccurrence.starts_at.desc()
        )
    else:
        query = query.where(MealOccurrence.starts_at > now).order_by(MealOccurrence.starts_at)
    result = await session.execute(query.limit(1))
    return result.scalar_one_or_none()


@dataclass(frozen=True)
class Listed:
    """One line of ``meal list``."""

    meal: Meal
    occurrence: MealOccurrence
    waiting: int
    mine: str  # "", "joined" or "waiting"


async def upcoming(
    session: AsyncSession, person_id: int, *, now: datetime, until: datetime, limit: int
) -> tuple[list[Listed], int]:
    """Occurrences starting in (now, until], soonest first, and how many there are in all."""
    window = (
        MealOccurrence.status == SCHEDULED,
        MealOccurrence.starts_at > now,
        MealOccurrence.starts_at <= until,
    )
    rows = list(
        (
            await session.execute(
                select(MealOccurrence, Meal)
                .join(Meal, Meal.id == MealOccurrence.meal_id)
                .where(*window)
                .order_by(MealOccurrence.starts_at, MealOccurrence.id)
                .limit(limit)
            )
        ).all()
    )
    if len(rows) < limit:
        total = len(rows)
    else:
        total = int(
            (
                await session.execute(
                    select(func.count()).select_from(MealOccurrence).where(*window)
                )
            ).scalar_one()
        )
    ids = [occurrence.id for occurrence, _ in rows]
    waiting: dict[int, int] = {}
    mine: dict[int, str] = {}
    if ids:
        counts = await session.execute(
            select(MealRsvp.occurrence_id, func.count())
            .where(MealRsvp.occurrence_id.in_(ids), MealRsvp.status == WAITING)
            .group_by(MealRsvp.occurrence_id)
        )
        waiting = {occurrence_id: int(count) for occurrence_id, count in counts}
        own = await session.execute(
            select(MealRsvp.occurrence_id, MealRsvp.status).where(
                MealRsvp.occurrence_id.in_(ids), MealRsvp.person_id == person_id
            )
        )
        mine = {occurrence_id: status for occurrence_id, status in own}
    listed = [
        Listed(meal, occurrence, waiting.get(occurrence.id, 0), mine.get(occurrence.id, ""))
        for occurrence, meal in rows
    ]
    return listed, total


async def meals_to_suggest(
    session: AsyncSession, now: datetime, text: str, *, limit: int
) -> list[tuple[Meal, MealOccurrence]]:
    """Meals whose code or title contains ``text``, each with its current or next date.

    A meal going on now (or that ended within a day, for feedback) counts, so
    "meal here" and "meal feedback" are offered it too; soonest first.
    """
    query = (
        select(MealOccurrence, Meal)
        .join(Meal, Meal.id == MealOccurrence.meal_id)
        .where(
            MealOccurrence.status == SCHEDULED,
            MealOccurrence.starts_at > now - SUGGEST_SINCE,
            Meal.cancelled_at.is_(None),
        )
    )
    needle = text.strip().casefold()
    if needle:
        query = query.where(
            func.lower(Meal.code).contains(needle, autoescape=True)
            | func.lower(Meal.title).contains(needle, autoescape=True)
        )
    rows = (
        await session.execute(
            query.order_by(MealOccurrence.starts_at, MealOccurrence.id).limit(limit * 8)
        )
    ).all()
    chosen: dict[int, tuple[Meal, MealOccurrence]] = {}
    for occurrence, meal in rows:
        kept = chosen.get(meal.id)
        # The first date that has not ended wins over one that has.
        if kept is None or ends_at(meal, kept[1]) <= now:
            chosen[meal.id] = (meal, occurrence)
    found = sorted(chosen.values(), key=lambda pair: (pair[1].starts_at, pair[0].id))
    return found[:limit]


async def rsvp_of(session: AsyncSession, occurrence_id: int, person_id: int) -> MealRsvp | None:
    result = await session.execute(
        select(MealRsvp).where(
            MealRsvp.occurrence_id == occurrence_id, MealRsvp.person_id == person_id
        )
    )
    return result.scalar_one_or_none()


async def rsvps_at(session: AsyncSession, occurrence_id: int) -> list[MealRsvp]:
    """Everyone at a date (seated, waiting, or came without a seat), in the order they joined."""
    result = await session.execute(
        select(MealRsvp).where(MealRsvp.occurrence_id == occurrence_id).order_by(MealRsvp.id)
    )
    return list(result.scalars())


async def people_at(
    session: AsyncSession, occurrence_id: int, statuses: Sequence[str]
) -> list[int]:
    result = await session.execute(
        select(MealRsvp.person_id)
        .where(MealRsvp.occurrence_id == occurrence_id, MealRsvp.status.in_(statuses))
        .order_by(MealRsvp.id)
    )
    return list(result.scalars())


async def display_names(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, str]:
    """A name to show for each person: their first account's display name, else its id."""
    if not person_ids:
        return {}
    rows = await session.execute(
        select(Account.person_id, Account.display_name, Account.external_id)
        .where(Account.person_id.in_(person_ids))
        .order_by(Account.id)
    )
    names: dict[int, str] = {}
    for person_id, shown, external in rows:
        names.setdefault(person_id, shown or external)
    return names


async def meal_rooms(session: AsyncSession, services: Services, meal: Meal) -> list[Room]:
    """Where a meal is announced: the room it was scheduled in, else the meals rooms."""
    if meal.room_id:
        return [Room(meal.platform, meal.room_id)]
    return await rooms_for(session, services.config, "meals")
