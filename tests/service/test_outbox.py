"""The outbox and timed work: exactly once, across crashes, retries and several processes."""

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.adapters.recording import RecordingAdapter
from bot.app import App
from bot.bootstrap import bootstrap
from bot.core.context import JobContext
from bot.core.delivery import Claimed, OutboxDeliverer, lane_groups
from bot.core.events import (
    Direct,
    OpenPrivateSpace,
    Outgoing,
    Role,
    Room,
    SendResult,
    TextMessage,
)
from bot.core.outbox import enqueue
from bot.db.models import OutboxItem
from tests.helpers import Chat


def _note(user: str, text: str = "hi") -> TextMessage:
    return TextMessage(Direct("test", user), text)


async def _enqueue(
    app: App, *messages: TextMessage, delay: timedelta = timedelta(0), key: str = ""
) -> None:
    now = app.services.clock.now()
    async with app.uow() as uow:
        for index, message in enumerate(messages):
            await enqueue(
                uow.session,
                message,
                due_at=now + delay,
                now=now,
                kind="test",
                dedupe_key=f"{key}{index}" if key else None,
            )
        await uow.commit()


async def _statuses(app: App) -> dict[str, int]:
    async with app.uow() as uow:
        rows = await uow.session.execute(
            select(OutboxItem.status, func.count()).group_by(OutboxItem.status)
        )
        return {status: count for status, count in rows.all()}


async def test_dedupe_key_enqueues_once(chat: Chat) -> None:
    await _enqueue(chat.app, _note("a"), key="r:")
    await _enqueue(chat.app, _note("a"), key="r:")
    await chat.tick()
    await chat.tick()
    assert len(chat.adapter.sent) == 1


async def test_sent_when_due_not_before(chat: Chat) -> None:
    chat.app.services.registry.periodic.clear()  # only the outbox decides the wake-up here
    await _enqueue(chat.app, _note("a"), delay=timedelta(minutes=10))
    await chat.tick()
    assert chat.adapter.sent == []
    assert await chat.app.next_wake() == chat.clock.now() + timedelta(minutes=10)
    chat.clock.advance(timedelta(minutes=10))
    await chat.tick()
    assert [m.to for m in chat.adapter.sent] == [Direct("test", "a")]  # type: ignore[union-attr]


async def test_a_crashed_claim_is_retried_after_the_lease(chat: Chat) -> None:
    app = chat.app
    await _enqueue(app, *[_note(f"u{i}") for i in range(5)])
    crashed = OutboxDeliverer(
        app.uow,
        chat.clock,
        grace=timedelta(hours=2),
        lease=timedelta(minutes=2),
        batch_size=100,
        platforms=lambda: {"test"},
        worker_id="crashed",
    )
    assert len(await crashed.claim()) == 5  # and then the process dies
    await chat.tick()
    assert chat.adapter.sent == []  # still leased to the dead process
    chat.clock.advance(timedelta(minutes=3))
    await chat.tick()
    await chat.tick()
    assert sorted(m.to.user_id for m in chat.adapter.sent) == [f"u{i}" for i in range(5)]  # type: ignore[union-attr]
    assert await _statuses(app) == {"sent": 5}


async def test_items_older_than_grace_are_marked_missed_not_burst(chat: Chat) -> None:
    await _enqueue(chat.app, _note("a"), _note("b"))
    chat.clock.advance(timedelta(hours=3))  # the bot was down
    report = await chat.app.deliver()
    assert report.missed == 2
    assert chat.adapter.sent == []
    assert await _statuses(chat.app) == {"missed": 2}


async def test_failed_sends_are_retried_with_backoff(chat: Chat) -> None:
    chat.adapter.unreachable.add("a")
    await _enqueue(chat.app, _note("a"))
    report = await chat.app.deliver()
    assert report.retried == 1
    chat.adapter.unreachable.clear()
    await chat.tick()
    assert chat.adapter.sent == []  # backing off
    chat.clock.advance(timedelta(minutes=2))
    await chat.tick()
    assert len(chat.adapter.sent) == 1


async def test_an_answer_that_cannot_be_delivered_now_is_kept(chat: Chat) -> None:
    chat.adapter.unreachable.add("dm:alice")
    await chat.say("alice", "!help")
    assert chat.adapter.sent == []
    assert (await _statuses(chat.app)).get("pending") == 1
    chat.adapter.unreachable.clear()
    chat.clock.advance(timedelta(minutes=1))
    await chat.tick()
    assert "Here is what I can do" in chat.adapter.sent[0].text  # type: ignore[union-attr]


