"""The waiting list close to a meal and the minimum size: the steps and timed work that
apply the rules of ``bot.meals.waiting`` ("maybe" is in ``bot.meals.maybe``).

A seat freed close to the start is held for the first on the waiting list (status
``offered``, counted in ``taken`` so nobody else can take it) until they say yes, say
no, or the deadline passes; then it goes to the next. Earlier than the window the
first simply gets it, as before. Each step marks its rows, so a second run or a
restart does not repeat a message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.events import ChoicePrompt, Option, TextMessage, invoke
from bot.core.outbox import enqueue_many
from bot.core.quiet import parse_quiet_hours, quiet_ends, stored_quiet_hours
from bot.db.models import Person
from bot.meals import render
from bot.meals.companions import seats_for
from bot.meals.load import recipients
from bot.meals.maybe import maybe_count
from bot.meals.models import (
    JOINED,
    OFFERED,
    SCHEDULED,
    WAITING,
    Meal,
    MealOccurrence,
    MealRsvp,
)
from bot.meals.rules import local_day
from bot.meals.service import _free_seat, promote_waiting
from bot.meals.waiting import (
    OfferTimes,
    below_minimum,
    offer_deadline,
    offers_apply,
    position_changes,
)
from bot.rooms.service import rooms_for

OFFER_KIND = "meal_offer"


def offer_times(services: Services) -> OfferTimes:
    meals = services.config.meals
    return OfferTimes(window=meals.offer_window, length=meals.offer_length)


def _deadline_text(moment: datetime, zone: str, lang: str, now: datetime) -> str:
    """ "14:00" when the deadline is today for the reader, else with its day."""
    local = moment.astimezone(ZoneInfo(zone))
    if local.date() == now.astimezone(ZoneInfo(zone)).date():
        return f"{local:%H:%M}"
    return render.when(moment, zone, lang, now)


# ---------------------------------------------------------------- offers


async def _quiet_until(
    session: AsyncSession,
    services: Services,
    person_id: int,
    found: Mapping[Any, Any],
    now: datetime,
) -> datetime:
    """When the person's quiet hours end (``now`` if they are awake): their own setting, or
    the community's, in their zone."""
    stored = (
        await session.execute(select(Person.quiet_hours).where(Person.id == person_id))
    ).scalar_one_or_none()
    community = services.config.delivery.quiet_hours
    quiet = stored_quiet_hours(stored, parse_quiet_hours(community) if community else None)
    zones = [rec.zone for rec in found.values()] or [services.config.community.timezone]
    return quiet_ends(now, ZoneInfo(zones[0]), quiet)


async def offer_or_keep(
    session: AsyncSession,
    services: Services,
    rsvp: MealRsvp,
    occurrence: MealOccurrence,
    meal: Meal,
    now: datetime,
) -> int:
    """Someone just moved up into a freed seat: close to the start the seat becomes an
    offer that waits for their yes (and they are asked); returns 1 if it did, 0 if the
    seat is simply theirs (the caller tells them so)."""
    times = offer_times(services)
    if not offers_apply(occurrence.starts_at, now, times):
        return 0
    found = await recipients(session, services, [rsvp.person_id], meal.platform)
    # An offer made in the night is held until the person's quiet hours end; its time to
    # answer starts then, so nobody loses a seat while asleep.
    seen_from = await _quiet_until(session, services, rsvp.person_id, found, now)
    deadline = offer_deadline(now, occurrence.starts_at, times, seen_from)
    rsvp.status = OFFERED
    rsvp.offer_expires_at = deadline
    rsvp.position_told = None
    rows = []
    for rec in found.values():
        text = render.notice(
            services,
            rec,
            meal,
            occurrence,
            "meal.offer",
            deadline=_deadline_text(deadline, rec.zone, rec.lang, now),
        )
        options = render.join_or_leave(
            services,
            rec.lang,
            meal,
            local_day(meal, occurrence),
            "meal.button_offer_yes",
            "meal.button_offer_no",
        )
        rows.append(
            {
                "message": ChoicePrompt(rec.to, text, options),
                "due_at": now,
                "kind": OFFER_KIND,
                "person_id": rec.person_id,
                "dedupe_key": f"meal:{occurrence.id}:p{rec.person_id}:offer{rsvp.id}:"
                f"{int(deadline.timestamp())}",
                "expires_at": deadline,
            }
        )
    await enqueue_many(session, rows, now=now)
    return 1


