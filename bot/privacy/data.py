"""Everything stored about a person: export (``mydata``) and erasure (``forget``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dialogs import own_data
from bot.core.outbox_erasure import Identity, forget_person, waiting_for
from bot.db.models import Account, ConsentEvent, Dialog, Person


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
    account_rows = list(accounts.scalars())
    dialogs = await session.execute(select(Dialog).where(Dialog.person_id == person_id))
    data: dict[str, Any] = {
        "person": row_to_dict(person) if person else {},
        "accounts": [row_to_dict(a) for a in account_rows],
        "consent_log": [row_to_dict(c, skip=("person_id",)) for c in consents.scalars()],
        # A conversation in progress (e.g. profile answers given so far).
        "dialogs_in_progress": [_dialog(d) for d in dialogs.scalars()],
        # Messages to them that could not be delivered yet, or wait for their time.
        "messages_waiting": await waiting_for(session, person_id, identities_of(account_rows)),
    }
    for provider in providers:
        data[provider.name] = await provider.export(session, person_id)
    return data


def _dialog(row: Dialog) -> dict[str, Any]:
    """A conversation in progress, without what the bot keeps for itself in it (the
    question last shown, which is only a copy of a message already sent)."""
    data = row_to_dict(row, skip=("person_id",))
    data["data"] = own_data(dict(row.data or {}))
    return data


def identities_of(accounts: Sequence[Account]) -> list[Identity]:
    return [Identity(a.platform, a.external_id, a.display_name) for a in accounts]


async def erase_person(
    session: AsyncSession, person_id: int, providers: Sequence[PersonalData], now: datetime
) -> list[Identity]:
    """Erase every row about a person; the database cascades what references them.

    The outbox is cleared of everything tied to them, addressed to any of their
    accounts or naming them (see :func:`bot.core.outbox_erasure.forget_person`). Returns
    the accounts they had, so files written for them can be deleted too.
    """
    accounts = await session.execute(select(Account).where(Account.person_id == person_id))
    identities = identities_of(list(accounts.scalars()))
    for provider in providers:
        await provider.erase(session, person_id, now)
    await forget_person(session, person_id, identities)
    await session.execute(delete(Person).where(Person.id == person_id))
    return identities