async def test_timed_work_runs_once_across_processes(chat: Chat) -> None:
    runs: list[datetime] = []

    async def hourly(job: JobContext) -> datetime:
        runs.append(job.now)
        return job.now + timedelta(hours=1)

    first = chat.app
    second = await bootstrap(
        first.services.config,
        clock=chat.clock,
        engine=first.engine,
        adapters=[RecordingAdapter("test")],
        migrate=False,
        translator=first.services.translator,
    )
    for app in (first, second):
        app.services.registry.periodic.clear()
        app.services.registry.every("hourly")(hourly)
    await first.tick()
    await second.tick()
    assert len(runs) == 1
    chat.clock.advance(timedelta(minutes=59))
    await second.tick()
    assert len(runs) == 1
    chat.clock.advance(timedelta(minutes=1))
    await second.tick()
    await first.tick()
    assert len(runs) == 2
    assert await first.next_wake() == chat.clock.now() + timedelta(hours=1)


async def test_delivery_keys_are_never_reused_after_deletes(chat: Chat) -> None:
    from sqlalchemy import delete

    await _enqueue(chat.app, _note("a", "first"))
    await chat.tick()
    async with chat.app.uow() as uow:
        await uow.session.execute(delete(OutboxItem))  # erasure or retention
        await uow.commit()
    await _enqueue(chat.app, _note("a", "second"))
    await chat.tick()
    assert [m.text for m in chat.adapter.sent] == ["first", "second"]  # type: ignore[union-attr]


async def test_a_commit_that_queues_work_due_now_wakes_the_deliverer(chat: Chat) -> None:
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    await chat.say("alice", "!checkin share on")
    chat.app.due_now.clear()
    await chat.say("alice", "!checkin 4")
    assert not chat.app.due_now.is_set()  # nothing for anyone else
    await chat.say("alice", "I want to end my life")
    assert chat.app.due_now.is_set()  # the volunteer's alert goes out now, not at the poll


class SlowPlatform(RecordingAdapter):
    """A platform whose sends take a while, each a different while, as over a network.

    It records how many sends were open at once and, per send, the delivery key it
    saw, so a test can tell whether concurrency mixed anything up.
    """

    def __init__(self, fail: set[str] | None = None) -> None:
        super().__init__("test")
        self.in_flight = 0
        self.most_in_flight = 0
        self.keys: dict[str, str] = {}  # message text -> the delivery key seen while sending it
        self.fail = fail or set()
        self._calls = 0

    async def send(self, message: Outgoing, delivery_key: str | None = None) -> SendResult:
        assert isinstance(message, TextMessage)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self._calls += 1
        try:
            # Later sends to one person may be quicker than earlier ones: only the
            # deliverer can keep them in order.
            for _ in range((self._calls * 7) % 5):
                await asyncio.sleep(0)
            self.keys[message.text] = delivery_key or ""
            if message.text in self.fail:
                return SendResult(ok=False, retry=True, reason="unreachable")
            return self._send(message)
        finally:
            self.in_flight -= 1


def _slow(chat: Chat, max_in_flight: int, fail: set[str] | None = None) -> SlowPlatform:
    platform = SlowPlatform(fail)
    chat.app.adapters["test"] = platform
    chat.app.deliverer.max_in_flight = max_in_flight
    return platform


def _texts_to(platform: RecordingAdapter, user: str) -> list[str]:
    return [
        m.text
        for m in platform.sent
        if isinstance(m, TextMessage) and isinstance(m.to, Direct) and m.to.user_id == user
    ]


async def test_many_go_out_at_once_but_each_person_gets_theirs_in_order(chat: Chat) -> None:
    platform = _slow(chat, max_in_flight=4)
    people = [f"p{n}" for n in range(6)]
    # Interleaved as a fan-out would queue them: first message to everyone, then the second…
    await _enqueue(chat.app, *[_note(p, f"{p} #{i}") for i in range(8) for p in people])
    report = await chat.app.deliver()
    assert report.sent == 48
    assert platform.most_in_flight == 4
    for person in people:
        assert _texts_to(platform, person) == [f"{person} #{i}" for i in range(8)]