async def expire_offers(session: AsyncSession, services: Services, now: datetime) -> int:
    """Offers nobody answered in time: the seat is freed (the caller moves the list up,
    which offers it to the next) and the person is told kindly.

    They leave the waiting list rather than keep their place: someone who could not
    answer within hours of the meal is unlikely to come, and keeping them would hold
    every later seat for a deadline too. The message has a button that puts them back
    on the list (at the end) with one tap.
    """
    rows = list(
        (
            await session.execute(
                select(MealRsvp, MealOccurrence, Meal)
                .join(MealOccurrence, MealOccurrence.id == MealRsvp.occurrence_id)
                .join(Meal, Meal.id == MealOccurrence.meal_id)
                .where(MealRsvp.status == OFFERED, MealRsvp.offer_expires_at <= now)
                .order_by(MealRsvp.id)
            )
        ).all()
    )
    expired = 0
    for rsvp, occurrence, meal in rows:
        person_id, rsvp_id = rsvp.person_id, rsvp.id
        seats = seats_for(rsvp.companions)  # their companions' seats were held with theirs
        await session.delete(rsvp)
        await session.flush()
        await _free_seat(session, occurrence.id, seats)
        expired += 1
        if occurrence.status != SCHEDULED or occurrence.starts_at <= now:
            continue
        await promote_waiting(session, occurrence.id)
        found = await recipients(session, services, [person_id], meal.platform)
        out = []
        for rec in found.values():
            text = render.notice(services, rec, meal, occurrence, "meal.offer_expired")
            option = Option(
                render.text_for(services, rec.lang, "meal.button_back_on_list"),
                invoke("meal join", meal.code, local_day(meal, occurrence)),
            )
            out.append(
                {
                    "message": ChoicePrompt(rec.to, text, (option,)),
                    "due_at": now,
                    "kind": OFFER_KIND,
                    "person_id": rec.person_id,
                    "dedupe_key": f"meal-offer-expired:{occurrence.id}:{rsvp_id}",
                    "expires_at": occurrence.starts_at,
                }
            )
        await enqueue_many(session, out, now=now)
    return expired


# ---------------------------------------------------------------- positions


async def position_of(session: AsyncSession, occurrence_id: int, person_id: int) -> int | None:
    """Someone's place on a date's waiting list (1 is next), None if not waiting."""
    mine = (
        await session.execute(
            select(MealRsvp.id).where(
                MealRsvp.occurrence_id == occurrence_id,
                MealRsvp.person_id == person_id,
                MealRsvp.status == WAITING,
            )
        )
    ).scalar_one_or_none()
    if mine is None:
        return None
    ahead = (
        await session.execute(
            select(func.count()).where(
                MealRsvp.occurrence_id == occurrence_id,
                MealRsvp.status == WAITING,
                MealRsvp.id <= mine,
            )
        )
    ).scalar_one()
    return int(ahead)


async def note_position(
    session: AsyncSession, occurrence_id: int, person_id: int, position: int
) -> None:
    """Remember the place someone was just told, so only a change is told later."""
    await session.execute(
        update(MealRsvp)
        .where(MealRsvp.occurrence_id == occurrence_id, MealRsvp.person_id == person_id)
        .values(position_told=position)
        .execution_options(synchronize_session=False)
    )


async def tell_positions(session: AsyncSession, services: Services, now: datetime) -> int:
    """One message to each waiting person whose place changed since they were last told
    (however many moves happened in between)."""
    rows = list(
        (
            await session.execute(
                select(MealRsvp.id, MealRsvp.person_id, MealRsvp.position_told, MealOccurrence)
                .join(MealOccurrence, MealOccurrence.id == MealRsvp.occurrence_id)
                .where(
                    MealRsvp.status == WAITING,
                    MealOccurrence.status == SCHEDULED,
                    MealOccurrence.starts_at > now,
                )
                .order_by(MealRsvp.occurrence_id, MealRsvp.id)
            )
        ).all()
    )
    by_occurrence: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)
    occurrences: dict[int, MealOccurrence] = {}
    for rsvp_id, person_id, told_at, occurrence in rows:
        by_occurrence[occurrence.id].append((rsvp_id, person_id, told_at))
        occurrences[occurrence.id] = occurrence
    sent = 0
    updates: list[dict[str, int]] = []
    for occurrence_id, waiting in by_occurrence.items():
        order = [person for _, person, _ in waiting]
        told = {person: position for _, person, position in waiting}
        changed = position_changes(told, order)
        for place, (rsvp_id, _person, was) in enumerate(waiting, 1):
            if was != place:
                updates.append({"id": rsvp_id, "position_told": place})
        if not changed:
            continue
        occurrence = occurrences[occurrence_id]
        meal = await session.get(Meal, occurrence.meal_id)
        if meal is None:
            continue
        found = await recipients(session, services, changed, meal.platform)
        out = []
        for rec in found.values():
            place = changed[rec.person_id]
            out.append(
                {
                    "message": TextMessage(
                        rec.to,
                        render.notice(
                            services, rec, meal, occurrence, "meal.position_changed", position=place
                        ),
                    ),
                    "due_at": now,
                    "kind": "meal_position",
                    "person_id": rec.person_id,
                    "dedupe_key": f"meal:{occurrence.id}:p{rec.person_id}:at{place}:"
                    f"{int(now.timestamp())}",
                    "expires_at": occurrence.starts_at,
                }
            )
        sent += await enqueue_many(session, out, now=now)
    if updates:
        await session.execute(update(MealRsvp), updates)
    return sent


