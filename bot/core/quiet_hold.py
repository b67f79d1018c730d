"""Quiet hours applied to the outbox: which rows about to be sent wait, and until when.

The rules are in :mod:`bot.core.quiet`; this reads each reader's zone and quiet hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import as_utc
from bot.core.quiet import NEVER_HELD, QuietHours, send_time, stored_quiet_hours
from bot.db.models import Account, OutboxItem, Person


@dataclass(frozen=True)
class QuietPolicy:
    """The community's quiet hours and zone, for people who set neither."""

    default: QuietHours | None
    zone: str


def _direct_to(payload: dict[str, Any]) -> tuple[str, str] | None:
    to = payload.get("to")
    if isinstance(to, dict) and to.get("user") and to.get("platform"):
        return str(to["platform"]), str(to["user"])
    return None


async def hold_quiet(
    session: AsyncSession, rows: Sequence[OutboxItem], now: datetime, policy: QuietPolicy
) -> dict[int, datetime | None]:
    """Rows that must not go now: {row id: when to send instead, or None to drop}."""
    candidates = [
        (row, to)
        for row in rows
        if row.kind not in NEVER_HELD and (to := _direct_to(row.payload)) is not None
    ]
    if not candidates:
        return {}
    by_person: dict[int, tuple[str | None, str | None]] = {}
    person_ids = {row.person_id for row, _ in candidates if row.person_id is not None}
    if person_ids:
        found = await session.execute(
            select(Person.id, Person.timezone, Person.quiet_hours).where(Person.id.in_(person_ids))
        )
        by_person = {pid: (zone, quiet) for pid, zone, quiet in found}
    by_account: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    accounts = {to for row, to in candidates if row.person_id is None}
    if accounts:
        rows_found = await session.execute(
            select(Account.platform, Account.external_id, Person.timezone, Person.quiet_hours)
            .join(Person, Person.id == Account.person_id)
            .where(tuple_(Account.platform, Account.external_id).in_(list(accounts)))
        )
        by_account = {(p, e): (zone, quiet) for p, e, zone, quiet in rows_found}
    held: dict[int, datetime | None] = {}
    for row, to in candidates:
        zone_name, stored = (
            by_person.get(row.person_id, (None, None))
            if row.person_id is not None
            else by_account.get(to, (None, None))
        )
        quiet = stored_quiet_hours(stored, policy.default)
        try:
            zone = ZoneInfo(zone_name or policy.zone)
        except (ValueError, KeyError):
            zone = ZoneInfo(policy.zone)
        expires = None if row.expires_at is None else as_utc(row.expires_at)
        when = send_time(now, zone, quiet, expires)
        if when != now:
            held[row.id] = when
    return held
