"""Meals where the platform shows them itself: a Discord scheduled event (repeating for a
series), a one-click video widget in the Matrix room.

Chosen by the adapter's capabilities (``native_events``, ``video_widgets``), never by
platform name. The meal keeps the id its adapter returned (``Meal.native_event_id``):
a change of title, time or place publishes the meal again under that id, and
cancelling withdraws it. When the platform refuses (the bot lacks a permission), the
meal goes on with its link as always and the host is told once.

One cancelled (or moved) date of a series leaves the platform's series as it is — a
repeating event has one rule — and the event's description names the dates that
differ from it. After each date has started, the event moves on to the next date, so
a daylight-saving change is right on the next date too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.events import PlaceRef, PublishEvent, SendResult, TextMessage, WithdrawEvent
from bot.core.outbox import enqueue
from bot.meals import render
from bot.meals.load import meal_rooms, recipients, upcoming_query
from bot.meals.models import CANCELLED, Meal, MealOccurrence, MealTable
from bot.meals.rules import VOICE_KINDS, local_start, meal_time, meal_zone

log = logging.getLogger("samvaer.meals")

PUBLISH_KIND = "meal_native"  # outbox kind of a PublishEvent for a meal
WITHDRAW_KIND = "meal_native_withdraw"  # outbox kind of a WithdrawEvent for a meal
REFUSED_KIND = "meal_native_refused"  # outbox kind of the host's "the platform refused"
# Adapter capabilities (the names in bot/adapters/base.py) that show a meal natively.
NATIVE_EVENTS = "native_events"
VIDEO_WIDGETS = "video_widgets"
DESCRIPTION_LIMIT = 1000  # Discord's limit on an event's description
# Refusals that are no one's missing right (no server or room to show the meal in).
NOTHING_TO_SHOW_IN = frozenset({"no_server", "no_room"})


def shows_natively(services: Services, platform: str) -> bool:
    """Whether the adapter of ``platform`` shows meals as its own events or room widgets."""
    capabilities = services.extras.get("capabilities", {}).get(platform, frozenset())
    return bool({NATIVE_EVENTS, VIDEO_WIDGETS} & set(capabilities))


def reference_of(meal: Meal) -> str:
    return f"meal:{meal.id}"


def meal_id_of(reference: str) -> int | None:
    kind, _, number = reference.partition(":")
    return int(number) if kind == "meal" and number.isdigit() else None


# ---------------------------------------------------------------- pure rules


@dataclass(frozen=True)
class Departure:
    """A planned date of a series that differs from its rule."""

    day: date  # the local day
    moved_to: datetime | None  # the new start; None when the date is cancelled


def departures(dates: Sequence[tuple[datetime, bool]], at: time, zone: ZoneInfo) -> list[Departure]:
    """The dates (start, cancelled) that are cancelled or start at another time than the
    series' ``at``, soonest first."""
    found = []
    for starts_at, cancelled in sorted(dates):
        day = starts_at.astimezone(zone).date()
        if cancelled:
            found.append(Departure(day, None))
        elif starts_at != local_start(day, at, zone):
            found.append(Departure(day, starts_at))
    return found


def event_start(meal: Meal, next_date: MealOccurrence) -> datetime:
    """Where the platform's event starts: the next date, at the series' own time."""
    if meal.every_weeks <= 0:
        return next_date.starts_at
    zone = meal_zone(meal)
    return local_start(next_date.starts_at.astimezone(zone).date(), meal_time(meal), zone)


def description(services: Services, meal: Meal, changed: Sequence[Departure]) -> str:
    """What the event says, in the community's language: how to join, and the dates of a
    series that are not as its rule says."""
    community = services.config.community
    lang, zone = community.language, ZoneInfo(community.timezone)
    lines = [
        render.text_for(services, lang, "meal.event_about", platform=meal.platform, code=meal.code)
    ]
    for departure in changed:
        day = render.day_text(departure.day, community.timezone, lang)
        if departure.moved_to is None:
            lines.append(render.text_for(services, lang, "meal.event_not_on", day=day))
        else:
            local = departure.moved_to.astimezone(zone).strftime("%H:%M")
            lines.append(render.text_for(services, lang, "meal.event_moved", day=day, time=local))
    text = "\n".join(lines)
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


# ---------------------------------------------------------------- publishing


async def _table_one(session: AsyncSession, occurrence_id: int) -> str:
    found = await session.execute(
        select(MealTable.video_url).where(
            MealTable.occurrence_id == occurrence_id, MealTable.table_no == 1
        )
    )
    return found.scalar_one_or_none() or ""


async def _room_id(session: AsyncSession, services: Services, meal: Meal) -> str:
    """The meal's room: where it was scheduled, else the first meals room on its platform."""
    rooms = [r for r in await meal_rooms(session, services, meal) if r.platform == meal.platform]
    return rooms[0].room_id if rooms else ""


