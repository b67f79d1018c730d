"""One person, several platforms: one-time link codes, merging people, splitting them again.

Merging is generic: every table with a foreign key to ``people.id`` is found
from the metadata and its rows are moved to the remaining person, so features
need to know nothing about linking. Where a unique constraint would be broken
(both people had "their" row), the remaining person's row is kept and the
duplicate dropped.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import Column, Index, Table, and_, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.core.clock import as_utc
from bot.db.models import Account, Dialog, Person
from bot.db.registry import all_metadata
from bot.organising.models import OrgLinkAttempt, OrgLinkCode, OrgLinkMove

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_LENGTH = 8
CODE_VALID_FOR = timedelta(minutes=10)
MAX_WRONG_TRIES = 5
TRIES_WINDOW = timedelta(hours=1)


# ---------------------------------------------------------------- pure rules


def new_code() -> str:
    """A fresh code like ``K7QX-3MPA`` (easy to read aloud and type on a phone)."""
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{letters[:4]}-{letters[4:]}"


def normalise_code(text: str) -> str:
    """What the user typed, without spaces, dashes or case (``k7qx 3mpa`` → ``K7QX3MPA``)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def looks_like_code(text: str) -> bool:
    """True when the text could be a code at all (saves a wasted try on a typo)."""
    code = normalise_code(text)
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def hash_code(text: str) -> str:
    """The stored form of a code: never the code itself."""
    return hashlib.sha256(normalise_code(text).encode("ascii")).hexdigest()


def tries_left(wrong_in_window: int) -> int:
    return max(0, MAX_WRONG_TRIES - wrong_in_window)


class LinkOutcome(Enum):
    FOUND = "found"
    LINKED = "linked"
    WRONG = "wrong"
    LOCKED = "locked"
    OWN_CODE = "own_code"
    SAME_PLATFORM = "same_platform"


@dataclass(frozen=True)
class LinkResult:
    """What happened to ``link <code>``; ``person_id`` is the joined person when linked."""

    outcome: LinkOutcome
    person_id: int | None = None
    tries_left: int = 0
    retry_at: datetime | None = None
    platform: str = ""
    moved_rows: int = 0
    code_id: int | None = None


# ---------------------------------------------------------------- codes


async def issue_code(session: AsyncSession, person_id: int, platform: str, now: datetime) -> str:
    """Make a new code for the person (older codes stop working); returns the code."""
    await session.execute(delete(OrgLinkCode).where(OrgLinkCode.person_id == person_id))
    code = new_code()
    session.add(
        OrgLinkCode(
            person_id=person_id,
            code_hash=hash_code(code),
            platform=platform,
            created_at=now,
            expires_at=now + CODE_VALID_FOR,
        )
    )
    await session.flush()
    return code


async def wrong_tries(session: AsyncSession, person_id: int, now: datetime) -> list[datetime]:
    """When the person typed a wrong code within the last hour, oldest first."""
    result = await session.execute(
        select(OrgLinkAttempt.at)
        .where(OrgLinkAttempt.person_id == person_id, OrgLinkAttempt.at > now - TRIES_WINDOW)
        .order_by(OrgLinkAttempt.at)
    )
    return list(result.scalars())


async def redeem(
    session: AsyncSession, person_id: int, platform: str, typed: str, now: datetime
) -> LinkResult:
    """Check a typed code: whose it is (``FOUND``), or why it cannot be used.

    Nothing is joined here: the person typing it says yes to whose account it
    is, then the code's maker says yes too (:func:`claim_code`, :func:`complete_link`).
    """
    tries = await wrong_tries(session, person_id, now)
    if len(tries) >= MAX_WRONG_TRIES:
        return LinkResult(LinkOutcome.LOCKED, retry_at=tries[-MAX_WRONG_TRIES] + TRIES_WINDOW)
    found = (
        await session.execute(
            select(OrgLinkCode).where(
                OrgLinkCode.code_hash == hash_code(typed), OrgLinkCode.expires_at > now
            )
        )
    ).scalar_one_or_none()
    if found is None:
        session.add(OrgLinkAttempt(person_id=person_id, at=now))
        return LinkResult(LinkOutcome.WRONG, tries_left=tries_left(len(tries) + 1))
    if found.person_id == person_id:
        return LinkResult(LinkOutcome.OWN_CODE)
    target_id = found.person_id
    target_platforms = set(
        (await session.execute(select(Account.platform).where(Account.person_id == target_id)))
        .scalars()
        .all()
    )
    own_platforms = set(
        (await session.execute(select(Account.platform).where(Account.person_id == person_id)))
        .scalars()
        .all()
    )
    clash = sorted(target_platforms & own_platforms)
    if clash:
        return LinkResult(LinkOutcome.SAME_PLATFORM, platform=clash[0])
    return LinkResult(LinkOutcome.FOUND, person_id=target_id, code_id=found.id)


