"""Incoming events claimed in the database: each is handled once, by one process.

Any number of processes may receive the same platform event (a standby that
also syncs, a re-delivery after a reconnect). Before handling, a process
inserts (platform, event id) with ``ON CONFLICT DO NOTHING``; only the one whose
row went in handles it. Events without an id are not claimed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import EventClaim

#: How long a claim is kept: far longer than any platform re-delivers an event.
KEEP_CLAIMS = timedelta(days=2)


async def claim_event(session: AsyncSession, platform: str, event_id: str, now: datetime) -> bool:
    """True when this process is the first to take the event (then it must handle it)."""
    dialect = session.get_bind().dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert_fn(EventClaim)
        .values(platform=platform, event_id=event_id[:255], claimed_at=now)
        .on_conflict_do_nothing(index_elements=["platform", "event_id"])
        .returning(EventClaim.event_id)
    )
    result = await session.execute(statement)
    return result.first() is not None


async def purge_claims(session: AsyncSession, now: datetime) -> int:
    """Forget claims older than :data:`KEEP_CLAIMS` (retention)."""
    result = await session.execute(
        delete(EventClaim).where(EventClaim.claimed_at < now - KEEP_CLAIMS)
    )
    return int(getattr(result, "rowcount", 0) or 0)
