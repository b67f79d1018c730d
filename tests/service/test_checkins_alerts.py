"""Consented alerts to volunteers, acknowledging them, and the crisis path."""

from datetime import datetime

from sqlalchemy import func, select

from bot.bootstrap import bootstrap
from bot.checkins.models import CheckinAlert, CheckinSchedule
from bot.config import parse_config
from bot.core.events import Role, Room, TextMessage
from bot.db.models import OutboxItem
from tests.helpers import Chat, text_of

NOTE = "my private words"


async def _volunteers(chat: Chat) -> None:
    for name in ("vera", "victor"):
        await chat.say(name, "!help", role=Role.VOLUNTEER)
    chat.clear()


def _texts(chat: Chat, user: str) -> list[str]:
    return chat.inbox_texts(user)


async def _alert_count(chat: Chat) -> int:
    async with chat.app.uow() as uow:
        result = await uow.session.execute(select(func.count()).select_from(CheckinAlert))
        return int(result.scalar_one())


async def test_low_moods_in_a_row_alert_volunteers_once(chat: Chat) -> None:
    await _volunteers(chat)
    await chat.say("alice", "!checkin share on")
    assert "volunteer" not in await chat.text("alice", f"!checkin 2 {NOTE}")
    answer = await chat.text("alice", f"!checkin 1 {NOTE}")
    # Nothing is promised before the alert has really reached a volunteer.
    assert "volunteer" not in answer
    await chat.tick()
    assert any("a volunteer has been told" in t for t in _texts(chat, "alice"))
    for volunteer in ("vera", "victor"):
        texts = _texts(chat, volunteer)
        assert len(texts) == 1
        assert "Alert #1: Alice — low check-ins several times in a row, since Monday" in texts[0]
        assert "!checkin ack 1" in texts[0]
        assert NOTE not in texts[0]
    # The run goes on: still the same episode, no second alert.
    assert "volunteer" not in await chat.text("alice", "!checkin 1")
    await chat.tick()
    assert len(_texts(chat, "vera")) == 1
    # A better day ends the episode; two low ones later start a new one.
    await chat.say("alice", "!checkin 4")
    await chat.say("alice", "!checkin 2")
    await chat.say("alice", "!checkin 2")
    assert await _alert_count(chat) == 2


async def test_without_sharing_nobody_is_told(chat: Chat) -> None:
    await _volunteers(chat)
    await chat.say("alice", "!consent checkins on")
    for _ in range(3):
        await chat.say("alice", "!checkin 1")
    await chat.tick()
    assert _texts(chat, "vera") == []
    assert await _alert_count(chat) == 0


async def test_volunteer_lists_and_acknowledges(chat: Chat) -> None:
    await _volunteers(chat)
    await chat.say("alice", "!checkin share on")
    await chat.say("alice", f"!checkin 1 {NOTE}")
    await chat.say("alice", "!checkin 1")
    await chat.tick()
    assert "that is for volunteers" in await chat.text("alice", "!checkin alerts")
    answer = await chat.text("vera", "!checkin alerts")
    assert "Open alerts (1):" in answer
    assert "#1 Alice — low check-ins several times in a row, since Monday" in answer
    assert NOTE not in answer
    assert "There is no alert number 7" in await chat.text("vera", "!checkin ack 7")
    assert "Give the number of the alert" in await chat.text("vera", "!checkin ack soon")
    assert "alert #1 (Alice) is yours" in await chat.text("vera", "!checkin ack 1")
    assert "already been taken by Vera" in await chat.text("victor", "!checkin ack #1")
    await chat.tick()
    assert any("Vera is taking care of alert #1 (Alice)" in t for t in _texts(chat, "victor"))
    assert not any("taking care" in t for t in _texts(chat, "vera"))
    assert "No open alerts" in await chat.text("victor", "!checkin alerts")
    # In a shared room the list goes to the volunteer privately.
    answers = await chat.say("vera", "!checkin alerts", room="lounge")
    assert all(
        "Alice" not in text_of(m)
        for m in answers
        if getattr(m, "to", None) == Room("test", "lounge")
    )


