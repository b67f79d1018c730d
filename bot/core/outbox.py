"""The persisted outbox: everything that must reach people later.

Rows are written in the same transaction as the change that caused them (so a
crash neither loses nor doubles a message) and sent by
:class:`bot.core.delivery.OutboxDeliverer`. This module is the outbox's API for
everyone else: features enqueue, cancel and ask about their messages here, by
dedupe-key prefix, kind or person, and never touch the ``outbox`` table themselves
(an import contract in ``.importlinter`` keeps it so). Erasure is in
:mod:`bot.core.outbox_erasure`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import as_utc
from bot.core.codec import decode, encode
from bot.core.events import ChoicePrompt, Direct, Outgoing, outgoing_platform
from bot.db.models import OutboxItem

PENDING = "pending"
CLAIMED = "claimed"
SENT = "sent"
FAILED = "failed"
MISSED = "missed"
CANCELLED = "cancelled"
UNSENT = (PENDING, CLAIMED, FAILED, MISSED)
MAX_ATTEMPTS = 5
YIELD_EVERY = 25
DEFAULT_IN_FLIGHT = 10


def delivery_key(row_id: int) -> str:
    """The idempotency key of an outbox row's delivery, handed to the adapter with the
    message: adapters pass it to the platform (a Matrix transaction id) so a re-send
    after a crash between "sent" and "marked sent" is recognised there, not doubled."""
    return f"samvaer-{row_id}"


def outbox_row(
    payload: dict[str, Any],
    platform: str,
    *,
    due_at: datetime,
    now: datetime,
    kind: str,
    person_id: int | None = None,
    dedupe_key: str | None = None,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    """The column values of one pending outbox row (``payload`` from :func:`encode`)."""
    return {
        "dedupe_key": dedupe_key,
        "person_id": person_id,
        "kind": kind,
        "platform": platform,
        "payload": payload,
        "due_at": due_at,
        "expires_at": expires_at,
        "status": PENDING,
        "attempts": 0,
        "created_at": now,
    }


DUE_NOW = "outbox_due_now"  # a key in ``session.info``: this unit of work queued work due now


def _mark_due_now(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Note that something must go out now, so the commit can wake the deliverer."""
    if any(row["due_at"] <= row["created_at"] for row in rows):
        session.info[DUE_NOW] = True


async def insert_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert outbox rows as one executemany, skipping dedupe keys already there.

    One cached statement is far cheaper to build than a statement with thousands
    of VALUES, which keeps the event loop free when many people share a minute.
    Returns how many rows were new.
    """
    if not rows:
        return 0
    _mark_due_now(session, rows)
    dialect = session.get_bind().dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert_fn(OutboxItem)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxItem.id)
    )
    result = await session.execute(statement, list(rows))
    return len(result.all())


async def enqueue(
    session: AsyncSession,
    message: Outgoing,
    *,
    due_at: datetime,
    now: datetime,
    kind: str,
    person_id: int | None = None,
    dedupe_key: str | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Add a message to the outbox; with a dedupe key, at most once ever.

    Returns False when a row with the same dedupe key already exists.
    """
    row = outbox_row(
        encode(message),
        outgoing_platform(message),
        due_at=due_at,
        now=now,
        kind=kind,
        person_id=person_id,
        dedupe_key=dedupe_key,
        expires_at=expires_at,
    )
    if dedupe_key is None:
        _mark_due_now(session, [row])
        session.add(OutboxItem(**row))
        return True
    return await insert_rows(session, [row]) == 1


async def enqueue_many(
    session: AsyncSession, rows: Sequence[dict[str, Any]], *, now: datetime
) -> int:
    """Bulk enqueue (fan-outs): rows hold ``message``, ``due_at``, ``kind``, and optionally
    ``person_id``, ``dedupe_key``, ``expires_at``. Returns how many were new."""
    return await insert_rows(
        session,
        [
            outbox_row(
                encode(row["message"]),
                outgoing_platform(row["message"]),
                due_at=row["due_at"],
                now=now,
                kind=row["kind"],
                person_id=row.get("person_id"),
                dedupe_key=row.get("dedupe_key"),
                expires_at=row.get("expires_at"),
            )
            for row in rows
        ],
    )


