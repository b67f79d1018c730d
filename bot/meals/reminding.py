"""Meal reminders at the times each person chose (``meal reminders 1d 30m``), kept out of
their quiet hours.

Each joined seat remembers the last reminder sent (``reminded_minutes``); on every run
the pure rule :func:`bot.meals.reminder_times.due_reminder` says which one, if any, is
due now. A reminder that falls in the person's quiet hours waits until they end (the
text names the date and time, so it is still right then) and gives way to a later one
due by then; a reminder that could only arrive after the meal has started is dropped.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import as_utc
from bot.core.context import Services
from bot.core.events import TextMessage
from bot.core.outbox import enqueue_many
from bot.core.quiet import parse_quiet_hours, send_time, stored_quiet_hours
from bot.db.models import Person
from bot.meals import render
from bot.meals.load import display_names, recipients
from bot.meals.models import JOINED, SCHEDULED, Meal, MealOccurrence, MealReminderChoice, MealRsvp
from bot.meals.places import assign_tables
from bot.meals.reminder_times import LONGEST, default_minutes, due_reminder, from_stored

REMINDER_KIND = "meal_reminder"


MOST_CHOICES_IN_SQL = 50  # distinct choices spelled out in the query; beyond, a wider net


async def _possibly_due(
    session: AsyncSession, services: Services, now: datetime
) -> tuple[Any, int]:
    """A condition true for the joined seats that may have a reminder due now, and the
    longest reminder anyone has (no date starting later needs to be looked at).

    Spelled out per distinct choice (people share a few: the usual, "1d 30m"…), so a
    run reads only the seats it will remind, not every seat of the coming week.
    """
    choices = list((await session.execute(select(MealReminderChoice.minutes).distinct())).scalars())
    # (which people, their reminders, whether only seats not yet reminded are read)
    sets: list[tuple[Any, tuple[int, ...], bool]] = [
        (
            MealReminderChoice.minutes.is_(None),
            default_minutes(services.config.meals.reminders_before),
            True,
        )
    ]
    wide = len(choices) > MOST_CHOICES_IN_SQL
    if wide:
        # Too many different choices to spell out: the exact rule decides, after reading.
        sets.append((MealReminderChoice.minutes != "", (LONGEST,), False))
    else:
        sets += [(MealReminderChoice.minutes == text, from_stored(text), True) for text in choices]
    clauses = []
    for chosen, minutes, exact in sets:
        if not minutes:
            continue  # no reminders
        due_any = [
            and_(
                MealOccurrence.starts_at <= now + timedelta(minutes=m),
                or_(MealRsvp.reminded_minutes.is_(None), MealRsvp.reminded_minutes > m)
                if exact
                else true(),
            )
            for m in minutes
        ]
        clauses.append(and_(chosen, or_(*due_any)))
    longest = max((max(minutes) for _, minutes, _ in sets if minutes), default=0)
    return (or_(*clauses) if clauses else false()), longest


async def send_reminders(session: AsyncSession, services: Services, now: datetime) -> int:
    """Enqueue every reminder due now; returns how many were queued."""
    possibly_due, longest = await _possibly_due(session, services, now)
    # Plain columns, not entities: thousands of seats may fall due in the same minute.
    seats = (
        await session.execute(
            select(
                MealRsvp.id,
                MealRsvp.person_id,
                MealRsvp.reminded_minutes,
                MealRsvp.occurrence_id,
                MealOccurrence.starts_at,
                MealReminderChoice.minutes,
                Person.timezone,
                Person.quiet_hours,
            )
            .join(MealOccurrence, MealOccurrence.id == MealRsvp.occurrence_id)
            .join(Person, Person.id == MealRsvp.person_id)
            .outerjoin(MealReminderChoice, MealReminderChoice.person_id == MealRsvp.person_id)
            .where(
                MealRsvp.status == JOINED,
                MealOccurrence.status == SCHEDULED,
                MealOccurrence.starts_at > now,
                MealOccurrence.starts_at <= now + timedelta(minutes=longest),
                possibly_due,
            )
            .order_by(MealOccurrence.starts_at, MealRsvp.id)
        )
    ).all()
    if not seats:
        return 0
    default = default_minutes(services.config.meals.reminders_before)
    community = services.config.delivery.quiet_hours
    default_quiet = parse_quiet_hours(community) if community else None
    zones: dict[str, ZoneInfo] = {}
    # occurrence id -> [(rsvp id, person, minutes, send at or None to drop)]
    due: dict[int, list[tuple[int, int, int, datetime | None]]] = {}
    for (
        rsvp_id,
        person_id,
        reminded,
        occurrence_id,
        starts_at,
        choice,
        zone_name,
        quiet_text,
    ) in seats:
        starts_at = as_utc(starts_at)
        minutes = default if choice is None else from_stored(choice)
        if due_reminder(starts_at, minutes, now, reminded) is None:
            continue
        zone_name = zone_name or services.config.community.timezone
        if zone_name not in zones:
            zones[zone_name] = ZoneInfo(zone_name)
        quiet = stored_quiet_hours(quiet_text, default_quiet)
        send_at = send_time(now, zones[zone_name], quiet, starts_at)
        which = due_reminder(starts_at, minutes, now, reminded, send_at)
        if which is None:  # nothing left that could arrive before the start
            which, send_at = min(minutes), None
        due.setdefault(occurrence_id, []).append((rsvp_id, person_id, which, send_at))
    if not due:
        return 0
    found = (
        await session.execute(
            select(MealOccurrence, Meal)
            .join(Meal, Meal.id == MealOccurrence.meal_id)
            .where(MealOccurrence.id.in_(list(due)))
            .order_by(MealOccurrence.starts_at, MealOccurrence.id)
        )
    ).all()
    total = 0
    for occurrence, meal in found:
        people_due = due[occurrence.id]
        await session.execute(
            update(MealRsvp),
            [{"id": rsvp_id, "reminded_minutes": which} for rsvp_id, _, which, _ in people_due],
        )
        total += await _remind(session, services, meal, occurrence, people_due, now)
        await asyncio.sleep(0)  # others' commands between meals
    return total


async def _remind(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrence: MealOccurrence,
    people_due: list[tuple[int, int, int, datetime | None]],
    now: datetime,
) -> int:
    seat_of, links, hosts = await assign_tables(session, services, meal, occurrence, now)
    sending = {person_id: (which, at) for _, person_id, which, at in people_due if at is not None}
    found = await recipients(session, services, [p for p in sending if p in seat_of], meal.platform)
    host_names = await display_names(session, [h for h in hosts.values() if h is not None])
    rows = []
    for rec in found.values():
        which, send_at = sending[rec.person_id]
        assert send_at is not None
        text = render.reminder(
            services,
            rec,
            meal,
            when=render.when(occurrence.starts_at, rec.zone, rec.lang, now),
            table=seat_of[rec.person_id],
            links=links,
            hosts=hosts,
            host_names=host_names,
        )
        rows.append(
            {
                "message": TextMessage(rec.to, text),
                "due_at": send_at,
                "kind": REMINDER_KIND,
                "person_id": rec.person_id,
                # The start is in the key: a meal moved to another time is reminded again.
                "dedupe_key": (
                    f"meal:{occurrence.id}:p{rec.person_id}:m{which}"
                    f":{occurrence.starts_at:%Y%m%d%H%M}"
                ),
                # A reminder is of no use once the meal has begun.
                "expires_at": occurrence.starts_at,
            }
        )
    return await enqueue_many(session, rows, now=now)
