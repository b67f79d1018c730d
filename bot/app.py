"""The running application: dispatcher, outbox, timed work and adapters wired together."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.adapters.base import Adapter, KeepsFiles, KnowsRoles, MovesTime
from bot.core.claims import claim_event
from bot.core.clock import MovableClock
from bot.core.context import JobContext, Services
from bot.core.delivery import DeliveryReport, OutboxDeliverer
from bot.core.dispatcher import Dispatcher
from bot.core.events import (
    ChoicePrompt,
    Direct,
    ForgetFiles,
    Incoming,
    MemberJoined,
    Outgoing,
    Role,
    Sender,
    SendResult,
    TextMessage,
    outgoing_platform,
)
from bot.core.jobs import next_job_due, release, try_acquire
from bot.core.outbox import DUE_NOW, enqueue, next_due
from bot.db.models import Account
from bot.db.sqlite_driver import off_event_loop
from bot.db.uow import UnitOfWorkFactory
from bot.safety.detect import CrisisMatch

log = logging.getLogger("samvaer.app")


@dataclass
class App:
    """Everything bootstrap() made. Tests drive it with a fake clock and a recording adapter."""

    services: Services
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    dispatcher: Dispatcher
    deliverer: OutboxDeliverer
    adapters: dict[str, Adapter] = field(default_factory=dict)
    # Set when a commit queued something due now: the runner delivers at once
    # instead of waiting for the next poll, so others are told within a second.
    due_now: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: bool = False

    def __post_init__(self) -> None:
        self.uow.after_commit.append(self._note_due_now)

    def _note_due_now(self, info: dict[str, object]) -> None:
        if info.get(DUE_NOW):
            self.due_now.set()

    def add_adapter(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter
        # What each platform can do, for features that choose by capability (an adapter
        # that declares nothing can do nothing special).
        capabilities: frozenset[str] = getattr(adapter, "capabilities", frozenset())
        self.services.extras.setdefault("capabilities", {})[adapter.platform] = capabilities

    async def handle(self, event: Incoming) -> list[Outgoing]:
        """Dispatch one event and send its answers right away.

        An answer the platform could not take now (closed DMs, a network
        hiccup) goes into the outbox to be retried: nothing is lost silently.
        """
        found, crisis = self.dispatcher.crisis_now(event)
        if not crisis:
            answers = await self._claimed_answers(event, found)
            await self._send_answers(event, answers)
            return answers
        # Crisis words: the lines never wait on a slow or unreachable database. If the
        # full answer (in the person's own language, with their safety plan) is not
        # ready in time, the lines go now and the rest follows without repeating them.
        full = asyncio.ensure_future(self._claimed_answers(event, found))
        wait = self.services.config.safety.crisis_reply_wait.total_seconds()
        done, _ = await asyncio.wait({full}, timeout=wait)
        if full in done:
            answers = full.result()
            await self._send_answers(event, answers)
            return answers
        log.warning("safety.crisis_reply_sent_before_database platform=%s", event.sender.platform)
        await self._send_answers(event, crisis)
        rest = [m for m in await full if not _crisis_or_room_note(m)]
        await self._send_answers(event, rest)
        return [*crisis, *rest]

    async def _claimed_answers(self, event: Incoming, found: CrisisMatch | None) -> list[Outgoing]:
        if not await self._first_to_claim(event):
            return []
        return await self.dispatcher.handle(event, found)

    async def _send_answers(self, event: Incoming, answers: list[Outgoing]) -> None:
        for message in answers:
            result = await self.send(message)
            if not result.ok and result.retry and not isinstance(event, MemberJoined):
                await self._keep_for_later(event.sender, message, result)

    async def _first_to_claim(self, event: Incoming) -> bool:
        """Claim the event in the database so that only one process handles it.

        Events without an id are handled as they come. If the database cannot be
        reached the event is handled anyway: a crisis reply must never be lost to
        a claim (the dispatcher answers "try again" for everything else).
        """
        if isinstance(event, MemberJoined) or not event.event_id:
            return True
        for attempt in (1, 2):
            try:
                async with self.uow() as uow:
                    first = await claim_event(
                        uow.session,
                        event.sender.platform,
                        event.event_id,
                        self.services.clock.now(),
                    )
                    await uow.commit()
                break
            except DBAPIError as exc:
                # The server closed a pooled connection (it restarted): once more.
                if attempt == 1 and exc.connection_invalidated:
                    log.info("event.claim_stale_connection_retry")
                    continue
                log.warning("event.claim_failed error=%s", type(exc).__name__)
                return True
            except Exception as exc:
                log.warning("event.claim_failed error=%s", type(exc).__name__)
                return True
        if not first:
            log.info("event.already_handled platform=%s", event.sender.platform)
        return first

    async def _keep_for_later(self, sender: Sender, message: Outgoing, result: SendResult) -> None:
        """Queue an answer for a retry, tied to the person it is for (so ``forget`` finds it).

        It belongs to the person it is addressed to when that is someone the bot
        knows, else to the person who wrote. When neither exists (they have just
        erased their data) nothing is kept: there is nobody left to tell.
        """
        now = self.services.clock.now()
        try:
            async with self.uow() as uow:
                person_id = await self._owner(uow.session, sender, message)
                if person_id is None:
                    log.info("send.not_kept reason=%s", result.reason)
                    return
                log.info("send.deferred reason=%s", result.reason)
                await enqueue(
                    uow.session,
                    message,
                    due_at=now + timedelta(minutes=1),
                    now=now,
                    kind="deferred_reply",
                    person_id=person_id,
                    expires_at=now + timedelta(days=7),
                )
                await uow.commit()
        except Exception:
            log.exception("send.defer_failed")

    @staticmethod
    async def _owner(session: AsyncSession, sender: Sender, message: Outgoing) -> int | None:
        to = getattr(message, "to", None)
        if isinstance(to, Direct) and (to.platform, to.user_id) != (
            sender.platform,
            sender.user_id,
        ):
            addressee = await session.scalar(
                select(Account.person_id).where(
                    Account.platform == to.platform, Account.external_id == to.user_id
                )
            )
            if addressee is not None:
                return int(addressee)
        writer = await session.scalar(
            select(Account.person_id).where(
                Account.platform == sender.platform, Account.external_id == sender.user_id
            )
        )
        return None if writer is None else int(writer)

    async def on_event(self, event: Incoming) -> None:
        """What adapters call for each event."""
        await self.handle(event)

    async def send(self, message: Outgoing, delivery_key: str | None = None) -> SendResult:
        adapter = self.adapters.get(outgoing_platform(message))
        if isinstance(message, ForgetFiles):
            # Only adapters that write files of their own have anything to delete.
            if isinstance(adapter, KeepsFiles):
                await adapter.forget_files(message.user_id)
            return SendResult(ok=True)
        if adapter is None:
            return SendResult(ok=False, retry=True, reason="no adapter for platform")
        refused = await self._role_gate(adapter, message)
        if refused is not None:
            return refused
        if delivery_key is None:  # an answer sent at once (the crisis lines among them)
            return await adapter.send(message)
        return await adapter.send(message, delivery_key)

    async def _role_gate(self, adapter: Adapter, message: Outgoing) -> SendResult | None:
        """Role-gated direct messages go only to someone who holds the role right now.

        None lets the message through. When the platform clearly says the role is gone,
        the message is dropped for good; when it can't tell right now (a lookup failed,
        the adapter is still starting), it is kept and tried again.
        """
        if not isinstance(message, TextMessage | ChoicePrompt):
            return None
        needed = message.recipient_role
        if needed <= Role.PARTICIPANT or not isinstance(message.to, Direct):
            return None
        if not isinstance(adapter, KnowsRoles):
            log.warning("send.role_unknown platform=%s", message.to.platform)
            return SendResult(ok=False, retry=False, reason="the platform cannot tell roles")
        try:
            current = await adapter.current_role(message.to.user_id)
        except Exception:
            log.exception("send.role_lookup_failed platform=%s", message.to.platform)
            current = None
        if current is None:
            return SendResult(ok=False, retry=True, reason="role unknown for now")
        if current < needed:
            log.info("send.role_gone platform=%s", message.to.platform)
            return SendResult(ok=False, retry=False, reason="recipient no longer holds the role")
        return None

    async def run_jobs(self) -> None:
        """Run every feature's timed work that is due now, once across all processes."""
        now = self.services.clock.now()
        holder = self.deliverer.worker_id
        lease = self.services.config.scheduling.claim_lease
        for name, periodic in self.services.registry.periodic.items():
            async with self.uow() as uow:
                acquired = await try_acquire(uow.session, name, holder, now, lease)
                await uow.commit()
            if not acquired:
                continue
            next_run: datetime | None = None
            try:
                # Timed work may touch thousands of rows: keep the loop free for commands.
                with off_event_loop():
                    async with self.uow() as uow:
                        next_run = await periodic.run(JobContext(self.services, uow.session, now))
                        await uow.commit()
            except Exception:
                log.exception("job.failed name=%s", name)
            async with self.uow() as uow:
                await release(uow.session, name, holder, now, next_run)
                await uow.commit()

    async def deliver(self) -> DeliveryReport:
        # Claiming and marking a batch touch hundreds of rows: off the loop, a few
        # statements per batch, while the sends themselves stay on the loop.
        with off_event_loop():
            return await self.deliverer.deliver_due(self.send)

    async def tick(self) -> DeliveryReport:
        """Do all due timed work, then send everything due."""
        await self.run_jobs()
        return await self.deliver()

    async def next_wake(self) -> datetime | None:
        """When something is next due (timed work or the outbox)."""
        async with self.uow() as uow:
            due = await next_due(uow.session)
            job_due = await next_job_due(uow.session)
        candidates = [d for d in (due, job_due) if d is not None]
        return min(candidates) if candidates else None

    async def close(self) -> None:
        for adapter in self.adapters.values():
            await adapter.stop()
        await self.engine.dispose()