async def cancel_pending(session: AsyncSession, key_prefix: str) -> int:
    """Cancel pending rows whose dedupe key starts with ``key_prefix``."""
    result = await session.execute(
        update(OutboxItem)
        .where(OutboxItem.status == PENDING, OutboxItem.dedupe_key.startswith(key_prefix))
        .values(status=CANCELLED)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def next_due(session: AsyncSession) -> datetime | None:
    """When the next pending row is due."""
    result = await session.execute(
        select(func.min(OutboxItem.due_at)).where(OutboxItem.status == PENDING)
    )
    value = result.scalar_one_or_none()
    return None if value is None else as_utc(value)


async def purge_old(session: AsyncSession, before: datetime) -> int:
    """Delete finished rows older than ``before`` (retention)."""
    result = await session.execute(
        delete(OutboxItem).where(
            OutboxItem.status.in_([SENT, FAILED, MISSED, CANCELLED]), OutboxItem.created_at < before
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------- asking about messages

#: What a row that said something to or about an erased person carries instead.
ERASED_PAYLOAD: dict[str, Any] = {
    "type": "TextMessage",
    "to": {"user": "-", "platform": "-"},
    "text": "",
}


async def erase_by_prefix(session: AsyncSession, key_prefix: str) -> None:
    """Cancel the pending rows whose dedupe key starts with ``key_prefix`` and blank
    the content of every such row. The rows stay, so their dedupe keys keep a repeated
    job from sending them again."""
    about = OutboxItem.dedupe_key.startswith(key_prefix)
    await session.execute(
        update(OutboxItem).where(about, OutboxItem.status == PENDING).values(status=CANCELLED)
    )
    await session.execute(update(OutboxItem).where(about).values(payload=ERASED_PAYLOAD))


@dataclass(frozen=True)
class DeliveryState:
    """Where one message stands: its status and, once sent, when."""

    status: str
    sent_at: datetime | None

    @property
    def still_trying(self) -> bool:
        """Waiting to be sent or being sent now."""
        return self.status in (PENDING, CLAIMED)


async def delivery_states(session: AsyncSession, key_prefix: str) -> list[DeliveryState]:
    """Where each message whose dedupe key starts with ``key_prefix`` stands."""
    rows = await session.execute(
        select(OutboxItem.status, OutboxItem.sent_at).where(
            OutboxItem.dedupe_key.startswith(key_prefix)
        )
    )
    return [
        DeliveryState(status, None if sent_at is None else as_utc(sent_at))
        for status, sent_at in rows.all()
    ]


async def people_given(
    session: AsyncSession, kind: str, person_ids: Collection[int], since: datetime
) -> set[int]:
    """Which of ``person_ids`` had a message of ``kind`` queued for them after ``since``."""
    if not person_ids:
        return set()
    rows = await session.execute(
        select(OutboxItem.person_id).where(
            OutboxItem.kind == kind,
            OutboxItem.person_id.in_(list(person_ids)),
            OutboxItem.created_at > since,
        )
    )
    return {person_id for person_id in rows.scalars() if person_id is not None}


async def last_sent_question(
    session: AsyncSession, person_id: int, to: Direct, since: datetime
) -> ChoicePrompt | None:
    """The last choice prompt delivered to the account ``to`` after ``since``, if it
    was the last thing sent to them there (a typed word may answer it)."""
    rows = await session.execute(
        select(OutboxItem.payload)
        .where(
            OutboxItem.person_id == person_id,
            OutboxItem.status == SENT,
            OutboxItem.sent_at >= since,
        )
        .order_by(OutboxItem.sent_at.desc(), OutboxItem.id.desc())
        .limit(5)
    )
    for (payload,) in rows:
        try:
            message = decode(payload)
        except (KeyError, TypeError, ValueError):
            continue
        if getattr(message, "to", None) != to:
            continue  # sent to someone else about them, or to a room
        return message if isinstance(message, ChoicePrompt) else None
    return None
