"""Planning meals: a new meal, and the dates of a series made ahead up to the horizon."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.meals.models import SCHEDULED, Meal, MealOccurrence, MealSubscription
from bot.meals.native import publish
from bot.meals.places import ensure_tables
from bot.meals.rules import (
    CODE_ALPHABET,
    MealRequest,
    is_occurrence_date,
    local_start,
    meal_time,
    meal_zone,
    occurrence_starts,
)
from bot.meals.service import join


def plan_horizon(services: Services) -> timedelta:
    """How far ahead occurrences exist: the list window plus the earliest reminder."""
    meals = services.config.meals
    earliest = max(meals.reminders_before, default=timedelta(0))
    return timedelta(days=meals.list_days + 1) + earliest


async def new_code(session: AsyncSession) -> str:
    """A short id nobody has, easy to type on a phone."""
    for length in (4, 4, 4, 5, 5, 6, 8):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        taken = await session.execute(select(Meal.id).where(Meal.code == code))
        if taken.first() is None:
            return code
    raise RuntimeError("no free meal id")


async def create_meal(
    session: AsyncSession,
    services: Services,
    request: MealRequest,
    *,
    host_id: int,
    platform: str,
    room_id: str,
    now: datetime,
    zone: str = "",
) -> tuple[Meal, MealOccurrence]:
    """Store a meal and its first occurrences; returns the meal and its first occurrence.

    ``zone`` is the time zone the host gave the time in (default: the community's).
    """
    zone_name = zone or services.config.community.timezone
    first_start = local_start(request.first_date, request.at, ZoneInfo(zone_name))
    meal = Meal(
        code=await new_code(session),
        title=request.title,
        host_person_id=host_id,
        platform=platform,
        room_id=room_id,
        timezone=zone_name,
        local_time=request.at.strftime("%H:%M"),
        first_date=request.first_date.isoformat(),
        every_weeks=request.every_weeks,
        minutes=request.minutes,
        capacity=request.capacity,
        minimum=request.minimum,
        video_kind=request.video_kind,
        video_url=request.video_url,
        planned_until=first_start - timedelta(seconds=1),
        created_at=now,
    )
    session.add(meal)
    await session.flush()
    made = await plan_meal(session, services, meal, now)
    await publish(session, services, meal, now)  # where the platform shows meals itself
    return meal, made[0]


async def plan_meal(
    session: AsyncSession, services: Services, meal: Meal, now: datetime
) -> list[MealOccurrence]:
    """Make the meal's occurrences up to the planning horizon (at least the first one)."""
    first_start = local_start(date.fromisoformat(meal.first_date), meal_time(meal), meal_zone(meal))
    until = max(now + plan_horizon(services), first_start)
    starts = occurrence_starts(
        date.fromisoformat(meal.first_date),
        meal_time(meal),
        meal_zone(meal),
        meal.every_weeks,
        after=meal.planned_until,
        until=until,
    )
    if starts:
        existing = set(
            (
                await session.execute(
                    select(MealOccurrence.starts_at).where(
                        MealOccurrence.meal_id == meal.id,
                        MealOccurrence.starts_at >= starts[0],
                        MealOccurrence.starts_at <= starts[-1],
                    )
                )
            ).scalars()
        )
        # A date cancelled ahead of planning already has its (cancelled) occurrence.
        starts_to_make = [s for s in starts if s not in existing]
    else:
        starts_to_make = []
    made = []
    subscribers = list(
        (
            await session.execute(
                select(MealSubscription)
                .where(MealSubscription.meal_id == meal.id)
                .order_by(MealSubscription.created_at)
            )
        ).scalars()
    )
    for start in starts_to_make:
        occurrence = MealOccurrence(
            meal_id=meal.id, starts_at=start, status=SCHEDULED, capacity=meal.capacity, taken=0
        )
        session.add(occurrence)
        await session.flush()
        for subscriber in subscribers:
            await join(session, occurrence, subscriber.person_id, subscriber.is_volunteer, now)
        await ensure_tables(session, services, meal, occurrence, 1, now)
        made.append(occurrence)
    if starts:
        meal.planned_until = starts[-1]
    return made


async def occurrence_on(
    session: AsyncSession,
    meal: Meal,
    day: date,
    *,
    latest: datetime | None = None,
    create: bool = True,
) -> MealOccurrence | None:
    """The occurrence on a local date; made when the date is valid but not planned yet.

    Nothing is made for a start after ``latest`` (the planning horizon) or when
    ``create`` is False (leaving a date that was never planned changes nothing).
    """
    if not is_occurrence_date(date.fromisoformat(meal.first_date), meal.every_weeks, day):
        return None
    start = local_start(day, meal_time(meal), meal_zone(meal))
    if latest is not None and start > latest:
        return None
    # That local day, whatever its time: one date may have been moved to another hour.
    result = await session.execute(
        select(MealOccurrence)
        .where(
            MealOccurrence.meal_id == meal.id,
            MealOccurrence.starts_at >= local_start(day, time(0), meal_zone(meal)),
            MealOccurrence.starts_at
            < local_start(day + timedelta(days=1), time(0), meal_zone(meal)),
        )
        .order_by(MealOccurrence.starts_at)
        .limit(1)
    )
    found = result.scalar_one_or_none()
    if found is not None or meal.cancelled_at is not None or not create:
        return found
    occurrence = MealOccurrence(
        meal_id=meal.id, starts_at=start, status=SCHEDULED, capacity=meal.capacity, taken=0
    )
    session.add(occurrence)
    await session.flush()
    return occurrence
