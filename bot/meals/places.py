"""Tables and their video places: who sits at which table, and the link each table meets at.

A Jitsi or Element link is made here at once; where the platform's adapter can
make voice channels (its ``voice_channels`` capability) it makes one (and an
event) from a queued ``CreateVideoPlace`` and its link comes back through
``store_video_place``. Where it can't, the meal meets at an unguessable Jitsi link.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.events import CancelVideoPlace, CreateVideoPlace, PlaceRef
from bot.core.outbox import enqueue
from bot.core.together import pairs_among
from bot.meals.load import rowcount
from bot.meals.models import JOINED, Meal, MealOccurrence, MealRsvp, MealTable
from bot.meals.native import shows_natively
from bot.meals.rules import VOICE, VOICE_KINDS, Seat, ends_at, video_link
from bot.meals.seating import split_tables

MEAL_TABLE = "meal_table"  # a PlaceRef's kind: (occurrence id, table number)
VIDEO_KIND = "meal_video"  # outbox kind of a CreateVideoPlace for a table
CANCEL_VIDEO_KIND = "meal_video_cancel"  # outbox kind of a CancelVideoPlace for a table
VOICE_CHANNELS = "voice_channels"  # the adapter capability of making voice channels


def can_make_voice(services: Services, platform: str) -> bool:
    """Whether the adapter of ``platform`` makes voice channels for meals."""
    capabilities = services.extras.get("capabilities", {}).get(platform, frozenset())
    return VOICE_CHANNELS in capabilities


def random_link(services: Services, kind: str = "jitsi") -> str:
    """A call link with a random room name: nobody can work it out from the meal."""
    config = services.config.meals
    return video_link(
        kind,
        jitsi_base=config.jitsi_base_url,
        element_base=config.element_call_base_url,
        room_name=f"Samvaer-{secrets.token_urlsafe(16)}",
    )


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
    voice = meal.video_kind in VOICE_KINDS and can_make_voice(services, meal.platform)
    native = shows_natively(services, meal.platform)
    new = []
    for number in range(1, count + 1):
        if number in links:
            continue
        url = ""
        if meal.video_kind == "url":
            url = meal.video_url
        elif not voice:
            # An unguessable room name per occurrence and table keeps strangers out; where the
            # meal's room shows the meal's call (a widget, an event), table 1 of every date
            # meets at the meal's own unguessable link.
            kind = "element" if meal.video_kind == "element" else "jitsi"
            if native and number == 1:
                if not meal.place_url:
                    meal.place_url = random_link(services, kind)
                url = meal.place_url
            else:
                url = random_link(services, kind)
        links[number] = url
        new.append({"occurrence_id": occurrence.id, "table_no": number, "video_url": url})
        if voice:
            suffix = f" – {number}" if number > 1 else ""
            await enqueue(
                session,
                CreateVideoPlace(
                    platform=meal.platform,
                    kind=VOICE,
                    name=f"{meal.title}{suffix}"[:95],
                    # Where the meal itself is shown natively, no event per date and table.
                    starts_at=None if native else occurrence.starts_at,
                    minutes=meal.minutes,
                    reference=PlaceRef(MEAL_TABLE, (occurrence.id, number)),
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


async def store_video_place(session: AsyncSession, reference: PlaceRef | None, value: str) -> bool:
    """Keep the link of a video place an adapter made for a meal's table."""
    if reference is None or reference.kind != MEAL_TABLE or len(reference.ids) != 2:
        return False
    occurrence_id, number = reference.ids
    result = await session.execute(
        update(MealTable)
        .where(MealTable.occurrence_id == occurrence_id, MealTable.table_no == number)
        .values(video_url=value)
    )
    return rowcount(result) == 1


async def call_off_video_places(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrences: Sequence[MealOccurrence],
    now: datetime,
) -> int:
    """Ask the platform to call off the events it made per date for voice channels.

    Where the meal itself is shown natively there are none: ``bot.meals.native`` changes
    or withdraws the meal's one event instead.
    """
    if meal.video_kind not in VOICE_KINDS or not occurrences:
        return 0
    if shows_natively(services, meal.platform):
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
                reference=PlaceRef(MEAL_TABLE, (occurrence_id, number)),
                place_id=place,
                starts_at=occurrence.starts_at,
            ),
            due_at=now,
            now=now,
            kind=CANCEL_VIDEO_KIND,
            # not under "meal:<id>:", which cancelling clears
            dedupe_key=f"meal-video-cancel:{occurrence_id}:{number}",
            expires_at=ends_at(meal, occurrence),
        )
    return queued


async def assign_tables(
    session: AsyncSession,
    services: Services,
    meal: Meal,
    occurrence: MealOccurrence,
    now: datetime,
) -> tuple[dict[int, int], dict[int, str], dict[int, int | None]]:
    """Split the joined people into balanced tables (buddies together, companions with
    whoever brought them) and store each person's table.

    Returns ({person: table}, {table: video url}, {table: host person or None}).
    """
    rsvps = (
        await session.execute(
            select(
                MealRsvp.id,
                MealRsvp.person_id,
                MealRsvp.is_volunteer,
                MealRsvp.table_no,
                MealRsvp.companions,
            )
            .where(MealRsvp.occurrence_id == occurrence.id, MealRsvp.status == JOINED)
            .order_by(MealRsvp.id)
        )
    ).all()
    size = services.config.meals.table_size
    everyone = sum(1 + row.companions for row in rsvps)
    if occurrence.one_table:  # the host merged the tables: everyone at one
        size = max(size, everyone)
    # Buddies matter only when the meal is split into tables.
    split = everyone > size
    people = [row.person_id for row in rsvps]
    sources = services.registry.pairs_sources
    pairs = await pairs_among(sources, session, people) if split else []
    tables = split_tables(
        [Seat(person_id, volunteer, guests) for _, person_id, volunteer, _, guests in rsvps],
        size,
        pairs,
    )
    seat_of = {seat.person_id: table.number for table in tables for seat in table.seats}
    changed = [
        {"id": rsvp_id, "table_no": seat_of[person_id]}
        for rsvp_id, person_id, _, table_no, _ in rsvps
        if table_no != seat_of[person_id]
    ]
    if changed:
        # One bulk statement by primary key for all moved seats, not an ORM flush per row.
        await session.execute(update(MealRsvp), changed)
    links = await ensure_tables(session, services, meal, occurrence, len(tables), now)
    return seat_of, links, {table.number: table.host for table in tables}
