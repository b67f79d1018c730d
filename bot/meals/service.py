"""Shared meals: persistence, seats and the timed work (reminders, start, feedback).

Seats are taken with one conditional UPDATE (``taken < capacity``) on the
occurrence row, backed by a CHECK constraint: on PostgreSQL the row lock makes
a second concurrent join wait and then see the seat gone; on SQLite writers
are serialised. There is no check-then-insert window.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import JobContext, Services
from bot.core.dispatcher import command_option
from bot.core.events import (
    CancelVideoPlace,
    ChoicePrompt,
    CreateVideoPlace,
    Direct,
    Option,
    Outgoing,
    Room,
    TextMessage,
)
from bot.core.i18n import format_local
from bot.core.outbox import cancel_pending, enqueue, enqueue_many
from bot.db.models import Account, OutboxItem, Person
from bot.meals.models import (
    CANCELLED,
    GUEST,
    JOINED,
    SCHEDULED,
    WAITING,
    Meal,
    MealFeedback,
    MealOccurrence,
    MealRsvp,
    MealSubscription,
    MealTable,
)
from bot.meals.rules import (
    CODE_ALPHABET,
    MealRequest,
    Seat,
    is_occurrence_date,
    local_start,
    occurrence_starts,
    split_tables,
    video_link,
)
from bot.rooms.service import rooms_for

log = logging.getLogger("samvaer.meals")

VIDEO_KIND = "meal_video"  # outbox kind of a CreateVideoPlace for a table
CANCEL_VIDEO_KIND = "meal_video_cancel"  # outbox kind of a CancelVideoPlace for a table
SUGGEST_SINCE = timedelta(days=1)  # meals this recent are still offered ("meal here", feedback)
HERE_EARLY = timedelta(minutes=15)  # "meal here" is accepted this long before the start
FEEDBACK_WINDOW = timedelta(days=7)  # feedback is accepted this long after a meal ends
MISSED_KIND = "meal_missed"
MISSED_YOU_EVERY = timedelta(days=30)  # at most one "we missed you" per person in this time


# ---------------------------------------------------------------- small helpers


def meal_zone(meal: Meal) -> ZoneInfo:
    return ZoneInfo(meal.timezone)


def meal_time(meal: Meal) -> time:
    return time.fromisoformat(meal.local_time)


def ends_at(meal: Meal, occurrence: MealOccurrence) -> datetime:
    return occurrence.starts_at + timedelta(minutes=meal.minutes)


def plan_horizon(services: Services) -> timedelta:
    """How far ahead occurrences exist: the list window plus the earliest reminder."""
    meals = services.config.meals
    earliest = max(meals.reminders_before, default=timedelta(0))
    return timedelta(days=meals.list_days + 1) + earliest


def reminder_offsets(services: Services) -> list[timedelta]:
    """Reminder offsets, earliest reminder first (24h before, then 15m before)."""
    return sorted(set(services.config.meals.reminders_before), reverse=True)


def _rowcount(result: Any) -> int:
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


# ---------------------------------------------------------------- scheduling


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
) -> tuple[Meal, MealOccurrence]:
    """Store a meal and its first occurrences; returns the meal and its first occurrence."""
    zone_name = services.config.community.timezone
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
        video_kind=request.video_kind,
        video_url=request.video_url,
        planned_until=first_start - timedelta(seconds=1),
        created_at=now,
    )
    session.add(meal)
    await session.flush()
    made = await plan_meal(session, services, meal, now)
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


async def ensure_tables(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrence: MealOccurrence,
    count: int,
    now: datetime,
) -> dict[int, str]:
    """Video places for tables 1..count; returns {table: url} ("" while Discord makes one)."""
    rows = await session.execute(
        select(MealTable.table_no, MealTable.video_url).where(
            MealTable.occurrence_id == occurrence.id
        )
    )
    links: dict[int, str] = {number: url for number, url in rows}
    config = services.config.meals
    new = []
    for number in range(1, count + 1):
        if number in links:
            continue
        url = ""
        if meal.video_kind == "url":
            url = meal.video_url
        elif meal.video_kind in ("jitsi", "element"):
            # An unguessable room name per occurrence and table keeps strangers out.
            url = video_link(
                meal.video_kind,
                jitsi_base=config.jitsi_base_url,
                element_base=config.element_call_base_url,
                room_name=f"Samvaer-{secrets.token_urlsafe(16)}",
            )
        links[number] = url
        new.append({"occurrence_id": occurrence.id, "table_no": number, "video_url": url})
        if meal.video_kind == "discord":
            suffix = f" – {number}" if number > 1 else ""
            await enqueue(
                session,
                CreateVideoPlace(
                    platform=meal.platform,
                    kind="voice",
                    name=f"{meal.title}{suffix}"[:95],
                    starts_at_iso=occurrence.starts_at.isoformat(),
                    minutes=meal.minutes,
                    reference=f"meal_table:{occurrence.id}:{number}",
                ),
                due_at=now,
                now=now,
                kind=VIDEO_KIND,
                dedupe_key=f"meal:{occurrence.id}:video:{number}",
                expires_at=ends_at(meal, occurrence),
            )
    if new:
        await session.execute(insert(MealTable), new)
    return {number: links[number] for number in range(1, count + 1)}


async def store_video_place(session: AsyncSession, reference: str, value: str) -> bool:
    """Keep the link of a video place an adapter made for ``meal_table:<occ>:<table>``."""
    kind, _, rest = reference.partition(":")
    occurrence_id, _, number = rest.partition(":")
    if kind != "meal_table" or not occurrence_id.isdigit() or not number.isdigit():
        return False
    result = await session.execute(
        update(MealTable)
        .where(MealTable.occurrence_id == int(occurrence_id), MealTable.table_no == int(number))
        .values(video_url=value)
    )
    return _rowcount(result) == 1


async def call_off_video_places(
    session: AsyncSession, meal: Meal, occurrences: Sequence[MealOccurrence], now: datetime
) -> int:
    """Ask the platform to call off the places it made for these dates (Discord events)."""
    if meal.video_kind != "discord" or not occurrences:
        return 0
    by_id = {occurrence.id: occurrence for occurrence in occurrences}
    rows = await session.execute(
        select(MealTable.occurrence_id, MealTable.table_no, MealTable.video_url).where(
            MealTable.occurrence_id.in_(list(by_id)), MealTable.video_url != ""
        )
    )
    queued = 0
    for occurrence_id, number, place in rows.all():
        occurrence = by_id[occurrence_id]
        queued += await enqueue(
            session,
            CancelVideoPlace(
                platform=meal.platform,
                reference=f"meal_table:{occurrence_id}:{number}",
                place_id=place,
                starts_at_iso=occurrence.starts_at.isoformat(),
            ),
            due_at=now,
            now=now,
            kind=CANCEL_VIDEO_KIND,
            # not under "meal:<id>:", which cancelling clears
            dedupe_key=f"meal-video-cancel:{occurrence_id}:{number}",
            expires_at=ends_at(meal, occurrence),
        )
    return queued


# ---------------------------------------------------------------- finding meals


async def find_meal(session: AsyncSession, code: str) -> Meal | None:
    result = await session.execute(select(Meal).where(Meal.code == code))
    return result.scalar_one_or_none()


async def next_occurrence(
    session: AsyncSession, meal: Meal, now: datetime
) -> MealOccurrence | None:
    """The next occurrence that has not started and is not cancelled."""
    result = await session.execute(_upcoming(meal, now).limit(1))
    return result.scalar_one_or_none()


def _upcoming(meal: Meal, now: datetime) -> Select[MealOccurrence]:
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
    result = await session.execute(
        select(MealOccurrence).where(
            MealOccurrence.meal_id == meal.id, MealOccurrence.starts_at == start
        )
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


# ---------------------------------------------------------------- seats


async def _take_seat(session: AsyncSession, occurrence_id: int) -> bool:
    """Take one seat if one is free; atomic on both databases."""
    result = await session.execute(
        update(MealOccurrence)
        .where(
            MealOccurrence.id == occurrence_id,
            MealOccurrence.status == SCHEDULED,
            MealOccurrence.taken < MealOccurrence.capacity,
        )
        .values(taken=MealOccurrence.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def _free_seat(session: AsyncSession, occurrence_id: int) -> None:
    await session.execute(
        update(MealOccurrence)
        .where(MealOccurrence.id == occurrence_id, MealOccurrence.taken > 0)
        .values(taken=MealOccurrence.taken - 1)
        .execution_options(synchronize_session=False)
    )


async def rsvp_of(session: AsyncSession, occurrence_id: int, person_id: int) -> MealRsvp | None:
    result = await session.execute(
        select(MealRsvp).where(
            MealRsvp.occurrence_id == occurrence_id, MealRsvp.person_id == person_id
        )
    )
    return result.scalar_one_or_none()


async def join(
    session: AsyncSession,
    occurrence: MealOccurrence,
    person_id: int,
    is_volunteer: bool,
    now: datetime,
) -> str:
    """Take a seat or a place on the waiting list.

    Returns "joined", "waiting", "already_joined" or "already_waiting".
    """
    existing = await rsvp_of(session, occurrence.id, person_id)
    if existing is not None and existing.status in (JOINED, WAITING):
        return f"already_{existing.status}"
    seated = await _take_seat(session, occurrence.id)
    status = JOINED if seated else WAITING
    if existing is not None:  # a guest who came without a seat now takes one
        existing.status = status
        existing.created_at = now
    else:
        session.add(
            MealRsvp(
                occurrence_id=occurrence.id,
                person_id=person_id,
                status=status,
                is_volunteer=is_volunteer,
                created_at=now,
            )
        )
    await session.flush()
    return status


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
        if first is None or not await _take_seat(session, occurrence_id):
            return promoted
        first.status = JOINED
        first.moved_up = True
        promoted.append(first.person_id)
        await session.flush()


async def leave(session: AsyncSession, occurrence: MealOccurrence, person_id: int) -> str:
    """Give up a seat (the waiting list moves up) or a waiting place.

    Returns "left", "left_waiting" or "not_joined".
    """
    rsvp = await rsvp_of(session, occurrence.id, person_id)
    if rsvp is None or rsvp.status == GUEST:
        return "not_joined"
    was_seated = rsvp.status == JOINED
    await session.delete(rsvp)
    await session.flush()
    await cancel_pending(session, f"meal:{occurrence.id}:p{person_id}:")
    if not was_seated:
        return "left_waiting"
    await _free_seat(session, occurrence.id)
    if occurrence.status == SCHEDULED:
        await promote_waiting(session, occurrence.id)
    return "left"


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
    future = list((await session.execute(_upcoming(meal, now))).scalars())
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


# ---------------------------------------------------------------- telling people


def when_text(services: Services, meal: Meal, occurrence: MealOccurrence, rec: Recipient) -> str:
    return format_local(occurrence.starts_at, rec.zone, rec.lang)


def text_for(services: Services, lang: str, key: str, **values: object) -> str:
    values.setdefault("community", services.config.community.name)
    values.setdefault("prefix", services.prefix(str(values.pop("platform", ""))))
    return services.translator.text(lang, key, **values)


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
) -> int:
    """A private message ``key`` to each person, in their language and time zone."""
    found = await recipients(session, services, person_ids, meal.platform)
    rows = []
    for rec in found.values():
        text = text_for(
            services,
            rec.lang,
            key,
            platform=rec.to.platform,
            title=meal.title,
            code=meal.code,
            when=when_text(services, meal, occurrence, rec),
        )
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


async def people_at(
    session: AsyncSession, occurrence_id: int, statuses: Sequence[str]
) -> list[int]:
    result = await session.execute(
        select(MealRsvp.person_id)
        .where(MealRsvp.occurrence_id == occurrence_id, MealRsvp.status.in_(statuses))
        .order_by(MealRsvp.id)
    )
    return list(result.scalars())


async def cancel_occurrence(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrence: MealOccurrence,
    now: datetime,
) -> int:
    """Cancel one date: pending reminders go, everyone who joined or waited is told."""
    people = await people_at(session, occurrence.id, (JOINED, WAITING))
    occurrence.status = CANCELLED
    occurrence.cancelled_at = now
    await cancel_pending(session, f"meal:{occurrence.id}:")
    await call_off_video_places(session, meal, [occurrence], now)
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
    future = list((await session.execute(_upcoming(meal, now))).scalars())
    told: set[int] = set()
    for occurrence in future:
        people = await people_at(session, occurrence.id, (JOINED, WAITING))
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
    await call_off_video_places(session, meal, future, now)
    await session.execute(delete(MealSubscription).where(MealSubscription.meal_id == meal.id))
    return len(told)


# ---------------------------------------------------------------- timed work


async def run_due(job: JobContext) -> dict[str, int]:
    """Plan series, move-up notices, reminders, start notices and feedback prompts due now."""
    session, services, now = job.session, job.services, job.now
    counts = {"planned": 0, "moved_up": 0, "reminders": 0, "started": 0, "feedback": 0}
    counts["planned"] = await _plan_series(session, services, now)
    counts["moved_up"] = await _tell_moved_up(session, services, now)
    counts["reminders"] = await _send_reminders(session, services, now)
    counts["started"] = await _announce_starts(session, services, now)
    counts["feedback"] = await _ask_feedback(session, services, now)
    return counts


async def _plan_series(session: AsyncSession, services: Services, now: datetime) -> int:
    due = (
        await session.execute(
            select(Meal).where(
                Meal.every_weeks > 0,
                Meal.cancelled_at.is_(None),
                Meal.planned_until < now + plan_horizon(services) - timedelta(weeks=1),
            )
        )
    ).scalars()
    made = 0
    for meal in list(due):
        made += len(await plan_meal(session, services, meal, now))
    return made


async def _tell_moved_up(session: AsyncSession, services: Services, now: datetime) -> int:
    rows = list(
        (
            await session.execute(
                select(MealRsvp, MealOccurrence, Meal)
                .join(MealOccurrence, MealOccurrence.id == MealRsvp.occurrence_id)
                .join(Meal, Meal.id == MealOccurrence.meal_id)
                .where(MealRsvp.moved_up.is_(True))
            )
        ).all()
    )
    sent = 0
    for rsvp, occurrence, meal in rows:
        rsvp.moved_up = False
        if occurrence.status != SCHEDULED or occurrence.starts_at <= now:
            continue
        sent += await tell_people(
            session,
            services,
            meal,
            occurrence,
            [rsvp.person_id],
            "meal.moved_up",
            now=now,
            kind="meal_moved_up",
            dedupe=f"meal:{occurrence.id}:up{rsvp.id}",
        )
    return sent


async def assign_tables(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrence: MealOccurrence,
    now: datetime,
) -> tuple[dict[int, int], dict[int, str], dict[int, int | None]]:
    """Split the joined people into balanced tables and store each person's table.

    Returns ({person: table}, {table: video url}, {table: host person or None}).
    """
    rsvps = (
        await session.execute(
            select(MealRsvp.id, MealRsvp.person_id, MealRsvp.is_volunteer, MealRsvp.table_no)
            .where(MealRsvp.occurrence_id == occurrence.id, MealRsvp.status == JOINED)
            .order_by(MealRsvp.id)
        )
    ).all()
    tables = split_tables(
        [Seat(person_id, volunteer) for _, person_id, volunteer, _ in rsvps],
        services.config.meals.table_size,
    )
    seat_of = {seat.person_id: table.number for table in tables for seat in table.seats}
    changed = [
        {"id": rsvp_id, "table_no": seat_of[person_id]}
        for rsvp_id, person_id, _, table_no in rsvps
        if table_no != seat_of[person_id]
    ]
    if changed:
        # One bulk statement by primary key for all moved seats, not an ORM flush per row.
        await session.execute(update(MealRsvp), changed)
    links = await ensure_tables(session, services, meal, occurrence, len(tables), now)
    return seat_of, links, {table.number: table.host for table in tables}


async def _send_reminders(session: AsyncSession, services: Services, now: datetime) -> int:
    offsets = reminder_offsets(services)
    if not offsets:
        return 0
    rows = list(
        (
            await session.execute(
                select(MealOccurrence, Meal)
                .join(Meal, Meal.id == MealOccurrence.meal_id)
                .where(
                    MealOccurrence.status == SCHEDULED,
                    MealOccurrence.reminders_done < len(offsets),
                    MealOccurrence.starts_at > now,
                    MealOccurrence.starts_at <= now + offsets[0],
                )
                .order_by(MealOccurrence.starts_at)
            )
        ).all()
    )
    total = 0
    for occurrence, meal in rows:
        due = [i for i, offset in enumerate(offsets) if occurrence.starts_at - offset <= now]
        if not due or due[-1] < occurrence.reminders_done:
            continue
        # Only the latest reminder that is due: a meal planned at short notice gets one.
        index = due[-1]
        occurrence.reminders_done = index + 1
        total += await _remind(session, services, meal, occurrence, index, now)
    return total


async def _remind(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrence: MealOccurrence,
    index: int,
    now: datetime,
) -> int:
    seat_of, links, hosts = await assign_tables(session, services, meal, occurrence, now)
    if not seat_of:
        return 0
    found = await recipients(session, services, seat_of, meal.platform)
    host_names = await _names(session, [h for h in hosts.values() if h is not None])
    when_cache: dict[tuple[str, str], str] = {}
    rows = []
    for rec in found.values():
        cache_key = (rec.zone, rec.lang)
        if cache_key not in when_cache:
            when_cache[cache_key] = format_local(occurrence.starts_at, rec.zone, rec.lang)
        table = seat_of[rec.person_id]
        link = links.get(table, "")
        values: dict[str, object] = {
            "platform": rec.to.platform,
            "title": meal.title,
            "code": meal.code,
            "when": when_cache[cache_key],
            "link": link or text_for(services, rec.lang, "meal.link_follows"),
        }
        text = text_for(services, rec.lang, "meal.reminder", **values)
        if len(links) > 1:
            host = hosts.get(table)
            text += "\n" + text_for(
                services, rec.lang, "meal.reminder_table", table=table, tables=len(links)
            )
            if host is not None and host != rec.person_id:
                text += " " + text_for(
                    services, rec.lang, "meal.reminder_host", host=host_names[host]
                )
            elif host == rec.person_id:
                text += " " + text_for(services, rec.lang, "meal.reminder_you_host")
        rows.append(
            {
                "message": TextMessage(rec.to, text),
                "due_at": now,
                "kind": "meal_reminder",
                "person_id": rec.person_id,
                "dedupe_key": f"meal:{occurrence.id}:p{rec.person_id}:r{index}",
                "expires_at": ends_at(meal, occurrence),
            }
        )
    return await enqueue_many(session, rows, now=now)


async def _names(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, str]:
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


async def _announce_starts(session: AsyncSession, services: Services, now: datetime) -> int:
    rows = list(
        (
            await session.execute(
                select(MealOccurrence, Meal)
                .join(Meal, Meal.id == MealOccurrence.meal_id)
                .where(
                    MealOccurrence.status == SCHEDULED,
                    MealOccurrence.start_announced.is_(False),
                    MealOccurrence.starts_at <= now,
                )
            )
        ).all()
    )
    lang = services.config.community.language
    zone = services.config.community.timezone
    sent = 0
    for occurrence, meal in rows:
        occurrence.start_announced = True
        if now - occurrence.starts_at > services.config.scheduling.grace:
            continue  # the bot was down; "begins now" would be wrong
        taken = occurrence.taken
        _seat_of, links, _hosts = await assign_tables(session, services, meal, occurrence, now)
        if len(links) > 1:
            link_lines = "\n".join(
                text_for(services, lang, "meal.table_link", table=n, link=url or "…")
                for n, url in sorted(links.items())
            )
        else:
            link_lines = links.get(1) or text_for(services, lang, "meal.link_follows")
        for room in await meal_rooms(session, services, meal):
            text = text_for(
                services,
                lang,
                "meal.begins",
                platform=room.platform,
                title=meal.title,
                code=meal.code,
                when=format_local(occurrence.starts_at, zone, lang),
                links=link_lines,
                joined=services.translator.plural(lang, "meal.people_joined", taken),
            )
            sent += int(
                await enqueue(
                    session,
                    ChoicePrompt(
                        room,
                        text,
                        (
                            Option(
                                text_for(services, lang, "meal.button_here"),
                                command_option(f"meal here {meal.code}"),
                            ),
                        ),
                    ),
                    due_at=now,
                    now=now,
                    kind="meal_start",
                    dedupe_key=f"meal:{occurrence.id}:start:{room.platform}:{room.room_id}"[:255],
                    expires_at=ends_at(meal, occurrence),
                )
            )
    return sent


async def _ask_feedback(session: AsyncSession, services: Services, now: datetime) -> int:
    shortest = timedelta(minutes=10)
    rows = list(
        (
            await session.execute(
                select(MealOccurrence, Meal)
                .join(Meal, Meal.id == MealOccurrence.meal_id)
                .where(
                    MealOccurrence.status == SCHEDULED,
                    MealOccurrence.feedback_asked.is_(False),
                    MealOccurrence.starts_at <= now - shortest,
                )
            )
        ).all()
    )
    sent = 0
    for occurrence, meal in rows:
        end = ends_at(meal, occurrence)
        if end > now:
            continue
        occurrence.feedback_asked = True
        if now - end > services.config.scheduling.grace:
            continue
        came = await session.execute(
            select(MealRsvp.person_id)
            .where(MealRsvp.occurrence_id == occurrence.id, MealRsvp.attended_at.is_not(None))
            .order_by(MealRsvp.id)
        )
        people = list(came.scalars())
        if not people:  # nobody said "here": ask everyone who had a seat
            people = await people_at(session, occurrence.id, (JOINED,))
        else:  # attendance was taken: a warm word for whoever had a seat and didn't come
            came_ids = set(people)
            seated = await people_at(session, occurrence.id, (JOINED,))
            absent = [person for person in seated if person not in came_ids]
            sent += await _missed_you(session, services, meal, occurrence, absent, now)
        found = await recipients(session, services, people, meal.platform)
        rows_out = []
        for rec in found.values():
            text = text_for(
                services,
                rec.lang,
                "meal.feedback_prompt",
                platform=rec.to.platform,
                title=meal.title,
                code=meal.code,
            )
            options = tuple(
                Option(
                    text_for(services, rec.lang, f"meal.rating_{n}"),
                    command_option(f"meal feedback {meal.code} {n}"),
                )
                for n in range(1, 6)
            )
            rows_out.append(
                {
                    "message": ChoicePrompt(rec.to, text, options),
                    "due_at": now,
                    "kind": "meal_feedback",
                    "person_id": rec.person_id,
                    "dedupe_key": f"meal:{occurrence.id}:p{rec.person_id}:fb",
                    "expires_at": end + FEEDBACK_WINDOW,
                }
            )
        sent += await enqueue_many(session, rows_out, now=now)
    return sent


async def _missed_you(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrence: MealOccurrence,
    absent: Sequence[int],
    now: datetime,
) -> int:
    """One kind word to people who had a seat but did not come: never a penalty, never a nag.

    Someone told in the last ``MISSED_YOU_EVERY`` days is not told again.
    """
    if not absent:
        return 0
    told = set(
        (
            await session.execute(
                select(OutboxItem.person_id).where(
                    OutboxItem.kind == MISSED_KIND,
                    OutboxItem.person_id.in_(absent),
                    OutboxItem.created_at > now - MISSED_YOU_EVERY,
                )
            )
        ).scalars()
    )
    following = await next_occurrence(session, meal, now)
    rows = []
    for rec in (await recipients(session, services, absent, meal.platform)).values():
        if rec.person_id in told:
            continue
        if following is not None:
            closing = text_for(
                services,
                rec.lang,
                "meal.missed_next",
                when=when_text(services, meal, following, rec),
            )
        else:
            closing = text_for(services, rec.lang, "meal.missed_any", platform=rec.to.platform)
        text = text_for(services, rec.lang, "meal.missed_you", title=meal.title, next=closing)
        rows.append(
            {
                "message": TextMessage(rec.to, text),
                "due_at": now,
                "kind": MISSED_KIND,
                "person_id": rec.person_id,
                "dedupe_key": f"meal:{occurrence.id}:p{rec.person_id}:missed",
            }
        )
    return await enqueue_many(session, rows, now=now)


# ---------------------------------------------------------------- retention and personal data


async def purge(session: AsyncSession, before: datetime) -> dict[str, int]:
    """Delete occurrences (with seats, tables and feedback) that started before ``before``,
    and meals with nothing left to come."""
    occurrences = await session.execute(
        delete(MealOccurrence).where(MealOccurrence.starts_at < before)
    )
    meals = await session.execute(delete(Meal).where(Meal.planned_until < before))
    return {"occurrences": _rowcount(occurrences), "meals": _rowcount(meals)}


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
                    "joined_at": _iso(rsvp.created_at),
                }
                for rsvp, occ, meal in seats
            ],
            "every_time": [
                {"id": meal.code, "title": meal.title, "since": _iso(sub.created_at)}
                for sub, meal in series
            ],
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
            .where(MealRsvp.person_id == person_id, MealRsvp.status.in_((JOINED, WAITING)))
        )
        for occurrence in list(seats.scalars()):
            await leave(session, occurrence, person_id)
        await session.execute(delete(MealRsvp).where(MealRsvp.person_id == person_id))
        await session.execute(
            delete(MealSubscription).where(MealSubscription.person_id == person_id)
        )
        await session.execute(
            update(MealFeedback)
            .where(MealFeedback.person_id == person_id)
            .values(person_id=None, comment="")
        )
        await session.execute(
            update(Meal).where(Meal.host_person_id == person_id).values(host_person_id=None)
        )


def announcement_options(services: Services, lang: str, code: str) -> list[Option]:
    """Join/leave buttons for a meal announcement."""
    return [
        Option(text_for(services, lang, "meal.button_join"), command_option(f"meal join {code}")),
        Option(text_for(services, lang, "meal.button_leave"), command_option(f"meal leave {code}")),
    ]


def announcement(services: Services, lang: str, room: Room, text: str, code: str) -> Outgoing:
    return ChoicePrompt(room, text, tuple(announcement_options(services, lang, code)))
