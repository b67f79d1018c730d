"""Delivering the outbox: claim due rows, hand them to the adapters, mark them.

Rows are claimed with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), sent, and
marked sent, so a crash neither loses nor doubles a message. A row whose claim lease
ran out (its process died mid-send) is claimed again.

A claimed batch is sent with up to ``max_in_flight`` sends at once, while everything
for the same person or room goes out one after another, in the order it was due (see
:func:`delivery_lanes`). What is written into the outbox, and how features ask about
it, is in :mod:`bot.core.outbox`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock
from bot.core.codec import decode
from bot.core.events import (
    CancelVideoPlace,
    CreateVideoPlace,
    Direct,
    ForgetFiles,
    OpenPrivateSpace,
    Outgoing,
    PublishEvent,
    SendResult,
    WithdrawEvent,
    outgoing_platform,
)
from bot.core.outbox import (
    CLAIMED,
    DEFAULT_IN_FLIGHT,
    FAILED,
    MAX_ATTEMPTS,
    MISSED,
    PENDING,
    SENT,
    YIELD_EVERY,
    delivery_key,
)
from bot.core.quiet_hold import QuietPolicy, hold_quiet
from bot.db.models import OutboxItem
from bot.db.uow import UnitOfWorkFactory

log = logging.getLogger("samvaer.outbox")


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
    if isinstance(message, CreateVideoPlace | CancelVideoPlace | PublishEvent | WithdrawEvent):
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


Sender = Callable[[Outgoing, str | None], Awaitable[SendResult]]
"""Sends a message with its delivery key (see :func:`bot.core.outbox.delivery_key`)."""
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
        quiet: QuietPolicy | None = None,
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
        self.quiet = quiet  # None: quiet hours are not applied (a benchmark's baseline)

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
            if rows and self.quiet is not None:
                rows = await self._hold_quiet(session, rows, now, self.quiet)
            if not rows:
                await uow.commit()
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

    @staticmethod
    async def _hold_quiet(
        session: AsyncSession, rows: list[OutboxItem], now: datetime, policy: QuietPolicy
    ) -> list[OutboxItem]:
        """Put off (or drop) direct messages that fall in their reader's quiet hours;
        the rest of the batch goes on (see :mod:`bot.core.quiet`)."""
        held = await hold_quiet(session, rows, now, policy)
        for row_id, when in held.items():
            values: dict[str, Any] = (
                {"status": MISSED, "result": "quiet hours"}
                if when is None
                else {"status": PENDING, "due_at": when, "claimed_until": None}
            )
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == row_id, OutboxItem.status.in_((PENDING, CLAIMED)))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        if held:
            log.info("outbox.quiet held=%d", len(held))
        return [row for row in rows if row.id not in held]

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
            try:
                outcome = await send(claimed.message, delivery_key(claimed.id))
            except Exception as exc:  # an adapter failure must not lose the row
                log.warning("outbox.send_error id=%d error=%s", claimed.id, type(exc).__name__)
                outcome = SendResult(ok=False, reason=type(exc).__name__)
            results[claimed.id] = outcome
