"""Reminders at each person's chosen times, quiet hours for every scheduled direct
message, and the crisis answer that is never held (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection

from bot.core.events import ChoicePrompt, FileMessage, Role
from bot.db.engine import alembic_config, make_engine
from bot.db.models import OutboxItem, Person
from bot.meals.models import Meal, MealReminderChoice
from tests.helpers import Chat, text_of


async def _schedule(chat: Chat, line: str) -> str:
    answers = await chat.say("vera", f"!meal schedule {line}", role=Role.VOLUNTEER)
    assert any(isinstance(m, ChoicePrompt) and "is planned" in m.text for m in answers)
    async with chat.app.uow() as uow:
        meal = (
            await uow.session.execute(select(Meal).order_by(Meal.id.desc()).limit(1))
        ).scalar_one()
        return meal.code


def _reminders(chat: Chat, user: str) -> list[str]:
    return [t for t in chat.inbox_texts(user) if "Reminder" in t or "Påmind" in t]


async def test_each_person_is_reminded_at_the_times_they_chose(chat: Chat) -> None:
    # Thursday 26 November 18:00 Copenhagen = 17:00 UTC.
    code = await _schedule(chat, '"Soup" 26/11 18:00')
    answer = await chat.text("anna", "!meal reminders 1d 30m")
    assert "1 day and 30 minutes before" in answer
    answer = await chat.text("bo", "!meal reminders off")
    assert "no reminders" in answer
    for user in ("anna", "bo", "cai"):
        await chat.say(user, f"!meal join {code}")
    chat.clear()
    # Wednesday 17:00 UTC: the day-before reminder for Anna and Cai (the usual 24h).
    chat.clock.set(datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    await chat.tick()
    await chat.tick()
    assert len(_reminders(chat, "anna")) == 1
    assert len(_reminders(chat, "cai")) == 1
    assert _reminders(chat, "bo") == []
    # 16:30 UTC Thursday: Anna's 30 minutes; Cai's 15 minutes is not yet due.
    chat.clock.set(datetime(2026, 11, 26, 16, 30, tzinfo=UTC))
    await chat.tick()
    assert len(_reminders(chat, "anna")) == 2
    assert len(_reminders(chat, "cai")) == 1
    chat.clock.set(datetime(2026, 11, 26, 16, 45, tzinfo=UTC))
    await chat.tick()
    await chat.tick()
    assert len(_reminders(chat, "anna")) == 2
    assert len(_reminders(chat, "cai")) == 2
    assert _reminders(chat, "bo") == []


async def test_wrong_reminder_words_say_what_to_type_in_danish(chat: Chat) -> None:
    await chat.say("dora", "!sprog da")
    answer = await chat.text("dora", "!måltid påmindelser i morgen")
    assert "måltid påmindelser 1 dag 30 min" in answer
    answer = await chat.text("dora", "!måltid påmindelser dagen før og 2 timer")
    assert "1 dag og 2 timer før" in answer
    async with chat.app.uow() as uow:
        choice = (await uow.session.execute(select(MealReminderChoice))).scalar_one()
        assert choice.minutes == "1440,120"
    answer = await chat.text("dora", "!måltid påmindelser standard")
    assert "som normalt" in answer
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(MealReminderChoice))).first() is None


async def test_a_day_before_reminder_in_quiet_hours_waits_for_the_morning(chat: Chat) -> None:
    # A late meal: Thursday 23:00 Copenhagen (22:00 UTC); its day-before reminder falls
    # at 23:00 on Wednesday, in the community's quiet hours (22:00-08:00).
    code = await _schedule(chat, '"Night owls" 26/11 23:00')
    await chat.say("anna", f"!meal join {code}")
    chat.clear()
    chat.clock.set(datetime(2026, 11, 25, 22, 0, tzinfo=UTC))
    await chat.tick()
    await chat.tick()
    assert _reminders(chat, "anna") == []
    chat.clock.set(datetime(2026, 11, 26, 6, 59, tzinfo=UTC))  # 07:59 Copenhagen
    await chat.tick()
    assert _reminders(chat, "anna") == []
    chat.clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))  # 08:00: quiet hours end
    await chat.tick()
    held = _reminders(chat, "anna")
    assert len(held) == 1
    assert "thursday 26 november at 23:00" in held[0].casefold()


async def test_an_early_meal_reminder_that_could_only_come_late_is_dropped(chat: Chat) -> None:
    # Breakfast Thursday 07:30 Copenhagen (06:30 UTC): the 15-minute reminder falls at
    # 07:15, in quiet hours, and would only arrive at 08:00, after the start.
    code = await _schedule(chat, '"Breakfast" 26/11 07:30')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("bo", "!quiet off")
    await chat.say("bo", f"!meal join {code}")
    chat.clear()
    chat.clock.set(datetime(2026, 11, 26, 6, 15, tzinfo=UTC))
    await chat.tick()
    await chat.tick()
    assert _reminders(chat, "anna") == []
    assert len(_reminders(chat, "bo")) == 1  # Bo wants no quiet hours
    chat.clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    await chat.tick()
    assert _reminders(chat, "anna") == []


async def test_own_quiet_hours_hold_messages_and_the_crisis_answer_is_never_held(
    chat: Chat,
) -> None:
    answer = await chat.text("anna", "!quiet")
    assert "22:00–08:00 (the community's)" in answer
    answer = await chat.text("anna", "!quiet 13:00-15:00")
    assert "13:00–15:00" in answer
    answer = await chat.text("anna", "!quiet lunchtime")
    assert "quiet 23:00-07:00" in answer
    # 13:30 Copenhagen: Anna's own quiet hours. A crisis answer comes at once.
    chat.clock.set(datetime(2026, 11, 23, 12, 30, tzinfo=UTC))
    chat.clear()
    answers = await chat.say("anna", "I want to end my life")
    assert "70 201 201" in text_of(answers[0])
    # A meal planned now for 17:00 today: the reminder waits until 15:00.
    code = await _schedule(chat, '"Tea" today 17:00')
    await chat.say("anna", f"!meal join {code}")
    chat.clock.set(datetime(2026, 11, 23, 13, 45, tzinfo=UTC))  # 14:45 Copenhagen
    await chat.tick()
    await chat.tick()
    assert _reminders(chat, "anna") == []
    chat.clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    await chat.tick()
    assert len(_reminders(chat, "anna")) == 1


async def test_quiet_hours_hold_the_outbox_for_other_features_too(chat: Chat) -> None:
    # Any direct message queued for later (here a made-up nudge) waits for the morning.
    from bot.core.events import Direct, TextMessage
    from bot.core.outbox import enqueue
    from tests.helpers import PLATFORM

    await chat.say("anna", "!help")
    chat.clock.set(datetime(2026, 11, 23, 22, 30, tzinfo=UTC))  # 23:30 Copenhagen
    async with chat.app.uow() as uow:
        person_id = (await uow.session.execute(select(Person.id))).scalar_one()
        for kind in ("buddy", "deferred_reply"):
            await enqueue(
                uow.session,
                TextMessage(Direct(PLATFORM, "anna"), f"{kind} says hello"),
                due_at=chat.clock.now(),
                now=chat.clock.now(),
                kind=kind,
                person_id=person_id,
            )
        await uow.commit()
    chat.clear()
    await chat.tick()
    assert chat.inbox_texts("anna") == ["deferred_reply says hello"]
    async with chat.app.uow() as uow:
        held = (
            await uow.session.execute(select(OutboxItem).where(OutboxItem.kind == "buddy"))
        ).scalar_one()
        assert held.status == "pending"
        assert held.due_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    chat.clock.set(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    await chat.tick()
    assert chat.inbox_texts("anna")[-1] == "buddy says hello"


async def test_mydata_shows_and_forget_removes_the_choices(chat: Chat) -> None:
    await chat.say("anna", "!quiet 23:00-07:00")
    await chat.say("anna", "!meal reminders 2h")
    answers = await chat.say("anna", "!mydata")
    files = [m for m in answers if isinstance(m, FileMessage)]
    data = json.loads(files[0].content.decode("utf-8"))
    assert data["person"]["quiet_hours"] == "23:00-07:00"
    assert data["meals"]["reminders"]["minutes_before"] == [120]
    await chat.say("anna", "!forget")
    await chat.say("anna", "yes")
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(MealReminderChoice))).first() is None


async def test_migration_0011_upgrades_and_downgrades(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}")

    def run(connection: Connection, step: str, revision: str) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)

    def columns(connection: Connection) -> set[str]:
        found = inspect(connection)
        names = {f"people.{c['name']}" for c in found.get_columns("people")}
        names |= {f"meal_rsvps.{c['name']}" for c in found.get_columns("meal_rsvps")}
        return names | set(found.get_table_names())

    ours = {
        "people.quiet_hours",
        "meal_rsvps.companions",
        "meal_rsvps.reminded_minutes",
        "meal_reminder_choices",
    }
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run, "upgrade", "heads")
            assert ours <= await connection.run_sync(columns)
            await connection.run_sync(run, "downgrade", "0011@-1")
            assert not ours & await connection.run_sync(columns)
            await connection.run_sync(run, "upgrade", "heads")
            assert ours <= await connection.run_sync(columns)
    finally:
        await engine.dispose()


async def test_meal_list_says_when_you_are_reminded(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" 26/11 18:00')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("anna", "!meal reminders 2h")
    answer = await chat.text("anna", "!meal list")
    assert "You are reminded 2 hours before a meal you joined." in answer
    assert "meal reminders" in answer


async def test_a_checkin_reminder_at_a_time_chosen_in_quiet_hours_comes_then(chat: Chat) -> None:
    # Alice chose 23:00 herself: her own choice counts over the community's quiet hours.
    await chat.say("alice", "!checkin schedule daily 23:00")
    chat.clear()
    chat.clock.set(datetime(2026, 11, 23, 22, 0, tzinfo=UTC))  # 23:00 in Copenhagen
    await chat.tick()
    assert any("How are you today?" in t for t in chat.inbox_texts("alice"))


async def test_an_alert_reaches_the_volunteer_in_the_night(chat: Chat) -> None:
    await chat.say("vera", "!help", role=Role.VOLUNTEER)
    await chat.say("alice", "!checkin share on")
    chat.clock.set(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))  # 00:30 in Copenhagen
    chat.clear()
    await chat.say("alice", "I want to end my life")
    await chat.tick()
    assert [t for t in chat.inbox_texts("vera") if "Alert #1" in t]
    assert any("A volunteer has now been told" in t for t in chat.inbox_texts("alice"))