# ---------------------------------------------------------------- minimum size


async def check_minimums(session: AsyncSession, services: Services, now: datetime) -> int:
    """``minimum_check_before`` the start of a meal with a minimum: if fewer joined, the
    host is asked privately (organisers in their room when the meal has no host) whether
    to merge the tables, go ahead, or cancel kindly. Asked once per date."""
    before = services.config.meals.minimum_check_before
    rows = list(
        (
            await session.execute(
                select(MealOccurrence, Meal)
                .join(Meal, Meal.id == MealOccurrence.meal_id)
                .where(
                    Meal.minimum > 0,
                    MealOccurrence.status == SCHEDULED,
                    MealOccurrence.minimum_checked.is_(False),
                    MealOccurrence.starts_at > now,
                    MealOccurrence.starts_at <= now + before,
                )
                .order_by(MealOccurrence.starts_at)
            )
        ).all()
    )
    asked = 0
    for occurrence, meal in rows:
        occurrence.minimum_checked = True
        joined = int(
            (
                await session.execute(
                    select(func.count()).where(
                        MealRsvp.occurrence_id == occurrence.id, MealRsvp.status == JOINED
                    )
                )
            ).scalar_one()
        )
        if not below_minimum(joined, meal.minimum):
            continue
        asked += await _ask_about_minimum(session, services, meal, occurrence, joined, now)
    return asked


def minimum_options(services: Services, lang: str, meal: Meal, day: str) -> tuple[Option, ...]:
    """Merge the tables, go ahead as it is, or cancel (through the usual cancel flow)."""
    return (
        Option(
            render.text_for(services, lang, "meal.button_minimum_merge"),
            invoke("meal minimum", meal.code, f"merge {day}"),
        ),
        Option(
            render.text_for(services, lang, "meal.button_minimum_go"),
            invoke("meal minimum", meal.code, f"go {day}"),
        ),
        Option(
            render.text_for(services, lang, "meal.button_minimum_cancel"),
            invoke("meal cancel", meal.code, day),
        ),
    )


async def _ask_about_minimum(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrence: MealOccurrence,
    joined: int,
    now: datetime,
) -> int:
    day = local_day(meal, occurrence)
    maybes = await maybe_count(session, occurrence.id)
    values = {"joined": joined, "minimum": meal.minimum, "maybe": maybes}
    out = []
    host = meal.host_person_id
    found = await recipients(session, services, [host], meal.platform) if host else {}
    for rec in found.values():
        out.append(
            {
                "message": ChoicePrompt(
                    rec.to,
                    render.notice(services, rec, meal, occurrence, "meal.minimum_ask", **values),
                    minimum_options(services, rec.lang, meal, day),
                ),
                "due_at": now,
                "kind": "meal_minimum",
                "person_id": rec.person_id,
                "dedupe_key": f"meal:{occurrence.id}:minimum:{rec.person_id}",
                "expires_at": occurrence.starts_at,
            }
        )
    if not out:  # no host (or none we can write to): the organisers decide
        lang = services.config.community.language
        zone = services.config.community.timezone
        for room in await rooms_for(session, services.config, "organisers"):
            text = render.text_for(
                services,
                lang,
                "meal.minimum_ask_organisers",
                platform=room.platform,
                title=meal.title,
                code=meal.code,
                when=render.when(occurrence.starts_at, zone, lang, now),
                **values,
            )
            out.append(
                {
                    "message": ChoicePrompt(room, text, minimum_options(services, lang, meal, day)),
                    "due_at": now,
                    "kind": "meal_minimum",
                    "dedupe_key": f"meal:{occurrence.id}:minimum:{room.platform}:{room.room_id}"[
                        :255
                    ],
                    "expires_at": occurrence.starts_at,
                }
            )
    return await enqueue_many(session, out, now=now)
