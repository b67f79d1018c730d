"""People and their platform accounts: lookup, creation, language, consents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.core.clock import as_utc
from bot.core.events import Direct, Sender
from bot.db.models import Account, ConsentEvent, Dialog, Person

CONSENTS = ("checkins", "share", "buddies")
# How stale Account.last_seen_at may get before a message refreshes it.
LAST_SEEN_GRANULARITY = timedelta(minutes=5)

_LOCALE_LANGUAGE = {"da": "da", "nb": "nb", "no": "nb", "nn": "nb", "en": "en"}


def language_from_locale(locale: str | None) -> str | None:
    """Map a platform locale ("da", "nb-NO", "en-GB") to one of our languages."""
    if not locale:
        return None
    return _LOCALE_LANGUAGE.get(locale.split("-")[0].split("_")[0].casefold())


async def person_for(session: AsyncSession, sender: Sender, now: datetime) -> Person:
    """The person behind a platform account, created on first contact."""
    row = await session.execute(
        select(Person, Account)
        .join(Account, Account.person_id == Person.id)
        .where(Account.platform == sender.platform, Account.external_id == sender.user_id)
    )
    found = row.first()
    if found is None:
        return await _first_contact(session, sender, now)
    person, account = found
    await _touch(session, account, sender, now)
    return person


_ACCOUNTS = cast(Table, Account.__table__)

# Built once: this runs for every message, and building the expression cost more than
# running it.
_PERSON_AND_DIALOG = (
    select(Person, Account, Dialog)
    .join(Account, Account.person_id == Person.id)
    .outerjoin(
        Dialog,
        and_(
            Dialog.platform == Account.platform,
            Dialog.room_id == bindparam("room_id"),
            Dialog.user_id == Account.external_id,
        ),
    )
    .where(Account.platform == bindparam("platform"), Account.external_id == bindparam("user_id"))
)


async def person_and_dialog(
    session: AsyncSession, sender: Sender, room_id: str, now: datetime
) -> tuple[Person, Dialog | None]:
    """The sender's person and their dialog in ``room_id``, in one query (the command path)."""
    row = await session.execute(
        _PERSON_AND_DIALOG,
        {"platform": sender.platform, "user_id": sender.user_id, "room_id": room_id},
    )
    found = row.first()
    if found is None:
        return await _first_contact(session, sender, now), None
    person, account, dialog = found
    await _touch(session, account, sender, now)
    return person, dialog


async def _touch(session: AsyncSession, account: Account, sender: Sender, now: datetime) -> None:
    """Keep the account's name and role current, and "last seen" roughly current."""
    changes: dict[str, object] = {}
    if sender.display_name and account.display_name != sender.display_name:
        changes["display_name"] = sender.display_name
    if account.role != int(sender.role):
        changes["role"] = int(sender.role)
    # "Last seen" is shown by date, so an UPDATE on every message would buy nothing.
    if account.last_seen_at is None or now - as_utc(account.last_seen_at) >= LAST_SEEN_GRANULARITY:
        changes["last_seen_at"] = now
    if not changes:
        return
    # A plain UPDATE, and the loaded account told the new values as already stored:
    # the ORM's flush of one changed row cost more than the rest of a command.
    await session.execute(update(_ACCOUNTS).where(_ACCOUNTS.c.id == account.id).values(changes))
    for name, value in changes.items():
        set_committed_value(account, name, value)


FIRST_CONTACT = "first_contact"  # in ``session.info``: the sender was met just now


async def _first_contact(session: AsyncSession, sender: Sender, now: datetime) -> Person:
    session.info[FIRST_CONTACT] = True
    # The platform's language (Discord tells it) is remembered, so later messages that are
    # not answers (reminders, proposals) come in it too; `language` changes it.
    person = Person(created_at=now, language=language_from_locale(sender.locale))
    session.add(person)
    await session.flush()
    session.add(
        Account(
            person_id=person.id,
            platform=sender.platform,
            external_id=sender.user_id,
            display_name=sender.display_name,
            role=int(sender.role),
            last_seen_at=now,
            created_at=now,
        )
    )
    await session.flush()
    return person


async def accounts_of(session: AsyncSession, person_id: int) -> list[Account]:
    result = await session.execute(
        select(Account).where(Account.person_id == person_id).order_by(Account.id)
    )
    return list(result.scalars())


async def direct_to(session: AsyncSession, person_id: int, prefer: str | None = None) -> Direct:
    """Where to write to a person privately: their account on ``prefer``, else the first."""
    accounts = await accounts_of(session, person_id)
    if not accounts:
        raise LookupError(f"person {person_id} has no account")
    for account in accounts:
        if account.platform == prefer:
            return Direct(account.platform, account.external_id)
    return Direct(accounts[0].platform, accounts[0].external_id)


async def display_name(session: AsyncSession, person_id: int) -> str:
    accounts = await accounts_of(session, person_id)
    for account in accounts:
        if account.display_name:
            return account.display_name
    return accounts[0].external_id if accounts else "?"


async def set_consent(
    session: AsyncSession, person: Person, consent: str, given: bool, now: datetime
) -> bool:
    """Record a consent change in the person and the consent log; False if unchanged."""
    if consent not in CONSENTS:
        raise ValueError(f"unknown consent {consent}")
    attribute = f"consent_{consent}"
    if getattr(person, attribute) == given:
        return False
    setattr(person, attribute, given)
    session.add(ConsentEvent(person_id=person.id, consent=consent, given=given, at=now))
    return True


def language_of(person: Person, sender_locale: str | None, default: str) -> str:
    return person.language or language_from_locale(sender_locale) or default
