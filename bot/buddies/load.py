"""Queries that gather what a buddy decision needs: profiles, open pairs, the pool,
exclusions and what timed work has to look at. Reads only."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buddies.models import (
    ACTIVE,
    OPEN_STATES,
    PROPOSED,
    BuddyBlock,
    BuddyFollowup,
    BuddyPair,
    BuddyProfile,
    BuddyRound,
)
from bot.buddies.scoring import Candidate
from bot.core.clock import as_utc
from bot.core.context import JobContext
from bot.db.models import Account, Person


async def language_for(job: JobContext, person_id: int) -> str:
    person = await job.session.get(Person, person_id)
    if person is not None and person.language:
        return person.language
    return job.config.community.language


async def zone_for(job: JobContext, person_id: int) -> str:
    """The time zone a person reads times in: their own, else the community's."""
    person = await job.session.get(Person, person_id)
    if person is not None and person.timezone:
        return person.timezone
    return job.config.community.timezone


async def profile_of(session: AsyncSession, person_id: int) -> BuddyProfile | None:
    return await session.get(BuddyProfile, person_id)


async def open_pairs(session: AsyncSession, person_id: int) -> list[BuddyPair]:
    result = await session.execute(
        select(BuddyPair)
        .where(
            BuddyPair.status.in_(OPEN_STATES),
            or_(BuddyPair.participant_id == person_id, BuddyPair.partner_id == person_id),
        )
        .order_by(BuddyPair.id)
    )
    return list(result.scalars())


# ---------------------------------------------------------------- the pool


async def excluded_pairs(session: AsyncSession) -> set[frozenset[int]]:
    """Everyone who was ever proposed to each other, and every block."""
    excluded: set[frozenset[int]] = set()
    pairs = await session.execute(select(BuddyPair.participant_id, BuddyPair.partner_id))
    for a, b in pairs.all():
        excluded.add(frozenset((a, b)))
    blocks = await session.execute(select(BuddyBlock.blocker_id, BuddyBlock.blocked_id))
    for a, b in blocks.all():
        excluded.add(frozenset((a, b)))
    return excluded


def _candidate(row: BuddyProfile, now: datetime, free: int = 1) -> Candidate:
    since = as_utc(row.waiting_since) if row.waiting_since else now
    return Candidate(
        person_id=row.person_id,
        languages=frozenset(row.languages),
        times=frozenset(row.times),
        contact=frozenset(row.contact),
        interests=frozenset(row.interests),
        kind=row.kind,
        waited_days=max((now - since).total_seconds() / 86400, 0.0),
        capacity=free,
        gender=row.gender or "",
        age=row.age or "",
        wish_gender=frozenset(row.wish_gender or ()),
        wish_age=frozenset(row.wish_age or ()),
    )


async def pool(
    session: AsyncSession, now: datetime, full: list[Candidate] | None = None
) -> tuple[list[Candidate], list[Candidate], dict[int, BuddyProfile]]:
    """Who waits for a buddy and which volunteers have room, right now; volunteers in
    the pool without room are added to ``full`` when it is given."""
    rows = list(
        (
            await session.execute(
                select(BuddyProfile).where(
                    BuddyProfile.seeking.is_(True), BuddyProfile.paused.is_(False)
                )
            )
        ).scalars()
    )
    busy: dict[int, int] = {}
    open_rows = await session.execute(
        select(BuddyPair.participant_id, BuddyPair.partner_id).where(
            BuddyPair.status.in_(OPEN_STATES)
        )
    )
    for a, b in open_rows.all():
        busy[a] = busy.get(a, 0) + 1
        busy[b] = busy.get(b, 0) + 1
    participants, volunteers = [], []
    for row in rows:
        if row.role == "volunteer":
            free = row.capacity - busy.get(row.person_id, 0)
            if free > 0:
                volunteers.append(_candidate(row, now, free))
            elif full is not None:
                full.append(_candidate(row, now, 0))
        elif busy.get(row.person_id, 0) == 0:
            participants.append(_candidate(row, now))
    return participants, volunteers, {row.person_id: row for row in rows}