async def test_alerts_go_to_the_volunteers_room_when_one_is_bound(chat: Chat) -> None:
    config = parse_config(
        {"community": {"language": "en"}, "rooms": {"volunteers": ["test:volunteers"]}}
    )
    app = await bootstrap(
        config,
        clock=chat.clock,
        engine=chat.app.engine,
        adapters=[chat.adapter],
        migrate=False,
        translator=chat.app.services.translator,
    )
    room_chat = Chat(app, chat.adapter, chat.clock)
    await _volunteers(room_chat)
    await room_chat.say("alice", "!checkin share on")
    await room_chat.say("alice", "!checkin 2")
    await room_chat.say("alice", "!checkin 2")
    await room_chat.tick()
    in_room = [m for m in chat.adapter.sent if getattr(m, "to", None) == Room("test", "volunteers")]
    assert len(in_room) == 1
    assert "Alert #1: Alice" in text_of(in_room[0])
    assert _texts(room_chat, "vera") == []
    await room_chat.say("vera", "!checkin ack 1")
    await room_chat.tick()
    in_room = [m for m in chat.adapter.sent if getattr(m, "to", None) == Room("test", "volunteers")]
    assert "Vera is taking care of alert #1" in text_of(in_room[-1])


async def test_crisis_words_get_crisis_lines_and_a_consented_alert(chat: Chat) -> None:
    await _volunteers(chat)
    await chat.say("alice", "!checkin share on")
    answers = await chat.say("alice", "!checkin 1 I want to end my life")
    assert "Livslinien: 70 201 201" in text_of(answers[0])
    texts = "\n".join(text_of(m) for m in answers)
    assert "volunteer" not in texts
    await chat.tick()
    assert any("A volunteer has now been told" in t for t in _texts(chat, "alice"))
    # A plain message the same day: crisis lines again, but still one alert for the day.
    answers = await chat.say("alice", "some days I wish I was dead")
    assert "70 201 201" in text_of(answers[0])
    await chat.tick()
    crisis = [t for t in _texts(chat, "vera") if "crisis" in t]
    assert len(crisis) == 1
    assert "end my life" not in crisis[0]
    async with chat.app.uow() as uow:
        reasons = (await uow.session.execute(select(CheckinAlert.reason))).scalars().all()
    assert "crisis" in reasons


async def test_crisis_without_sharing_only_gets_the_lines(chat: Chat) -> None:
    await _volunteers(chat)
    await chat.say("bo", "!sprog dansk")
    answers = await chat.say("bo", "jeg vil ikke leve mere")
    assert len(answers) == 1
    assert "Livslinien" in text_of(answers[0])
    await chat.tick()
    assert _texts(chat, "vera") == []
    assert await _alert_count(chat) == 0


async def _fire_next(chat: Chat) -> datetime:
    async with chat.app.uow() as uow:
        due = (await uow.session.execute(select(CheckinSchedule.next_due_at))).scalar_one()
    chat.clock.set(due)
    await chat.tick()
    return due


async def test_missed_scheduled_days_alert_with_consent(chat: Chat) -> None:
    await _volunteers(chat)
    await chat.say("alice", "!checkin share on")
    await chat.say("alice", "!checkin 4")
    await chat.say("alice", "!checkin schedule daily 09:00")
    for _ in range(3):  # Tuesday, Wednesday, Thursday: two missed days before Thursday's
        await _fire_next(chat)
    assert _texts(chat, "vera") == []
    await _fire_next(chat)  # Friday: three scheduled days missed
    texts = _texts(chat, "vera")
    assert len(texts) == 1
    assert "no check-in for several scheduled days" in texts[0]
    for _ in range(2):
        await _fire_next(chat)
    assert len(_texts(chat, "vera")) == 1, "one alert per quiet spell"


async def test_missed_scheduled_days_alert_nobody_without_consent(chat: Chat) -> None:
    await _volunteers(chat)
    await chat.say("alice", "!checkin 4")
    await chat.say("alice", "!checkin schedule daily 09:00")
    for _ in range(5):
        await _fire_next(chat)
    assert _texts(chat, "vera") == []
    assert await _alert_count(chat) == 0


async def test_forget_removes_alerts_and_unsent_messages_about_the_person(chat: Chat) -> None:
    await _volunteers(chat)
    await chat.say("alice", "!checkin share on")
    await chat.say("alice", "!checkin 1")
    await chat.say("alice", "!checkin 1")
    await chat.say("alice", "!forget")
    await chat.say("alice", "yes")
    assert await _alert_count(chat) == 0
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(OutboxItem.payload))).scalars().all()
    assert not any("Alice" in str(payload) for payload in rows)
    await chat.tick()
    assert not any(isinstance(m, TextMessage) and "Alice" in m.text for m in chat.adapter.sent)
