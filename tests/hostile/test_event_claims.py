"""A second process (a standby) or a re-delivered event never handles an event twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.adapters.recording import RecordingAdapter
from bot.app import App
from bot.bootstrap import bootstrap
from bot.checkins.models import CheckinEntry
from bot.core.events import MessageIn, Room, Sender
from bot.db.models import EventClaim
from tests.helpers import PLATFORM, Chat


async def _second_process(chat: Chat) -> tuple[App, RecordingAdapter]:
    adapter = RecordingAdapter(PLATFORM)
    other = await bootstrap(
        chat.app.services.config,
        clock=chat.clock,
        engine=chat.app.engine,
        adapters=[adapter],
        migrate=False,
        translator=chat.app.services.translator,
    )
    return other, adapter


def _checkin(event_id: str) -> MessageIn:
    return MessageIn(
        Sender(PLATFORM, "alice", "Alice"),
        Room(PLATFORM, "dm:alice"),
        "!checkin 4",
        True,
        event_id=event_id,
    )


async def _checkins(chat: Chat) -> int:
    async with chat.app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(CheckinEntry)) or 0)


async def test_two_processes_handle_one_event_once(chat: Chat) -> None:
    await chat.say("alice", "!consent checkins on")
    chat.clear()
    other, other_adapter = await _second_process(chat)
    event = _checkin("$event-1")
    await asyncio.gather(chat.app.handle(event), other.handle(event))
    assert len(chat.adapter.sent) + len(other_adapter.sent) == 1
    assert await _checkins(chat) == 1
    # The same event delivered again later (a reconnect) is not handled again either.
    await chat.app.handle(event)
    await other.handle(event)
    assert len(chat.adapter.sent) + len(other_adapter.sent) == 1
    assert await _checkins(chat) == 1
    # A new event is handled.
    await other.handle(_checkin("$event-2"))
    assert await _checkins(chat) == 2


async def test_the_same_id_on_another_platform_is_another_event(chat: Chat) -> None:
    chat.app.add_adapter(RecordingAdapter("console"))
    await chat.app.handle(_checkin("$same"))
    console = MessageIn(
        Sender("console", "alice", "Alice"), Room("console", "dm:alice"), "!help", True, "$same"
    )
    assert await chat.app.handle(console)


async def test_events_without_an_id_are_handled_as_they_come(chat: Chat) -> None:
    await chat.say("alice", "!consent checkins on")
    await chat.app.handle(_checkin(""))
    await chat.app.handle(_checkin(""))
    assert await _checkins(chat) == 2


async def test_claims_are_pruned_by_retention(chat: Chat) -> None:
    await chat.app.handle(_checkin("$old"))
    chat.clock.advance(timedelta(days=3))
    await chat.tick()
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(EventClaim))).first() is None
