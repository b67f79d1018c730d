"""Queries that gather what the impact measure needs from the programmes' tables.

Read only: the buddy and meal tables are the record of who was matched, who hosted and
who came; this feature never writes to them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buddies.models import BuddyPair
from bot.impact.models import DUE, YES, ImpactPerson, ImpactPulse
from bot.impact.rules import pair_months_due
from bot.meals.models import JOINED, SCHEDULED, Meal, MealOccurrence, MealRsvp


async def _consenting(session: AsyncSession) -> set[int]:
    found = await session.execute(select(ImpactPerson.person_id).where(ImpactPerson.consent == YES))
    return set(found.scalars())


async def add_due_pulses(session: AsyncSession, now: datetime, window_days: int) -> int:
    """Make a pulse for each consenting volunteer after each whole month with a buddy and
    after each meal they hosted (ended within the window). Returns how many are new."""
    volunteers = await _consenting(session)
    if not volunteers:
        return 0
    since = now - timedelta(days=window_days)
    rows: list[dict[str, object]] = []
    pairs = await session.execute(
        select(BuddyPair.id, BuddyPair.partner_id, BuddyPair.matched_at, BuddyPair.ended_at).where(
            BuddyPair.kind == "volunteer",
            BuddyPair.matched_at.is_not(None),
            BuddyPair.partner_id.in_(volunteers),
        )
    )
    for pair_id, partner_id, matched_at, ended_at in pairs.all():
        if matched_at is None:
            continue
        months = pair_months_due(matched_at, ended_at, now)
        if months < 1:
            continue
        due = matched_at + timedelta(days=30 * months)
        if due < since:
            continue
        rows.append(
            {
                "person_id": partner_id,
                "programme": "buddies",
                "ref": f"pair:{pair_id}:{months}",
                "due_at": due,
            }
        )
    hosted = await session.execute(
        select(MealOccurrence.id, MealOccurrence.starts_at, Meal.minutes, Meal.host_person_id)
        .join(Meal, Meal.id == MealOccurrence.meal_id)
        .where(
            MealOccurrence.status == SCHEDULED,
            MealOccurrence.starts_at >= since - timedelta(days=1),
            MealOccurrence.starts_at <= now,
            Meal.host_person_id.in_(volunteers),
        )
    )
    table_hosts = await session.execute(
        select(MealOccurrence.id, MealOccurrence.starts_at, Meal.minutes, MealRsvp.person_id)
        .join(Meal, Meal.id == MealOccurrence.meal_id)
        .join(MealRsvp, MealRsvp.occurrence_id == MealOccurrence.id)
        .where(
            MealOccurrence.status == SCHEDULED,
            MealOccurrence.starts_at >= since - timedelta(days=1),
            MealOccurrence.starts_at <= now,
            MealRsvp.is_volunteer.is_(True),
            MealRsvp.status == JOINED,
            MealRsvp.person_id.in_(volunteers),
        )
    )
    for occurrence_id, starts_at, minutes, host in [*hosted.all(), *table_hosts.all()]:
        ends = starts_at + timedelta(minutes=minutes)
        if host is None or ends > now or ends < since:
            continue
        rows.append(
            {
                "person_id": host,
                "programme": "meals",
                "ref": f"meal:{occurrence_id}",
                "due_at": ends,
            }
        )
    if not rows:
        return 0
    unique = {(r["person_id"], r["ref"]): {**r, "status": DUE} for r in rows}
    dialect = session.get_bind().dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await session.execute(
        insert_fn(ImpactPulse)
        .values(list(unique.values()))
        .on_conflict_do_nothing(index_elements=["person_id", "ref"])
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def pulse_subject(session: AsyncSession, ref: str) -> tuple[str, datetime | None, int]:
    """What a pulse is about: (meal title or "", when it started, months with a buddy)."""
    kind, _, rest = ref.partition(":")
    if kind == "pair":
        return "", None, int(rest.split(":")[1])
    found = await session.execute(
        select(Meal.title, MealOccurrence.starts_at)
        .join(Meal, Meal.id == MealOccurrence.meal_id)
        .where(MealOccurrence.id == int(rest))
    )
    row = found.first()
    return (row[0], row[1], 0) if row is not None else ("", None, 0)
