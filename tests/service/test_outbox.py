"""The outbox and timed work: exactly once, across crashes, retries and several processes."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.adapters.recording import RecordingAdapter
from bot.app import App
from bot.bootstrap import bootstrap
from bot.core.context import JobContext
from bot.core.events import Direct, Role, TextMessage
from bot.core.outbox import OutboxDeliverer, enqueue
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
