"""Anonymised buddy statistics as typed tables: counts and medians only, never names."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buddies.models import ACTIVE, ENDED, PROPOSED, BuddyPair, BuddyProfile
from bot.core.clock import as_utc
from bot.core.tables import StatTable, Term, count, duration, text


async def buddy_statistics(
    session: AsyncSession, since: datetime, until: datetime
) -> list[StatTable]:
    """Waiting, proposed, active and ended counts, and the median wait before a match."""
    waiting = (
        await session.execute(
            select(BuddyProfile.person_id, BuddyProfile.waiting_since).where(
                BuddyProfile.role == "participant",
                BuddyProfile.seeking.is_(True),
                BuddyProfile.paused.is_(False),
            )
        )
    ).all()
    waiting_ids = {person_id for person_id, _ in waiting}
    waiting_rows = [since_value for _, since_value in waiting]
    in_open_pair = set(
        (
            await session.execute(
                select(BuddyPair.participant_id).where(BuddyPair.status.in_((PROPOSED, ACTIVE)))
            )
        ).scalars()
    )
    waiting_now = len(waiting_ids - in_open_pair)
    proposed = await _count(session, BuddyPair.status == PROPOSED)
    active = await _count(session, BuddyPair.status == ACTIVE)
    ended = await _count(
        session, BuddyPair.status == ENDED, BuddyPair.ended_at >= since, BuddyPair.ended_at < until
    )
    matched = list(
        (
            await session.execute(
                select(BuddyPair.waited_days).where(
                    BuddyPair.matched_at >= since, BuddyPair.matched_at < until
                )
            )
        ).scalars()
    )
    current_waits = [
        (until - as_utc(since_value)).total_seconds() / 86400
        for since_value in waiting_rows
        if since_value is not None
    ]
    status = (text("status"), count("count"))
    waits = (text("measure"), duration("median_days"), count("count"))
    return [
        StatTable(
            "buddies",
            "buddy_pairs",
            status,
            (
                (Term("stats.term.waiting"), waiting_now),
                (Term("stats.term.proposed"), proposed),
                (Term("stats.term.active"), active),
                (Term("stats.term.ended"), ended),
            ),
        ),
        StatTable(
            "buddies",
            "buddy_waiting_days",
            waits,
            (
                (Term("stats.term.matched"), median_days(matched), len(matched)),
                (Term("stats.term.still_waiting"), median_days(current_waits), len(current_waits)),
            ),
        ),
    ]


async def _count(session: AsyncSession, *conditions: Any) -> int:
    result = await session.execute(select(func.count()).select_from(BuddyPair).where(*conditions))
    return int(result.scalar_one())


def median_days(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None
