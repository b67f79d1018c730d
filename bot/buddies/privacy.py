"""The buddy part of someone's data (``mydata`` and ``forget``) and its retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buddies.load import open_pairs, profile_of
from bot.buddies.models import (
    ACTIVE,
    DECLINED,
    ENDED,
    OPEN_STATES,
    WITHDRAWN,
    BuddyBlock,
    BuddyFollowup,
    BuddyPair,
    BuddyProfile,
    BuddyReport,
)
from bot.buddies.rules import other_side, pair_key, report_key
from bot.core.outbox import erase_by_prefix


@dataclass
class BuddyData:
    """The buddy part of someone's data, for ``mydata`` and ``forget``."""

    name: str = "buddies"

    async def export(self, session: AsyncSession, person_id: int) -> Any:
        from bot.privacy.data import row_to_dict

        profile = await profile_of(session, person_id)
        pairs = await session.execute(
            select(BuddyPair).where(
                or_(BuddyPair.participant_id == person_id, BuddyPair.partner_id == person_id)
            )
        )
        followups = await session.execute(
            select(BuddyFollowup).where(BuddyFollowup.person_id == person_id)
        )
        reports = await session.execute(
            select(BuddyReport).where(BuddyReport.reporter_id == person_id)
        )
        blocks = await session.execute(
            select(func.count()).select_from(BuddyBlock).where(BuddyBlock.blocker_id == person_id)
        )
        return {
            "profile": row_to_dict(profile) if profile else None,
            "pairs": [
                row_to_dict(p, skip=("participant_id", "partner_id", "score"))
                for p in pairs.scalars()
            ],
            "followups": [row_to_dict(f, skip=("person_id",)) for f in followups.scalars()],
            "reports": [
                row_to_dict(r, skip=("reporter_id", "closed_by", "note")) for r in reports.scalars()
            ],
            "blocks_made": int(blocks.scalar_one()),
        }

    async def erase(self, session: AsyncSession, person_id: int, now: datetime) -> None:
        # The other side is told by the next housekeeping run (which has the
        # texts and the outbox): only that the pairing or proposal ended.
        for pair in await open_pairs(session, person_id):
            other = await profile_of(session, other_side(pair, person_id))
            if other is None:
                continue
            other.pending_notice = "ended" if pair.status == ACTIVE else "withdrawn"
            if pair.status == ACTIVE and other.role == "participant":
                other.seeking = True
        every_pair = await session.execute(
            select(BuddyPair.id).where(
                or_(BuddyPair.participant_id == person_id, BuddyPair.partner_id == person_id)
            )
        )
        reports = await session.execute(
            select(BuddyReport.id).where(BuddyReport.reporter_id == person_id)
        )
        prefixes = [pair_key(i) for i in every_pair.scalars()]
        prefixes += [report_key(i) for i in reports.scalars()]
        # Messages about these pairs may name the person: cancel and blank them. The
        # rows stay so their dedupe keys keep a repeated job from sending them again.
        for prefix in prefixes:
            await erase_by_prefix(session, prefix)
        await session.execute(delete(BuddyProfile).where(BuddyProfile.person_id == person_id))


async def purge(session: AsyncSession, now: datetime, pair_days: int, report_days: int) -> int:
    """Delete finished pairs and closed reports past their retention."""
    done = await session.execute(
        delete(BuddyPair).where(
            BuddyPair.status.in_([ENDED, DECLINED, WITHDRAWN]),
            BuddyPair.ended_at < now - timedelta(days=pair_days),
        )
    )
    closed = await session.execute(
        delete(BuddyReport).where(
            BuddyReport.status == "closed",
            BuddyReport.closed_at < now - timedelta(days=report_days),
        )
    )
    left = await session.execute(
        delete(BuddyProfile).where(
            BuddyProfile.seeking.is_(False),
            BuddyProfile.updated_at < now - timedelta(days=pair_days),
            ~select(BuddyPair.id)
            .where(
                BuddyPair.status.in_(OPEN_STATES),
                or_(
                    BuddyPair.participant_id == BuddyProfile.person_id,
                    BuddyPair.partner_id == BuddyProfile.person_id,
                ),
            )
            .exists(),
        )
    )
    return sum(int(getattr(r, "rowcount", 0) or 0) for r in (done, closed, left))
