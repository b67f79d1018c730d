"""Check-in persistence: entries and reminder schedules.

Functions take an ``AsyncSession`` inside the caller's unit of work. Queries live in
:mod:`bot.checkins.load`, alerts in :mod:`bot.checkins.alerts`, timed reminders in
:mod:`bot.checkins.reminders`, retention and personal data in :mod:`bot.checkins.privacy`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.models import CheckinEntry, CheckinSchedule
from bot.checkins.rules import MOOD_HIGH, MOOD_LOW, ReminderRule, next_due

# ---------------------------------------------------------------- entries


_INSERT_ENTRY = insert(cast(Table, CheckinEntry.__table__))


async def record_checkin(
    session: AsyncSession,
    person_id: int,
    mood: int,
    note: str | None,
    now: datetime,
    *,
    source: str = "checkin",
) -> int:
    """Store a check-in and return its id. Callers check consent first."""
    if not MOOD_LOW <= mood <= MOOD_HIGH:
        raise ValueError(f"mood {mood} outside {MOOD_LOW}..{MOOD_HIGH}")
    # A plain INSERT: nothing reads the entry back in this unit of work, and the ORM's
    # flush bookkeeping was a large part of a check-in's cost.
    result = await session.execute(
        _INSERT_ENTRY,
        {
            "person_id": person_id,
            "mood": mood,
            "note": note or None,
            "source": source,
            "created_at": now,
        },
    )
    key = cast(CursorResult[Any], result).inserted_primary_key
    assert key is not None, "a single-row INSERT has a key"
    return int(key[0])


# ---------------------------------------------------------------- schedules


async def set_schedule(
    session: AsyncSession, person_id: int, rule: ReminderRule, zone: str, now: datetime
) -> CheckinSchedule:
    """Create or change someone's reminder; the next due time is computed from the rule."""
    due = next_due(rule, ZoneInfo(zone), now)
    schedule = await session.get(CheckinSchedule, person_id)
    if schedule is None:
        schedule = CheckinSchedule(person_id=person_id, created_at=now)
        session.add(schedule)
    schedule.weekdays = rule.days_code
    schedule.local_time = rule.local_time
    schedule.timezone = zone
    schedule.next_due_at = due
    # A changed schedule starts a new "missed" count: reminders begin now.
    schedule.created_at = now
    await session.flush()
    return schedule


async def clear_schedule(session: AsyncSession, person_id: int) -> bool:
    """Stop someone's reminders; False when there were none."""
    result = await session.execute(
        delete(CheckinSchedule).where(CheckinSchedule.person_id == person_id)
    )
    return bool(getattr(result, "rowcount", 0))
