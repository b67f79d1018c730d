"""The persisted outbox: everything that must reach people later.

Rows are written in the same transaction as the change that caused them,
claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), sent, and
marked sent, so a crash neither loses nor doubles a message. A row whose
claim lease ran out (its process died mid-send) is claimed again.

A claimed batch is sent with up to ``max_in_flight`` sends at once, while
everything for the same person or room goes out one after another, in the
order it was due (see :func:`delivery_lanes`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.codec import decode, encode
from bot.core.events import (
    CancelVideoPlace,
    CreateVideoPlace,
    Direct,
    ForgetFiles,
    OpenPrivateSpace,
    Outgoing,
    SendResult,
    outgoing_platform,
)
from bot.db.models import OutboxItem
from bot.db.uow import UnitOfWorkFactory

log = logging.getLogger("samvaer.outbox")

PENDING = "pending"
CLAIMED = "claimed"
SENT = "sent"
FAILED = "failed"
MISSED = "missed"
CANCELLED = "cancelled"
MAX_ATTEMPTS = 5
YIELD_EVERY = 25
DEFAULT_IN_FLIGHT = 10

#: The idempotency key of the delivery being sent ("samvaer-<row id>"). Adapters pass
#: it to the platform (a Matrix transaction id, a Discord nonce) so a re-send after a
#: crash between "sent" and "marked sent" is recognised by the platform, not doubled.
DELIVERY_KEY: ContextVar[str | None] = ContextVar("samvaer_delivery_key", default=None)


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
    if value is None:
        return None
    from bot.core.clock import as_utc

    return as_utc(value)


def delivery_lanes(message: Outgoing) -> tuple[str, ...]:
    """Who or where a message goes: messages sharing a lane are sent in order, one at a time.

    A message to a person shares a lane with everything else to that person; one to
    a room with everything else to that room. Opening a private space for several
    people waits for what was due to each of them before it (an introduction never
    overtakes the proposal it follows); a video place goes in its room's lane.
    """
    platform = outgoing_platform(message)
    if isinstance(message, OpenPrivateSpace):
        return tuple(f"{platform} person {member}" for member in message.members) or (
            f"{platform} space {message.reference}",
        )
    if isinstance(message, CreateVideoPlace | CancelVideoPlace):
        return (f"{platform} room {message.reference or ''}",)
    if isinstance(message, ForgetFiles):
        return (f"{platform} person {message.user_id}",)
    if isinstance(message.to, Direct):
        return (f"{platform} person {message.to.user_id}",)
    return (f"{platform} room {message.to.room_id}",)


def lane_groups(batch: Sequence[Claimed]) -> list[list[Claimed]]:
    """The batch split into groups that share no lane, each in the batch's order.

    Messages whose lanes overlap (directly or through a private space naming two
    people) end up in one group; groups can then be sent side by side.
    """
    parent: dict[str, str] = {}

    def root(lane: str) -> str:
        parent.setdefault(lane, lane)
        while parent[lane] != lane:
            parent[lane] = parent[parent[lane]]
            lane = parent[lane]
        return lane

    lanes = [delivery_lanes(claimed.message) for claimed in batch]
    for own in lanes:
        first = root(own[0])
        for other in own[1:]:
            parent[root(other)] = first
    groups: dict[str, list[Claimed]] = {}
    for claimed, own in zip(batch, lanes, strict=True):
        groups.setdefault(root(own[0]), []).append(claimed)
    return list(groups.values())


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    message: Outgoing
    attempts: int


Sender = Callable[[Outgoing], Awaitable[SendResult]]
DeliveredHook = Callable[[AsyncSession, str, Outgoing, SendResult], Awaitable[None]]


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    missed: int = 0
    retried: int = 0


class OutboxDeliverer:
    """Claims due rows, hands them to the adapters and marks them."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        grace: timedelta,
        lease: timedelta,
        batch_size: int,
        platforms: Callable[[], set[str]],
        worker_id: str | None = None,
        on_delivered: DeliveredHook | None = None,
        max_in_flight: int = DEFAULT_IN_FLIGHT,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._grace = grace
        self._lease = lease
        self._batch = batch_size
        self._platforms = platforms
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self._on_delivered = on_delivered
        self.max_in_flight = max(1, max_in_flight)
        self._sent_since_yield = 0

    async def mark_missed(self) -> int:
        """Rows older than the grace period are not sent late in a burst; they are counted."""
        now = self._clock.now()
        async with self._uow() as uow:
            result = await uow.session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.status == PENDING,
                    or_(
                        OutboxItem.due_at < now - self._grace,
                        and_(OutboxItem.expires_at.is_not(None), OutboxItem.expires_at < now),
                    ),
                )
                .values(status=MISSED)
            )
            await uow.commit()
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            log.info("outbox.missed count=%d", count)
        return count

    async def claim(self) -> list[Claimed]:
        """Claim up to one batch of due rows for this worker."""
        now = self._clock.now()
        platforms = self._platforms()
        async with self._uow() as uow:
            session = uow.session
            due = or_(
                and_(OutboxItem.status == PENDING, OutboxItem.due_at <= now),
                and_(OutboxItem.status == CLAIMED, OutboxItem.claimed_until < now),
            )
            query = (
                select(OutboxItem)
                .where(due, OutboxItem.platform.in_(platforms))
                .order_by(OutboxItem.due_at, OutboxItem.id)
                .limit(self._batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.execute(query)).scalars())
            if not rows:
                return []
            ids = [row.id for row in rows]
            # The status guard makes the claim safe on SQLite too (one writer at a time).
            result = await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(ids), due)
                .values(
                    status=CLAIMED,
                    claimed_by=self.worker_id,
                    claimed_until=now + self._lease,
                    attempts=OutboxItem.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            claimed_ids = set(ids)
            if int(getattr(result, "rowcount", len(ids)) or 0) != len(ids):
                mine = await session.execute(
                    select(OutboxItem.id).where(
                        OutboxItem.id.in_(ids), OutboxItem.claimed_by == self.worker_id
                    )
                )
                claimed_ids = set(mine.scalars())
            await uow.commit()
            return [
                Claimed(row.id, row.kind, decode(row.payload), row.attempts + 1)
                for row in rows
                if row.id in claimed_ids
            ]

    async def _mark(self, outcomes: list[tuple[Claimed, SendResult]]) -> DeliveryReport:
        report = DeliveryReport()
        now = self._clock.now()
        async with self._uow() as uow:
            session = uow.session
            sent_ids = [c.id for c, r in outcomes if r.ok]
            if sent_ids:
                await session.execute(
                    update(OutboxItem)
                    .where(OutboxItem.id.in_(sent_ids), OutboxItem.claimed_by == self.worker_id)
                    .values(status=SENT, sent_at=now, claimed_until=None)
                    .execution_options(synchronize_session=False)
                )
                report.sent = len(sent_ids)
            for claimed, outcome in outcomes:
                if outcome.ok:
                    if outcome.value:
                        await session.execute(
                            update(OutboxItem)
                            .where(OutboxItem.id == claimed.id)
                            .values(result=outcome.value)
                        )
                    if self._on_delivered is not None:
                        await self._run_delivered_hook(session, claimed, outcome)
                    continue
                give_up = not outcome.retry or claimed.attempts >= MAX_ATTEMPTS
                backoff = timedelta(seconds=30 * 2 ** min(claimed.attempts, 6))
                await session.execute(
                    update(OutboxItem)
                    .where(OutboxItem.id == claimed.id, OutboxItem.claimed_by == self.worker_id)
                    .values(
                        status=FAILED if give_up else PENDING,
                        due_at=OutboxItem.due_at if give_up else now + backoff,
                        claimed_until=None,
                        result=outcome.reason[:500],
                    )
                )
                if give_up:
                    report.failed += 1
                else:
                    report.retried += 1
            await uow.commit()
        return report

    async def _run_delivered_hook(
        self, session: AsyncSession, claimed: Claimed, outcome: SendResult
    ) -> None:
        """A feature's follow-up of one delivery, in a savepoint: if it fails, only its
        own work is undone, never the marks of the batch (which would send it again)."""
        assert self._on_delivered is not None
        try:
            async with session.begin_nested():
                await self._on_delivered(session, claimed.kind, claimed.message, outcome)
        except Exception:
            log.exception("outbox.delivered_hook_failed kind=%s", claimed.kind)

    async def deliver_due(self, send: Sender) -> DeliveryReport:
        """Send everything due now; returns what happened."""
        total = DeliveryReport(missed=await self.mark_missed())
        while True:
            batch = await self.claim()
            if not batch:
                return total
            outcomes = await self._send_batch(batch, send)
            report = await self._mark(outcomes)
            total.sent += report.sent
            total.failed += report.failed
            total.retried += report.retried
            # A delivery hook may have queued a follow-up due now (an alert reached a
            # volunteer, so the person may be told): look once more after sends.
            if len(batch) < self._batch and not report.sent:
                return total

    async def _send_batch(
        self, batch: list[Claimed], send: Sender
    ) -> list[tuple[Claimed, SendResult]]:
        """Send a claimed batch: up to ``max_in_flight`` at once, each lane in order.

        The outcomes come back in the batch's order. Every send of the batch has
        finished (or failed) before it returns, so the next batch never overtakes
        this one in any lane.
        """
        results: dict[int, SendResult] = {}
        groups = lane_groups(batch)
        workers = min(self.max_in_flight, len(groups))
        if workers <= 1:
            for group in groups:
                await self._send_group(group, send, results)
        else:
            waiting = iter(groups)

            async def worker() -> None:
                # Each worker takes the next group and sends it through; the iterator
                # is shared, so a group is taken by exactly one worker.
                for group in waiting:
                    await self._send_group(group, send, results)

            async with asyncio.TaskGroup() as workers_group:
                for _ in range(workers):
                    workers_group.create_task(worker())
        return [(claimed, results[claimed.id]) for claimed in batch]

    async def _send_group(
        self, group: list[Claimed], send: Sender, results: dict[int, SendResult]
    ) -> None:
        for claimed in group:
            self._sent_since_yield += 1
            if self._sent_since_yield >= YIELD_EVERY:
                # Adapters that buffer without awaiting would otherwise hold the
                # event loop for a whole batch; let commands in between.
                self._sent_since_yield = 0
                await asyncio.sleep(0)
            token = DELIVERY_KEY.set(f"samvaer-{claimed.id}")
            try:
                outcome = await send(claimed.message)
            except Exception as exc:  # an adapter failure must not lose the row
                log.warning("outbox.send_error id=%d error=%s", claimed.id, type(exc).__name__)
                outcome = SendResult(ok=False, reason=type(exc).__name__)
            finally:
                DELIVERY_KEY.reset(token)
            results[claimed.id] = outcome


async def purge_old(session: AsyncSession, before: datetime) -> int:
    """Delete finished rows older than ``before`` (retention)."""
    result = await session.execute(
        delete(OutboxItem).where(
            OutboxItem.status.in_([SENT, FAILED, MISSED, CANCELLED]), OutboxItem.created_at < before
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------- erasure

#: What a sent row that said something to or about an erased person carries instead.
ERASED_PAYLOAD: dict[str, Any] = {
    "type": "TextMessage",
    "to": {"user": "-", "platform": "-"},
    "text": "",
}
UNSENT = (PENDING, CLAIMED, FAILED, MISSED)


@dataclass(frozen=True)
class Identity:
    """One account of a person: what their messages are addressed to and named by."""

    platform: str
    external_id: str
    display_name: str = ""


def payload_text(payload: dict[str, Any]) -> str:
    """Everything a stored message says, with file contents decoded, as one string."""
    parts: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, str(name))
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str):
            parts.append(value)
            if key == "content":
                with contextlib.suppress(ValueError):
                    parts.append(base64.b64decode(value).decode("utf-8", "replace"))
        elif value is not None:
            parts.append(str(value))

    walk(payload)
    return "\n".join(parts)


def addressed_to(payload: dict[str, Any], identities: Sequence[Identity]) -> bool:
    """Whether a stored message is written to one of these accounts."""
    to = payload.get("to")
    members = payload.get("members") or ()
    for identity in identities:
        if isinstance(to, dict) and to.get("platform") == identity.platform:
            if to.get("user") == identity.external_id:
                return True
            if to.get("room") == f"dm:{identity.external_id}":
                return True
        if payload.get("platform") == identity.platform and identity.external_id in members:
            return True
    return False


def _name_pattern(identities: Sequence[Identity]) -> re.Pattern[str] | None:
    words = {i.external_id for i in identities if i.external_id}
    words |= {i.display_name for i in identities if len(i.display_name.strip()) >= 3}
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def mentions(payload: dict[str, Any], identities: Sequence[Identity]) -> bool:
    """Whether a stored message names one of these accounts (id or display name)."""
    pattern = _name_pattern(identities)
    return pattern is not None and pattern.search(payload_text(payload)) is not None


async def forget_person(
    session: AsyncSession, person_id: int, identities: Sequence[Identity]
) -> int:
    """Leave nothing of a person in the outbox; returns how many rows were touched.

    Rows tied to them are deleted, unsent rows addressed to any of their accounts
    are deleted, and every other row written to or naming them (a report an
    organiser got, a reminder in a room) keeps only its status and dedupe key:
    the content is blanked and an unsent one is cancelled. Erasure is rare, so
    every row is looked at, in batches.
    """
    await session.execute(delete(OutboxItem).where(OutboxItem.person_id == person_id))
    pattern = _name_pattern(identities)
    touched = 0
    last_id = 0
    while True:
        batch = (
            await session.execute(
                select(OutboxItem.id, OutboxItem.status, OutboxItem.payload, OutboxItem.result)
                .where(OutboxItem.id > last_id)
                .order_by(OutboxItem.id)
                .limit(500)
            )
        ).all()
        if not batch:
            return touched
        last_id = batch[-1].id
        remove: list[int] = []
        blank: list[int] = []
        for row_id, status, payload, result in batch:
            to_them = addressed_to(payload, identities)
            named = pattern is not None and (
                pattern.search(payload_text(payload)) is not None
                or (result is not None and pattern.search(result) is not None)
            )
            if to_them and status in UNSENT:
                remove.append(row_id)
            elif to_them or named:
                blank.append(row_id)
        if remove:
            await session.execute(
                delete(OutboxItem)
                .where(OutboxItem.id.in_(remove))
                .execution_options(synchronize_session=False)
            )
        if blank:
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(blank), OutboxItem.status.in_(UNSENT))
                .values(status=CANCELLED)
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(blank))
                .values(payload=ERASED_PAYLOAD, result=None)
                .execution_options(synchronize_session=False)
            )
        touched += len(remove) + len(blank)


async def waiting_for(
    session: AsyncSession, person_id: int, identities: Sequence[Identity]
) -> list[dict[str, Any]]:
    """Messages not yet delivered to a person (for ``mydata``): what they say, not files."""
    rows = (
        await session.execute(
            select(OutboxItem)
            .where(OutboxItem.status.in_(UNSENT))
            .order_by(OutboxItem.due_at, OutboxItem.id)
        )
    ).scalars()
    found = []
    for row in rows:
        if row.person_id != person_id and not addressed_to(row.payload, identities):
            continue
        payload = dict(row.payload)
        if "content" in payload:
            payload["content"] = f"<{len(base64.b64decode(payload['content']))} bytes>"
        found.append(
            {
                "kind": row.kind,
                "status": row.status,
                "due_at": row.due_at.isoformat(),
                "message": payload,
            }
        )
    return found
