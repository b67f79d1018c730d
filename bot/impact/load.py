"""Queries that gather what the impact measure needs from the programmes' tables.

Read only: the buddy and meal tables are the record of who was matched, who hosted and
who came; this feature never writes to them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buddies.models import ACTIVE, ENDED, BuddyPair
from bot.core.clock import as_utc
from bot.impact import stats
from bot.impact.models import (
    ANSWERED,
    DUE,
    YES,
    ImpactEnrolment,
    ImpactPerson,
    ImpactPulse,
    ImpactRound,
)
from bot.impact.rules import ITEMS, pair_months_due
from bot.meals.models import JOINED, SCHEDULED, Meal, MealFeedback, MealOccurrence, MealRsvp


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


# ---------------------------------------------------------------- the report's figures


def month_keys(since: datetime, until: datetime, timezone: str) -> list[str]:
    """The local months of the period, "YYYY-MM", oldest first."""
    zone = ZoneInfo(timezone)
    first, last = since.astimezone(zone), (until - timedelta(seconds=1)).astimezone(zone)
    keys = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


async def people_records(session: AsyncSession) -> list[stats.PersonRecord]:
    """Everyone who said yes, with the programmes they joined as participants and their
    rounds (only what the figures need: scores, not who)."""
    programmes: dict[int, set[str]] = defaultdict(set)
    joined = await session.execute(
        select(ImpactEnrolment.person_id, ImpactEnrolment.programme)
        .join(ImpactPerson, ImpactPerson.person_id == ImpactEnrolment.person_id)
        .where(ImpactEnrolment.volunteer.is_(False), ImpactPerson.consent == YES)
    )
    for person_id, programme in joined.all():
        programmes[person_id].add(programme)
    rows: dict[int, list[tuple[int, str, datetime, datetime | None, dict[str, int | None]]]]
    rows = defaultdict(list)
    rounds = await session.execute(
        select(ImpactRound)
        .join(ImpactPerson, ImpactPerson.person_id == ImpactRound.person_id)
        .where(ImpactPerson.consent == YES)
    )
    for row in rounds.scalars():
        answers = {item: getattr(row, item) for item in ITEMS}
        rows[row.person_id].append(
            (
                row.month,
                row.status,
                as_utc(row.due_at),
                as_utc(row.answered_at) if row.answered_at else None,
                answers,
            )
        )
    return [
        stats.record(frozenset(programmes[person_id]), person_rows)
        for person_id, person_rows in rows.items()
        if programmes.get(person_id)
    ]


async def gather(
    session: AsyncSession,
    since: datetime,
    until: datetime,
    *,
    follow_up_months: tuple[int, ...],
    timezone: str,
    min_size: int,
    answer_window_days: int = 21,
) -> stats.Figures:
    """Every figure of the impact report for ``since`` ≤ t < ``until``."""
    people = await people_records(session)
    outcomes = stats.outcomes(people, follow_up_months, since, until, min_size)
    invited = await session.execute(
        select(ImpactPerson.consent).where(
            ImpactPerson.invited_at >= since, ImpactPerson.invited_at < until
        )
    )
    consent = stats.consent_figures(list(invited.scalars()), min_size)
    zone = ZoneInfo(timezone)
    new = await session.execute(
        select(ImpactEnrolment.programme, ImpactEnrolment.joined_at).where(
            ImpactEnrolment.volunteer.is_(False),
            ImpactEnrolment.joined_at >= since,
            ImpactEnrolment.joined_at < until,
        )
    )
    joined = [(programme, f"{as_utc(at).astimezone(zone):%Y-%m}") for programme, at in new.all()]
    reach = stats.reach(joined, month_keys(since, until, timezone), min_size)
    return stats.Figures(
        since=since,
        until=until,
        follow_up_months=follow_up_months,
        min_size=min_size,
        consent=consent,
        outcomes=outcomes,
        reach=reach,
        buddies=await _buddy_figures(session, since, until, min_size),
        meals=await _meal_figures(session, since, until, min_size),
        volunteers=await _volunteer_figures(session, since, until, min_size),
        answer_window_days=answer_window_days,
    )


async def _buddy_figures(
    session: AsyncSession, since: datetime, until: datetime, min_size: int
) -> stats.BuddyFigures:
    matched = await session.execute(
        select(BuddyPair.waited_days, BuddyPair.proposed_at, BuddyPair.matched_at).where(
            BuddyPair.matched_at >= since, BuddyPair.matched_at < until
        )
    )
    waits = [
        waited + (as_utc(at) - as_utc(proposed)).total_seconds() / 86400
        for waited, proposed, at in matched.all()
        if at is not None
    ]
    ended = await session.execute(
        select(BuddyPair.matched_at, BuddyPair.ended_at, BuddyPair.end_reason).where(
            BuddyPair.status == ENDED,
            BuddyPair.matched_at.is_not(None),
            BuddyPair.ended_at >= since,
            BuddyPair.ended_at < until,
        )
    )
    durations, reasons = [], []
    for matched_at, ended_at, reason in ended.all():
        if matched_at is None or ended_at is None:
            continue
        durations.append((as_utc(ended_at) - as_utc(matched_at)).total_seconds() / 86400)
        reasons.append(reason or "unknown")
    active = await session.execute(
        select(BuddyPair.id).where(
            BuddyPair.matched_at.is_not(None),
            BuddyPair.matched_at < until,
            (BuddyPair.status == ACTIVE) | (BuddyPair.ended_at >= until),
        )
    )
    return stats.buddy_figures(waits, durations, reasons, len(active.all()), min_size)


async def _meal_figures(
    session: AsyncSession, since: datetime, until: datetime, min_size: int
) -> stats.MealFigures:
    held = await session.execute(
        select(MealOccurrence.id).where(
            MealOccurrence.status == SCHEDULED,
            MealOccurrence.starts_at >= since,
            MealOccurrence.starts_at < until,
        )
    )
    held_ids = list(held.scalars())
    seats = await session.execute(
        select(MealRsvp.person_id, MealRsvp.attended_at)
        .join(MealOccurrence, MealOccurrence.id == MealRsvp.occurrence_id)
        .where(
            MealOccurrence.status == SCHEDULED,
            MealOccurrence.starts_at >= since,
            MealOccurrence.starts_at < until,
            MealRsvp.status == JOINED,
            MealRsvp.is_volunteer.is_(False),
        )
    )
    ratings = await session.execute(
        select(MealFeedback.rating)
        .join(MealOccurrence, MealOccurrence.id == MealFeedback.occurrence_id)
        .where(MealOccurrence.starts_at >= since, MealOccurrence.starts_at < until)
    )
    return stats.meal_figures(
        len(held_ids),
        [(person, attended is not None) for person, attended in seats.all()],
        list(ratings.scalars()),
        min_size,
    )


async def _volunteer_figures(
    session: AsyncSession, since: datetime, until: datetime, min_size: int
) -> stats.VolunteerFigures:
    pairs = await session.execute(
        select(BuddyPair.partner_id).where(
            BuddyPair.kind == "volunteer",
            BuddyPair.matched_at.is_not(None),
            BuddyPair.matched_at < until,
            (BuddyPair.ended_at.is_(None)) | (BuddyPair.ended_at >= since),
        )
    )
    hosts = await session.execute(
        select(Meal.host_person_id)
        .join(MealOccurrence, MealOccurrence.meal_id == Meal.id)
        .where(
            MealOccurrence.status == SCHEDULED,
            MealOccurrence.starts_at >= since,
            MealOccurrence.starts_at < until,
        )
    )
    tables = await session.execute(
        select(MealRsvp.person_id)
        .join(MealOccurrence, MealOccurrence.id == MealRsvp.occurrence_id)
        .where(
            MealOccurrence.status == SCHEDULED,
            MealOccurrence.starts_at >= since,
            MealOccurrence.starts_at < until,
            MealRsvp.is_volunteer.is_(True),
            MealRsvp.status == JOINED,
        )
    )
    load = Counter(p for p in [*pairs.scalars(), *hosts.scalars(), *tables.scalars()] if p)
    pulses = await session.execute(
        select(ImpactPulse.how, ImpactPulse.support, ImpactPulse.hours).where(
            ImpactPulse.status == ANSWERED,
            ImpactPulse.answered_at >= since,
            ImpactPulse.answered_at < until,
        )
    )
    return stats.volunteer_figures(list(load.values()), list(pulses.all()), min_size)


async def named_support(session: AsyncSession, since: datetime, until: datetime) -> list[int]:
    """Volunteers who asked for support and agreed that organisers see their name."""
    found = await session.execute(
        select(ImpactPulse.person_id)
        .where(
            ImpactPulse.support == "named",
            ImpactPulse.answered_at >= since,
            ImpactPulse.answered_at < until,
        )
        .distinct()
    )
    return list(found.scalars())
