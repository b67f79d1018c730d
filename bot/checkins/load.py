"""Check-in queries: what a decision about check-ins, reminders or alerts needs to know.

Functions take an ``AsyncSession`` inside the caller's unit of work and only read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.models import CheckinAlert, CheckinEntry, CheckinSchedule
from bot.core.events import Direct, Role
from bot.db.models import Account, Person
from bot.people.service import display_name

RECENT_FOR_ALERTS = 100


async def recent_moods(
    session: AsyncSession, person_id: int, limit: int = RECENT_FOR_ALERTS
) -> list[tuple[int, tuple[datetime, int]]]:
    """(mood, (when, id)) of the person's latest check-ins, newest first."""
    result = await session.execute(
        select(CheckinEntry.mood, CheckinEntry.created_at, CheckinEntry.id)
        .where(CheckinEntry.person_id == person_id)
        .order_by(CheckinEntry.created_at.desc(), CheckinEntry.id.desc())
        .limit(limit)
    )
    return [(mood, (when, entry_id)) for mood, when, entry_id in result.all()]


async def history(session: AsyncSession, person_id: int, since: datetime) -> list[CheckinEntry]:
    """The person's check-ins since ``since``, oldest first."""
    result = await session.execute(
        select(CheckinEntry)
        .where(CheckinEntry.person_id == person_id, CheckinEntry.created_at >= since)
        .order_by(CheckinEntry.created_at, CheckinEntry.id)
    )
    return list(result.scalars())


async def get_schedule(session: AsyncSession, person_id: int) -> CheckinSchedule | None:
    return await session.get(CheckinSchedule, person_id)


async def next_schedule_due(session: AsyncSession) -> datetime | None:
    result = await session.execute(select(func.min(CheckinSchedule.next_due_at)))
    value = result.scalar_one_or_none()
    return value if isinstance(value, datetime) else None


async def first_accounts(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, Direct]:
    """Each person's first account as a place to write privately (as direct_to does)."""
    result = await session.execute(
        select(Account.person_id, Account.platform, Account.external_id)
        .where(Account.person_id.in_(person_ids))
        .order_by(Account.id)
    )
    found: dict[int, Direct] = {}
    for person_id, platform, external_id in result.all():
        found.setdefault(person_id, Direct(platform, external_id))
    return found


async def last_checkins(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, datetime]:
    result = await session.execute(
        select(CheckinEntry.person_id, func.max(CheckinEntry.created_at))
        .where(CheckinEntry.person_id.in_(person_ids))
        .group_by(CheckinEntry.person_id)
    )
    last: dict[int, datetime] = {}
    for person_id, when in result.all():
        if when is not None:
            last[person_id] = _aware(when)
    return last


def _aware(value: datetime) -> datetime:
    # Aggregates bypass the column type, so SQLite hands back naive UTC (or a string).
    from bot.core.clock import as_utc

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)


async def volunteer_accounts(session: AsyncSession) -> list[tuple[Account, str | None, str | None]]:
    """Accounts whose platform role is volunteer or above, with their language and zone."""
    result = await session.execute(
        select(Account, Person.language, Person.timezone)
        .join(Person, Person.id == Account.person_id)
        .where(Account.role >= int(Role.VOLUNTEER))
        .order_by(Account.id)
    )
    return [(account, lang, zone) for account, lang, zone in result.all()]


async def open_alerts(session: AsyncSession) -> list[tuple[CheckinAlert, str]]:
    """Alerts nobody has taken yet, oldest first, with the person's display name."""
    result = await session.execute(
        select(CheckinAlert)
        .where(CheckinAlert.acked_at.is_(None))
        .order_by(CheckinAlert.created_at, CheckinAlert.id)
    )
    return [(alert, await display_name(session, alert.person_id)) for alert in result.scalars()]
