"""Check-in personal data: retention limits, and export and erase for mydata and forget."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.models import CheckinAlert, CheckinEntry, CheckinSchedule
from bot.privacy.data import row_to_dict


async def purge_expired(
    session: AsyncSession, now: datetime, *, values_days: int, notes_days: int
) -> tuple[int, int, int]:
    """Delete check-ins older than ``values_days``, blank notes older than ``notes_days``,
    and drop alerts about episodes older than the values. Returns the three counts."""
    values_before = now - timedelta(days=values_days)
    notes_before = now - timedelta(days=notes_days)
    deleted = await session.execute(
        delete(CheckinEntry).where(CheckinEntry.created_at < values_before)
    )
    blanked = await session.execute(
        update(CheckinEntry)
        .where(CheckinEntry.created_at < notes_before, CheckinEntry.note.is_not(None))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    alerts = await session.execute(
        delete(CheckinAlert).where(CheckinAlert.created_at < values_before)
    )
    return (
        int(getattr(deleted, "rowcount", 0) or 0),
        int(getattr(blanked, "rowcount", 0) or 0),
        int(getattr(alerts, "rowcount", 0) or 0),
    )


# ---------------------------------------------------------------- personal data


class CheckinData:
    """Check-ins, the reminder schedule and alerts about a person, for mydata and forget."""

    name = "checkins"

    async def export(self, session: AsyncSession, person_id: int) -> Any:
        entries = await session.execute(
            select(CheckinEntry)
            .where(CheckinEntry.person_id == person_id)
            .order_by(CheckinEntry.created_at)
        )
        schedule = await session.get(CheckinSchedule, person_id)
        alerts = await session.execute(
            select(CheckinAlert)
            .where(CheckinAlert.person_id == person_id)
            .order_by(CheckinAlert.created_at)
        )
        return {
            "checkins": [row_to_dict(e, skip=("person_id",)) for e in entries.scalars()],
            "reminder": row_to_dict(schedule, skip=("person_id",)) if schedule else None,
            # Who took an alert is the volunteer's data; the person sees that it was taken.
            "alerts_about_you": [
                {
                    "reason": a.reason,
                    "since": a.since.isoformat(),
                    "created_at": a.created_at.isoformat(),
                    "taken_by_a_volunteer_at": a.acked_at.isoformat() if a.acked_at else None,
                }
                for a in alerts.scalars()
            ],
        }

    async def erase(self, session: AsyncSession, person_id: int, now: datetime) -> None:
        await session.execute(delete(CheckinEntry).where(CheckinEntry.person_id == person_id))
        await session.execute(delete(CheckinSchedule).where(CheckinSchedule.person_id == person_id))
        await session.execute(delete(CheckinAlert).where(CheckinAlert.person_id == person_id))
        await session.execute(
            update(CheckinAlert)
            .where(CheckinAlert.acked_by == person_id)
            .values(acked_by=None)
            .execution_options(synchronize_session=False)
        )
