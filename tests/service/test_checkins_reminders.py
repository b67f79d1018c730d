"""Reminders through the outbox: on time, once, across restarts and daylight-saving changes."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.bootstrap import bootstrap
from bot.checkins.models import CheckinSchedule
from bot.core.events import ChoicePrompt, TextMessage, invoke
from bot.db.models import Person
from tests.helpers import Chat, text_of


async def _prompts(chat: Chat, user: str) -> list[ChoicePrompt]:
    return [m for m in chat.inbox(user) if isinstance(m, ChoicePrompt)]


async def _next_due(chat: Chat) -> datetime:
    async with chat.app.uow() as uow:
        due = await uow.session.execute(select(CheckinSchedule.next_due_at))
        return due.scalar_one()


async def _fire_next(chat: Chat) -> datetime:
    """Move the clock to the stored next reminder time and run what is due."""
    due = await _next_due(chat)
    chat.clock.set(due)
    await chat.tick()
    return due


async def test_daily_reminder_arrives_once_at_the_local_time(chat: Chat) -> None:
    # Monday 23 November 10:00 in Copenhagen.
    answer = await chat.text("alice", "!checkin schedule daily 09:00")
    assert "every day at 09:00" in answer
    assert "Tuesday 24 November at 09:00" in answer
    chat.clear()
    chat.clock.set(datetime(2026, 11, 24, 7, 59, tzinfo=UTC))
    await chat.tick()
    assert await _prompts(chat, "alice") == []
    chat.clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    await chat.tick()
    prompts = await _prompts(chat, "alice")
    assert len(prompts) == 1
    assert "How are you today?" in prompts[0].text
    assert prompts[0].options[3].value == invoke("checkin", 4)
    chat.clock.advance(timedelta(minutes=5))
    await chat.tick()
    assert len(await _prompts(chat, "alice")) == 1
    # Tapping an answer checks in like typing it.
    await chat.say("alice", "!consent checkins on")
    answers = await chat.press("alice", prompts[0].options[3].value)
    assert "4 · good" in text_of(answers[0])


async def test_weekly_reminders_only_on_chosen_days(chat: Chat) -> None:
    await chat.say("alice", "!checkin schedule weekly mon,thu 19:00")
    chat.clear()
    local = ZoneInfo("Europe/Copenhagen")
    fired = [(await _fire_next(chat)).astimezone(local) for _ in range(4)]
    assert [f.strftime("%a %d %H:%M") for f in fired] == [
        "Mon 23 19:00",
        "Thu 26 19:00",
        "Mon 30 19:00",
        "Thu 03 19:00",
    ]
    assert len(await _prompts(chat, "alice")) == 4


async def test_no_double_reminder_across_a_restart(chat: Chat) -> None:
    await chat.say("alice", "!checkin schedule daily 09:00")
    chat.clear()
    chat.clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    await chat.tick()
    assert len(await _prompts(chat, "alice")) == 1
    # Someone runs the job again for the same slot after a restart (as after a crash
    # between enqueueing and moving the schedule on).
    async with chat.app.uow() as uow:
        await uow.session.execute(
            update(CheckinSchedule).values(next_due_at=datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
        )
        await uow.commit()
    restarted = await bootstrap(
        chat.app.services.config,
        clock=chat.clock,
        engine=chat.app.engine,
        adapters=[chat.adapter],
        migrate=False,
        translator=chat.app.services.translator,
    )
    second = Chat(restarted, chat.adapter, chat.clock)
    chat.clock.advance(timedelta(minutes=1))
    await second.tick()
    assert len(await _prompts(chat, "alice")) == 1
    chat.clock.set(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    await second.tick()
    assert len(await _prompts(chat, "alice")) == 2


async def test_schedule_off_stops_reminders(chat: Chat) -> None:
    assert "nothing to stop" in await chat.text("alice", "!checkin schedule off")
    await chat.say("alice", "!checkin schedule daily 09:00")
    assert "no more reminders" in await chat.text("alice", "!checkin schedule off")
    chat.clear()
    chat.clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))
    await chat.tick()
    assert await _prompts(chat, "alice") == []


async def test_bad_schedule_says_what_to_type(chat: Chat) -> None:
    answer = await chat.text("alice", "!checkin schedule daily 25:00")
    assert "“25:00” isn't a time I understand. Write it like 08:30" in answer
    assert "Type: !checkin schedule daily HH:MM | weekly mon,thu HH:MM | off" in answer
    answer = await chat.text("alice", "!checkin schedule weekly blursday 10:00")
    assert "I don't know the day(s) “blursday”" in answer
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(CheckinSchedule))).first() is None


@pytest.mark.parametrize("zone", ["Europe/Copenhagen", "Europe/Oslo"])
@pytest.mark.parametrize("change", [date(2026, 3, 29), date(2026, 10, 25)])
async def test_daily_0230_fires_once_per_local_day_across_dst(
    chat: Chat, zone: str, change: date
) -> None:
    start = datetime.combine(change, datetime.min.time(), UTC) - timedelta(days=2)
    chat.clock.set(start)
    await chat.say("alice", "!help")
    async with chat.app.uow() as uow:
        await uow.session.execute(update(Person).values(timezone=zone))
        await uow.commit()
    await chat.say("alice", "!checkin schedule daily 02:30")
    chat.clear()
    local = ZoneInfo(zone)
    fired: list[datetime] = []
    for _ in range(4):
        due = await _next_due(chat)
        chat.clock.set(due - timedelta(minutes=1))
        await chat.tick()
        assert len(await _prompts(chat, "alice")) == len(fired), "not before its time"
        chat.clock.set(due)
        await chat.tick()
        fired.append(due.astimezone(local))
        assert len(await _prompts(chat, "alice")) == len(fired), "on time"
        # An hour later (in autumn: 02:30 comes round again) nothing more arrives.
        chat.clock.advance(timedelta(minutes=70))
        await chat.tick()
        assert len(await _prompts(chat, "alice")) == len(fired), "never twice"
    days = Counter(when.date() for when in fired)
    assert sorted(days) == [start.date() + timedelta(days=n) for n in range(4)]
    assert set(days.values()) == {1}, "one per local day, none skipped"
    on_change = next(when for when in fired if when.date() == change)
    if change.month == 3:
        assert on_change.strftime("%H:%M") == "03:00"  # 02:30 doesn't exist that night
    else:
        assert on_change.strftime("%H:%M") == "02:30"
        assert on_change.fold == 0
        assert on_change.utcoffset() == timedelta(hours=2)


async def test_missed_days_get_one_warm_word_per_quiet_spell(chat: Chat) -> None:
    await chat.say("alice", "!consent checkins on")
    await chat.say("alice", "!checkin schedule daily 09:00")
    chat.clear()
    warm = "We've missed you"

    def warm_words() -> int:
        texts = [text_of(m) for m in chat.inbox("alice") if isinstance(m, TextMessage)]
        return sum(warm in t for t in texts)

    # Tuesday's and Wednesday's reminders pass quietly; Thursday's comes with a warm word.
    for _ in range(2):
        await _fire_next(chat)
    assert warm_words() == 0
    await _fire_next(chat)
    assert warm_words() == 1
    for _ in range(3):
        await _fire_next(chat)
    assert warm_words() == 1, "at most once per quiet spell"
    # After a check-in a new quiet spell may earn a new warm word.
    await chat.say("alice", "!checkin 3")
    for _ in range(3):
        await _fire_next(chat)
    assert warm_words() == 2
