"""Who is whose buddy, for other features that seat people together (meal tables)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.buddies.models import ACTIVE, BuddyPair


async def active_pairs_among(
    session: AsyncSession, person_ids: Collection[int]
) -> list[tuple[int, int]]:
    """The active buddy pairs whose two people are both among ``person_ids``, oldest first."""
    if len(person_ids) < 2:
        return []
    ids = list(person_ids)
    rows = await session.execute(
        select(BuddyPair.participant_id, BuddyPair.partner_id)
        .where(
            BuddyPair.status == ACTIVE,
            BuddyPair.participant_id.in_(ids),
            BuddyPair.partner_id.in_(ids),
        )
        .order_by(BuddyPair.id)
    )
    return [(int(a), int(b)) for a, b in rows.all()]
