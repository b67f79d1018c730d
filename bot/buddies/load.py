"""Queries that gather what a buddy decision needs: profiles, open pairs, the pool,
exclusions and what timed work has to look at. Reads only."""

from __future__ import annotations

from datetime import datetime

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
    )


async def pool(
    session: AsyncSession, now: datetime
) -> tuple[list[Candidate], list[Candidate], dict[int, BuddyProfile]]:
    """Who waits for a buddy and which volunteers have room, right now."""
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
