"""Everything stored about a person: export (``mydata``) and erasure (``forget``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, ConsentEvent, Person


class PersonalData(Protocol):
    """A feature's part of a person's data."""

    name: str

    async def export(self, session: AsyncSession, person_id: int) -> Any:
        """JSON-safe data about the person."""

    async def erase(self, session: AsyncSession, person_id: int, now: datetime) -> None:
        """Remove the person's rows, ending shared things (pairings, RSVPs) kindly."""


def row_to_dict(row: object, skip: Sequence[str] = ()) -> dict[str, Any]:
    """A mapped row as a JSON-safe dict."""
    mapper = inspect(type(row))
    data: dict[str, Any] = {}
    for column in mapper.columns:
        if column.key in skip:
            continue
        value = getattr(row, column.key)
        if isinstance(value, datetime):
            value = value.isoformat()
        data[column.key] = value
    return data


async def export_person(
    session: AsyncSession, person_id: int, providers: Sequence[PersonalData]
) -> dict[str, Any]:
    """Everything about a person, by feature."""
    person = await session.get(Person, person_id)
    accounts = await session.execute(select(Account).where(Account.person_id == person_id))
    consents = await session.execute(
        select(ConsentEvent).where(ConsentEvent.person_id == person_id).order_by(ConsentEvent.at)
    )
    data: dict[str, Any] = {
        "person": row_to_dict(person) if person else {},
        "accounts": [row_to_dict(a) for a in accounts.scalars()],
        "consent_log": [row_to_dict(c, skip=("person_id",)) for c in consents.scalars()],
    }
    for provider in providers:
        data[provider.name] = await provider.export(session, person_id)
    return data


async def erase_person(
    session: AsyncSession, person_id: int, providers: Sequence[PersonalData], now: datetime
) -> None:
    """Erase every row about a person; the database cascades what references them."""
    for provider in providers:
        await provider.erase(session, person_id, now)
    await session.execute(delete(Person).where(Person.id == person_id))
