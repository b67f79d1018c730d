"""Impact personal data: the answers are health data — in ``mydata``, erased by
``forget``, deleted after ``[impact] retention_days``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.impact.models import ImpactEnrolment, ImpactPerson, ImpactPulse, ImpactRound
from bot.privacy.data import row_to_dict


async def purge_expired(session: AsyncSession, now: datetime, days: int) -> int:
    """Delete rounds and pulses given (or left) more than ``days`` days ago."""
    before = now - timedelta(days=days)
    deleted = 0
    for table in (ImpactRound, ImpactPulse):
        result = await session.execute(
            delete(table).where(
                or_(
                    and_(table.answered_at.is_not(None), table.answered_at < before),
                    and_(table.answered_at.is_(None), table.due_at < before),
                )
            )
        )
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


class ImpactData:
    """What the impact measure keeps about a person, for mydata and forget."""

    name = "impact"

    async def export(self, session: AsyncSession, person_id: int) -> Any:
        state = await session.get(ImpactPerson, person_id)
        if state is None:
            return None
        enrolments = await session.execute(
            select(ImpactEnrolment)
            .where(ImpactEnrolment.person_id == person_id)
            .order_by(ImpactEnrolment.joined_at)
        )
        rounds = await session.execute(
            select(ImpactRound)
            .where(ImpactRound.person_id == person_id)
            .order_by(ImpactRound.due_at)
        )
        pulses = await session.execute(
            select(ImpactPulse)
            .where(ImpactPulse.person_id == person_id)
            .order_by(ImpactPulse.due_at)
        )
        skip = ("person_id",)
        return {
            "consent": row_to_dict(state, skip=skip),
            "programmes_joined": [row_to_dict(e, skip=(*skip, "id")) for e in enrolments.scalars()],
            "loneliness_rounds": [row_to_dict(r, skip=skip) for r in rounds.scalars()],
            "volunteer_pulses": [row_to_dict(p, skip=skip) for p in pulses.scalars()],
        }

    async def erase(self, session: AsyncSession, person_id: int, now: datetime) -> None:
        for table in (ImpactRound, ImpactPulse, ImpactEnrolment):
            await session.execute(delete(table).where(table.person_id == person_id))
        await session.execute(delete(ImpactPerson).where(ImpactPerson.person_id == person_id))