async def test_a_room_gets_its_messages_in_order_under_concurrency(chat: Chat) -> None:
    platform = _slow(chat, max_in_flight=10)
    messages = [TextMessage(Room("test", "!meals"), f"room #{i}") for i in range(12)]
    messages += [_note(f"q{i}", f"direct {i}") for i in range(12)]
    await _enqueue(chat.app, *messages)
    await chat.app.deliver()
    in_room = [
        m.text for m in platform.sent if isinstance(m, TextMessage) and isinstance(m.to, Room)
    ]
    assert in_room == [f"room #{i}" for i in range(12)]


async def test_never_more_in_flight_than_configured(chat: Chat) -> None:
    platform = _slow(chat, max_in_flight=3)
    await _enqueue(chat.app, *[_note(f"u{i}", f"hello {i}") for i in range(40)])
    report = await chat.app.deliver()
    assert report.sent == 40
    assert platform.most_in_flight == 3


async def test_one_in_flight_sends_strictly_in_due_order(chat: Chat) -> None:
    platform = _slow(chat, max_in_flight=1)
    await _enqueue(chat.app, *[_note(f"u{i}", f"hello {i}") for i in range(10)])
    await chat.app.deliver()
    assert platform.most_in_flight == 1
    assert [m.text for m in platform.sent] == [f"hello {i}" for i in range(10)]  # type: ignore[union-attr]


async def test_concurrent_sends_each_carry_their_own_delivery_key(chat: Chat) -> None:
    platform = _slow(chat, max_in_flight=8)
    await _enqueue(chat.app, *[_note(f"u{i}", f"key {i}") for i in range(30)])
    await chat.app.deliver()
    async with chat.app.uow() as uow:
        rows = await uow.session.execute(select(OutboxItem.id, OutboxItem.payload))
        expected = {payload["text"]: f"samvaer-{row_id}" for row_id, payload in rows.all()}
    assert platform.keys == expected


async def test_a_failure_in_one_lane_is_retried_without_holding_up_the_others(
    chat: Chat,
) -> None:
    platform = _slow(chat, max_in_flight=5, fail={"a #1"})
    await _enqueue(chat.app, *[_note(p, f"{p} #{i}") for i in range(3) for p in ("a", "b", "c")])
    report = await chat.app.deliver()
    assert (report.sent, report.retried) == (8, 1)
    assert _texts_to(platform, "a") == ["a #0", "a #2"]
    assert _texts_to(platform, "b") == ["b #0", "b #1", "b #2"]
    platform.fail.clear()
    chat.clock.advance(timedelta(minutes=2))
    await chat.tick()
    assert _texts_to(platform, "a") == ["a #0", "a #2", "a #1"]
    assert await _statuses(chat.app) == {"sent": 9}


async def test_concurrent_deliveries_are_still_sent_once_across_processes(chat: Chat) -> None:
    first = chat.app
    _slow(chat, max_in_flight=6)
    second_platform = SlowPlatform()
    second = await bootstrap(
        first.services.config,
        clock=chat.clock,
        engine=first.engine,
        adapters=[second_platform],
        migrate=False,
        translator=first.services.translator,
    )
    second.deliverer.max_in_flight = 6
    await _enqueue(first, *[_note(f"u{i}", f"once {i}") for i in range(60)], key="once:")
    await asyncio.gather(first.deliver(), second.deliver())
    sent = [m.text for m in [*first.adapters["test"].sent, *second_platform.sent]]  # type: ignore[attr-defined]
    assert sorted(sent) == sorted(f"once {i}" for i in range(60))
    assert await _statuses(first) == {"sent": 60}


def test_a_private_space_waits_for_what_was_due_to_each_member() -> None:
    def claimed(n: int, message: Outgoing) -> Claimed:
        return Claimed(n, "test", message, 1)

    batch = [
        claimed(1, _note("ann", "proposal")),
        claimed(2, _note("bo", "proposal")),
        claimed(3, _note("cy", "hello")),
        claimed(4, OpenPrivateSpace("test", ("ann", "bo"), "Ann & Bo", "intro")),
        claimed(5, TextMessage(Room("test", "!r"), "room")),
        claimed(6, _note("bo", "after")),
    ]
    groups = [[c.id for c in group] for group in lane_groups(batch)]
    assert sorted(groups) == [[1, 2, 4, 6], [3], [5]]