async def round_ran(session: AsyncSession, scheduled_for: str) -> bool:
    existing = await session.execute(
        select(BuddyRound.id).where(BuddyRound.scheduled_for == scheduled_for)
    )
    return existing.first() is not None


# ---------------------------------------------------------------- timed work


async def expired_proposals(session: AsyncSession, now: datetime) -> list[BuddyPair]:
    expired = await session.execute(
        select(BuddyPair).where(BuddyPair.status == PROPOSED, BuddyPair.expires_at <= now)
    )
    return list(expired.scalars())


async def pauses_over(session: AsyncSession, now: datetime) -> list[BuddyProfile]:
    """Paused profiles whose "pause until" date has come."""
    rows = await session.execute(
        select(BuddyProfile).where(BuddyProfile.paused.is_(True), BuddyProfile.paused_until <= now)
    )
    return list(rows.scalars())


async def terms_to_look_at(
    session: AsyncSession, now: datetime, notice: timedelta
) -> list[BuddyPair]:
    """Active pairs whose agreed term ends within ``notice`` (or has ended)."""
    rows = await session.execute(
        select(BuddyPair).where(BuddyPair.status == ACTIVE, BuddyPair.term_ends_at <= now + notice)
    )
    return list(rows.scalars())


async def waiting_participants(session: AsyncSession) -> list[BuddyProfile]:
    """Participants in the pool with no open pair, paused or not."""
    in_pair = select(BuddyPair.participant_id).where(BuddyPair.status.in_(OPEN_STATES))
    rows = await session.execute(
        select(BuddyProfile).where(
            BuddyProfile.role == "participant",
            BuddyProfile.seeking.is_(True),
            BuddyProfile.waiting_since.is_not(None),
            BuddyProfile.person_id.not_in(in_pair),
        )
    )
    return list(rows.scalars())


async def pending_notices(session: AsyncSession) -> list[BuddyProfile]:
    """Profiles whose other side erased their data and who have not been told yet."""
    notices = await session.execute(
        select(BuddyProfile).where(BuddyProfile.pending_notice.is_not(None))
    )
    return list(notices.scalars())


async def followups_due(session: AsyncSession, now: datetime) -> list[BuddyPair]:
    due = await session.execute(
        select(BuddyPair).where(BuddyPair.status == ACTIVE, BuddyPair.next_followup_at <= now)
    )
    return list(due.scalars())


async def latest_followups(
    session: AsyncSession, pair_id: int, person_id: int, limit: int
) -> list[BuddyFollowup]:
    """A person's latest follow-ups in a pair, newest first."""
    result = await session.execute(
        select(BuddyFollowup)
        .where(BuddyFollowup.pair_id == pair_id, BuddyFollowup.person_id == person_id)
        .order_by(BuddyFollowup.round.desc())
        .limit(limit)
    )
    return list(result.scalars())


# ---------------------------------------------------------------- organisers


async def organiser_accounts(session: AsyncSession) -> list[Account]:
    organisers = await session.execute(
        select(Account).where(Account.role >= 2).order_by(Account.id)
    )
    return list(organisers.scalars())


async def volunteer_profiles(session: AsyncSession) -> list[BuddyProfile]:
    """Every volunteer profile, oldest first."""
    return list(
        (
            await session.execute(
                select(BuddyProfile)
                .where(BuddyProfile.role == "volunteer")
                .order_by(BuddyProfile.created_at)
            )
        ).scalars()
    )


async def open_pairs_per_partner(session: AsyncSession) -> dict[int, int]:
    """How many open pairs each partner is in."""
    return dict(
        (
            await session.execute(
                select(BuddyPair.partner_id, func.count())
                .where(BuddyPair.status.in_(OPEN_STATES))
                .group_by(BuddyPair.partner_id)
            )
        ).all()
    )