async def issuer_account(session: AsyncSession, code: OrgLinkCode) -> Account | None:
    """The account the code was made on: shown to whoever types it."""
    result = await session.execute(
        select(Account)
        .where(Account.person_id == code.person_id, Account.platform == code.platform)
        .order_by(Account.id)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def claim_code(
    session: AsyncSession, code_id: int, person_id: int, account_id: int, now: datetime
) -> OrgLinkCode | None:
    """The person who typed the code said yes: it now waits for its maker's yes.

    None when the code has run out, was used or was replaced meanwhile.
    """
    code = await session.get(OrgLinkCode, code_id)
    if code is None or as_utc(code.expires_at) <= now or code.person_id == person_id:
        return None
    code.claimed_by = person_id
    code.claimed_account_id = account_id
    code.expires_at = now + CODE_VALID_FOR
    await session.flush()
    return code


async def claim_waiting(session: AsyncSession, issuer_id: int, now: datetime) -> OrgLinkCode | None:
    """The claimed code of ``issuer_id`` that waits for their answer, if any."""
    result = await session.execute(
        select(OrgLinkCode).where(
            OrgLinkCode.person_id == issuer_id,
            OrgLinkCode.claimed_by.is_not(None),
            OrgLinkCode.expires_at > now,
        )
    )
    return result.scalar_one_or_none()


async def complete_link(session: AsyncSession, code: OrgLinkCode) -> LinkResult:
    """Both said yes: join the person who typed the code to the code's maker."""
    assert code.claimed_by is not None
    source_id, target_id = code.claimed_by, code.person_id
    await session.delete(code)
    moved = await merge_people(
        session, source_id=source_id, target_id=target_id, record=uuid.uuid4().hex
    )
    return LinkResult(LinkOutcome.LINKED, person_id=target_id, moved_rows=moved)


# ---------------------------------------------------------------- merging


@dataclass(frozen=True)
class PersonReference:
    """A column somewhere that points at ``people.id``, with the unique sets it belongs to."""

    table: Table
    column: Column[int]
    unique_sets: tuple[tuple[str, ...], ...]


def person_references(tables: Sequence[Table] | None = None) -> list[PersonReference]:
    """Every column in the schema that references ``people.id`` (people itself excluded)."""
    found = []
    for table in tables if tables is not None else all_metadata().sorted_tables:
        if table.name == Person.__tablename__:
            continue
        uniques: list[tuple[str, ...]] = []
        if table.primary_key is not None and len(table.primary_key.columns):
            uniques.append(tuple(c.name for c in table.primary_key.columns))
        for constraint in table.constraints:
            columns = getattr(constraint, "columns", None)
            if constraint.__class__.__name__ == "UniqueConstraint" and columns is not None:
                uniques.append(tuple(c.name for c in columns))
        for index in table.indexes:
            if isinstance(index, Index) and index.unique:
                uniques.append(tuple(c.name for c in index.columns))
        for column in table.columns:
            if column.unique:
                uniques.append((column.name,))
            if any(fk.column.table.name == Person.__tablename__ for fk in column.foreign_keys):
                sets = tuple(u for u in uniques if column.name in u)
                found.append(PersonReference(table, column, sets))
    return found


def _duplicate_of_target(
    ref: PersonReference, unique_set: tuple[str, ...], target_id: int
) -> ColumnElement[bool]:
    """Rows of the source that would collide with a row the target already has."""
    other = ref.table.alias("kept")
    conditions: list[ColumnElement[bool]] = [other.c[ref.column.name] == target_id]
    conditions += [
        other.c[name] == ref.table.c[name] for name in unique_set if name != ref.column.name
    ]
    return exists(select(1).select_from(other).where(and_(*conditions)))


async def merge_people(
    session: AsyncSession,
    *,
    source_id: int,
    target_id: int,
    references: Sequence[PersonReference] | None = None,
    record: str | None = None,
) -> int:
    """Move everything of ``source_id`` to ``target_id`` and remove the source person.

    ``references`` defaults to every column in the schema that points at a
    person. Returns how many rows were moved (duplicates dropped are not counted).
    With ``record`` (a merge id), every moved row is noted so that ``unlink`` can
    give it back.
    """
    await session.flush()
    source = await session.get(Person, source_id)
    target = await session.get(Person, target_id)
    if source is None or target is None:
        raise LookupError("both people must exist to be merged")
    # The person who made the code keeps their settings; gaps are filled from the other.
    target.language = target.language or source.language
    target.timezone = target.timezone or source.timezone
    if source.started_at is not None and (
        target.started_at is None or source.started_at < target.started_at
    ):
        target.started_at = source.started_at
    target.created_at = min(target.created_at, source.created_at)
    await session.flush()
    moved = 0
    moves: list[dict[str, object]] = []
    for ref in references if references is not None else person_references():
        column = ref.table.c[ref.column.name]
        for unique_set in ref.unique_sets:
            await session.execute(
                delete(ref.table).where(
                    column == source_id, _duplicate_of_target(ref, unique_set, target_id)
                )
            )
        if record is not None and ref.table.name != OrgLinkMove.__tablename__:
            keys = list(ref.table.primary_key.columns)
            found = await session.execute(select(*keys).where(column == source_id))
            moves += [
                {
                    "merge_id": record,
                    "person_id": target_id,
                    "table_name": ref.table.name,
                    "column_name": ref.column.name,
                    "row_key": list(row),
                }
                for row in found.all()
            ]
        result = await session.execute(
            update(ref.table).where(column == source_id).values({ref.column.name: target_id})
        )
        moved += int(getattr(result, "rowcount", 0) or 0)
    await session.execute(delete(Person).where(Person.id == source_id))
    if moves:
        await session.execute(insert(OrgLinkMove), moves)
    # Objects loaded before the bulk statements are stale now.
    session.expire_all()
    return moved


# ---------------------------------------------------------------- splitting


async def unlink_account(
    session: AsyncSession, person_id: int, platform: str, external_id: str, now: datetime
) -> tuple[Person, Person] | None:
    """Separate the account (platform, external_id) from the person's other accounts.

    Fair split: a join is undone. Everything the joining side brought with it
    (its accounts, check-ins, consents, buddy and meal rows — as recorded when
    the join was made) goes back to a person of its own, whichever of the two
    accounts asks. What was added while joined stays with the person the code
    was made for. For a join made before that was recorded, or when the person
    joined more than one other, the account leaves alone and the history stays.
    Returns (the person the account belongs to afterwards, the other side's
    person), or None when it was the only account.
    """
    count = await session.execute(
        select(func.count()).select_from(Account).where(Account.person_id == person_id)
    )
    if int(count.scalar_one()) < 2:
        return None
    old = await session.get(Person, person_id)
    assert old is not None
    account = (
        await session.execute(
            select(Account).where(
                Account.person_id == person_id,
                Account.platform == platform,
                Account.external_id == external_id,
            )
        )
    ).scalar_one()
    moves = list(
        (await session.execute(select(OrgLinkMove).where(OrgLinkMove.person_id == person_id)))
        .scalars()
        .all()
    )
    groups = {m.merge_id for m in moves}
    own_group = next(
        (
            m.merge_id
            for m in moves
            if m.table_name == Account.__tablename__ and m.row_key == [account.id]
        ),
        None,
    )
    fresh = Person(created_at=now, language=old.language, timezone=old.timezone, started_at=now)
    session.add(fresh)
    await session.flush()
    if own_group is None and len(groups) == 1:
        # The account the code was made on asks: the side that joined it leaves.
        own_group = groups.pop()
        leaving_is_this_account = False
    else:
        leaving_is_this_account = True
    if own_group is not None:
        tables = all_metadata().tables
        for move in moves:
            if move.merge_id != own_group:
                continue
            table = tables.get(move.table_name)
            if table is None:
                continue
            keys = list(table.primary_key.columns)
            await session.execute(
                update(table)
                .where(
                    table.c[move.column_name] == person_id,
                    *[key == value for key, value in zip(keys, move.row_key, strict=True)],
                )
                .values({move.column_name: fresh.id})
                .execution_options(synchronize_session=False)
            )
        await session.execute(delete(OrgLinkMove).where(OrgLinkMove.merge_id == own_group))
    else:
        await session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(person_id=fresh.id)
            .execution_options(synchronize_session=False)
        )
    # An unfinished conversation on an account goes with it.
    leaving = (
        await session.execute(
            select(Account.platform, Account.external_id).where(Account.person_id == fresh.id)
        )
    ).all()
    for leaving_platform, leaving_id in leaving:
        await session.execute(
            update(Dialog)
            .where(Dialog.platform == leaving_platform, Dialog.user_id == leaving_id)
            .values(person_id=fresh.id)
            .execution_options(synchronize_session=False)
        )
    fresh_id = fresh.id
    session.expire_all()
    stayed = await session.get(Person, person_id)
    left = await session.get(Person, fresh_id)
    assert stayed is not None
    assert left is not None
    return (left, stayed) if leaving_is_this_account else (stayed, left)