async def publish(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    now: datetime,
    *,
    place: str | None = None,
) -> bool:
    """Show the meal (or its change) on its platform; False when there is nothing to show.

    ``place`` is where people meet; by default the link of table 1 of the next date. A
    voice channel still being made has no link yet: its delivery publishes the meal.
    """
    if not shows_natively(services, meal.platform) or meal.cancelled_at is not None:
        return False
    upcoming = (await session.execute(upcoming_query(meal, now).limit(1))).scalars().first()
    if upcoming is None:
        return False
    if place is None:
        place = await _table_one(session, upcoming.id)
    if not place:
        return False
    rows = await session.execute(
        select(MealOccurrence.starts_at, MealOccurrence.status).where(
            MealOccurrence.meal_id == meal.id, MealOccurrence.starts_at > now
        )
    )
    changed = (
        departures(
            [(starts, status == CANCELLED) for starts, status in rows],
            meal_time(meal),
            meal_zone(meal),
        )
        if meal.every_weeks
        else []
    )
    message = PublishEvent(
        platform=meal.platform,
        reference=reference_of(meal),
        name=meal.title[:100],
        starts_at=event_start(meal, upcoming),
        minutes=meal.minutes,
        every_weeks=meal.every_weeks,
        place=place,
        description=description(services, meal, changed),
        room_id=await _room_id(session, services, meal),
        event_id=meal.native_event_id,
    )
    # No dedupe key: every publish carries the whole meal, the last one wins.
    await enqueue(session, message, due_at=now, now=now, kind=PUBLISH_KIND)
    return True


async def withdraw(
    session: AsyncSession, services: Services, meal: Meal, now: datetime, event_id: str = ""
) -> bool:
    """Take the meal's event or widget off its platform (it was cancelled)."""
    event_id = event_id or meal.native_event_id
    if not event_id or not shows_natively(services, meal.platform):
        return False
    await enqueue(
        session,
        WithdrawEvent(meal.platform, reference_of(meal), event_id),
        due_at=now,
        now=now,
        kind=WITHDRAW_KIND,
    )
    if event_id == meal.native_event_id:
        meal.native_event_id = ""
    return True


async def after_cancel(
    session: AsyncSession, services: Services, meal: Meal, now: datetime
) -> bool:
    """A date or the whole meal was cancelled: withdraw it when no date is left, else show
    the series again (its description names the cancelled date)."""
    left = (await session.execute(upcoming_query(meal, now).limit(1))).scalars().first()
    if meal.cancelled_at is not None or left is None:
        return await withdraw(session, services, meal, now)
    return await publish(session, services, meal, now)


async def voice_place_made(
    session: AsyncSession, services: Services, reference: PlaceRef | None, link: str, now: datetime
) -> bool:
    """Table 1's voice channel of a meal is ready: show the meal there when not shown yet."""
    if reference is None or reference.kind != "meal_table" or len(reference.ids) != 2:
        return False
    occurrence_id, number = reference.ids
    if number != 1:
        return False
    found = (
        await session.execute(
            select(Meal)
            .join(MealOccurrence, MealOccurrence.meal_id == Meal.id)
            .where(MealOccurrence.id == occurrence_id)
        )
    ).scalar_one_or_none()
    if found is None or found.native_event_id or found.video_kind not in VOICE_KINDS:
        return False
    upcoming = (await session.execute(upcoming_query(found, now).limit(1))).scalars().first()
    if upcoming is None or upcoming.id != occurrence_id:
        return False  # the channel of a later date: the next date's shows the meal
    return await publish(session, services, found, now, place=link)


async def published(
    session: AsyncSession,
    services: Services,
    message: PublishEvent,
    result: SendResult,
    now: datetime,
) -> None:
    """After a PublishEvent was handled: keep the id, or tell the host once it was refused."""
    meal_id = meal_id_of(message.reference)
    meal = await session.get(Meal, meal_id) if meal_id is not None else None
    if meal is None:
        return
    refused = result.extra.get("refused", "")
    if refused:
        if refused not in NOTHING_TO_SHOW_IN:
            await _tell_host_refused(session, services, meal, now)
        return
    if not result.value or result.value == meal.native_event_id:
        return
    if meal.cancelled_at is not None:
        await withdraw(session, services, meal, now, result.value)  # cancelled meanwhile
        return
    stale = meal.native_event_id
    meal.native_event_id = result.value  # new, or made again after it vanished on the platform
    if stale and message.event_id != stale:
        # Made twice before the first id came back: the later one carries the latest change.
        await withdraw(session, services, meal, now, stale)


async def _tell_host_refused(
    session: AsyncSession, services: Services, meal: Meal, now: datetime
) -> None:
    if meal.host_person_id is None:
        return
    found = await recipients(session, services, [meal.host_person_id], meal.platform)
    host = found.get(meal.host_person_id)
    if host is None:
        return
    text = render.text_for(services, host.lang, "meal.native_refused", title=meal.title)
    log.info("meals.native_refused platform=%s", meal.platform)
    await enqueue(
        session,
        TextMessage(host.to, text),
        due_at=now,
        now=now,
        kind=REFUSED_KIND,
        person_id=host.person_id,
        dedupe_key=f"meal-native-refused:{meal.id}",  # told once per meal
    )
