"""Timed work for shared meals: planning series, move-up notices, reminders, start
announcements, feedback prompts and a warm word for those who could not come.

Each step loads what is due, marks it done on its row (so a second process or a
restart does not repeat it), renders and enqueues.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import JobContext, Services
from bot.core.events import TextMessage
from bot.core.outbox import enqueue, enqueue_many, people_given
from bot.meals import maybe, offers, render
from bot.meals.load import meal_rooms, next_occurrence, people_at, recipients
from bot.meals.models import JOINED, SCHEDULED, Meal, MealOccurrence, MealRsvp
from bot.meals.native import publish
from bot.meals.places import assign_tables
from bot.meals.planning import plan_horizon, plan_meal
from bot.meals.reminding import send_reminders
from bot.meals.rules import FEEDBACK_WINDOW, ends_at
from bot.meals.service import tell_people

MISSED_KIND = "meal_missed"  # outbox kind of a "we missed you"; also the record of who was told
MISSED_YOU_EVERY = timedelta(days=30)  # at most one "we missed you" per person in this time


async def run_due(job: JobContext) -> dict[str, int]:
    """Plan series, move-up notices, reminders, start notices and feedback prompts due now."""
    session, services, now = job.session, job.services, job.now
    counts = {"planned": 0, "moved_up": 0, "reminders": 0, "started": 0, "feedback": 0}
    counts["planned"] = await _plan_series(session, services, now)
    # Offers not answered in time free their seats first, so the next is asked at once.
    counts["offers_expired"] = await offers.expire_offers(session, services, now)
    counts["moved_up"] = await tell_moved_up(session, services, now)
    counts["positions"] = await offers.tell_positions(session, services, now)
    counts["maybe"] = await maybe.remind_maybes(session, services, now)
    counts["minimum"] = await offers.check_minimums(session, services, now)
    counts["reminders"] = await send_reminders(session, services, now)
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


async def tell_moved_up(session: AsyncSession, services: Services, now: datetime) -> int:
    """Tell those moved up from a waiting list; also called in the unit of work that freed
    the seat, so they hear at once instead of at the next run of the timed jobs. Close to
    the start the seat is offered instead, and waits for their yes."""
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
        if await offers.offer_or_keep(session, services, rsvp, occurrence, meal, now):
            sent += 1
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
        link_lines = render.table_links(services, lang, links)
        for room in await meal_rooms(session, services, meal):
            sent += int(
                await enqueue(
                    session,
                    render.begins(
                        services, lang, zone, room, meal, occurrence, links=link_lines, taken=taken
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
        if meal.every_weeks and meal.native_event_id:
            # The date is over: the platform's event of the series moves on to the next
            # date, at its local time (right across a daylight-saving change).
            await publish(session, services, meal, now)
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
            rows_out.append(
                {
                    "message": render.feedback_prompt(services, rec, meal),
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
    told = await people_given(session, MISSED_KIND, absent, since=now - MISSED_YOU_EVERY)
    following = await next_occurrence(session, meal, now)
    rows = []
    for rec in (await recipients(session, services, absent, meal.platform)).values():
        if rec.person_id in told:
            continue
        rows.append(
            {
                "message": TextMessage(rec.to, render.missed_you(services, rec, meal, following)),
                "due_at": now,
                "kind": MISSED_KIND,
                "person_id": rec.person_id,
                "dedupe_key": f"meal:{occurrence.id}:p{rec.person_id}:missed",
            }
        )
    return await enqueue_many(session, rows, now=now)