MOVE_STEPS = 48  # a jump in time is walked in about this many steps, at most
STEP_SIZES = tuple(
    timedelta(minutes=m) for m in (15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
)


async def move_time(app: App, clock: MovableClock, target: datetime) -> int:
    """Walk the clock to ``target``, running the timed work and deliveries it passes, in
    order (a reminder at 17:00 comes before a meal at 18:00). Returns the steps taken.

    Steps are round (a quarter of an hour, an hour, a day…: the smallest that walks the
    jump in at most 48 of them), fall on the hour where they can, and land exactly on
    anything the outbox has due in between. Moving back only sets the clock.
    """
    start = clock.now()
    if target <= start:
        clock.set(target)
        await app.tick()
        return 1
    span = target - start
    step = next((size for size in STEP_SIZES if size * MOVE_STEPS >= span), STEP_SIZES[-1])
    epoch = datetime(2000, 1, 3, tzinfo=start.tzinfo)  # a Monday, midnight UTC
    steps = 0
    now = start
    while now < target:
        following = min(epoch + ((now - epoch) // step + 1) * step, target)
        async with app.uow() as uow:
            due = await next_due(uow.session)
        if due is not None and now < due < following:
            following = due
        clock.set(following)
        await app.tick()
        now = following
        steps += 1
    return steps


async def deliver_when_due(app: App) -> None:
    """Deliver as soon as a commit queued something due now (runs until cancelled)."""
    while not app.stopping:
        await app.due_now.wait()
        app.due_now.clear()
        if app.stopping:
            return
        try:
            await app.deliver()
        except Exception:
            log.exception("deliver.failed")


async def run_forever(app: App) -> None:
    """Run the adapters; APScheduler wakes the outbox and timed work."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    scheduler = AsyncIOScheduler(timezone="UTC")
    poll = app.services.config.scheduling.poll_interval.total_seconds()
    lock = asyncio.Lock()

    async def wake() -> None:
        if lock.locked():
            return
        async with lock:
            try:
                await app.tick()
                when = await app.next_wake()
            except Exception:
                log.exception("tick.failed")
                return
            if when is not None and when > app.services.clock.now():
                scheduler.add_job(wake, "date", run_date=when, id="wake", replace_existing=True)

    scheduler.add_job(wake, "interval", seconds=poll, id="poll", max_instances=1, coalesce=True)

    for adapter in app.adapters.values():
        if isinstance(adapter, MovesTime):
            # ``:time`` in the console: what falls due on the way is done, in order.
            def moved(target: datetime, clock: MovableClock = adapter.clock) -> Awaitable[None]:
                async def walk() -> None:
                    async with lock:
                        await move_time(app, clock, target)

                return walk()

            adapter.time_moved = moved

    scheduler.start()
    # Everything loaded so far (libraries, catalogs, the registry) lives as long as the
    # process: keep it out of the collector's full passes, which otherwise walk it all
    # and pause the loop for ~90 ms in the middle of a reminder fan-out.
    gc.collect()
    gc.freeze()
    try:
        await wake()
        tasks = [
            asyncio.create_task(adapter.start(app.on_event), name=f"adapter-{name}")
            for name, adapter in app.adapters.items()
        ]
        prompt = asyncio.create_task(deliver_when_due(app), name="deliver-due-now")
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        # Let a delivery in progress finish (and mark what it sent) before stopping.
        app.stopping = True
        app.due_now.set()
        await prompt
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        # Input ended (piped console): send what is due now, then stop.
        async with lock:
            await app.tick()
    finally:
        scheduler.shutdown(wait=False)
        await app.close()


def _crisis_or_room_note(message: Outgoing) -> bool:
    """Already sent ahead of a slow database: the crisis lines and the room's line."""
    return isinstance(message, TextMessage) and (
        message.crisis_lines or message.private_answer_note
    )
