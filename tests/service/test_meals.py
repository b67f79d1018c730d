"""Shared meals through the real dispatcher, outbox and database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import func, select

from bot.core.events import (
    ChoicePrompt,
    CreateVideoPlace,
    FileMessage,
    MessageIn,
    Role,
    Room,
    Sender,
    invoke,
)
from bot.core.tables import Mean, by_name
from bot.db.models import OutboxItem
from bot.meals.models import Meal, MealFeedback, MealOccurrence, MealRsvp
from tests.helpers import PLATFORM, Chat, text_of

CPH = ZoneInfo("Europe/Copenhagen")


async def _schedule(chat: Chat, line: str, *, user: str = "vera", room: str | None = None) -> str:
    """Schedule as a volunteer; returns the new meal's id."""
    answers = await chat.say(user, f"!meal schedule {line}", role=Role.VOLUNTEER, room=room)
    prompt = next(m for m in answers if isinstance(m, ChoicePrompt))
    assert "is planned" in prompt.text, prompt.text
    async with chat.app.uow() as uow:
        meal = (
            await uow.session.execute(select(Meal).order_by(Meal.id.desc()).limit(1))
        ).scalar_one()
        return meal.code


async def _rsvps(chat: Chat) -> list[tuple[str, int]]:
    async with chat.app.uow() as uow:
        rows = await uow.session.execute(select(MealRsvp.status, MealRsvp.person_id))
        return sorted((status, person) for status, person in rows)


async def test_participant_cannot_schedule(chat: Chat) -> None:
    answer = await chat.text("pia", '!meal schedule "Supper" tomorrow 18:00')
    assert "for volunteers" in answer


async def test_schedule_shows_local_time_and_buttons(chat: Chat) -> None:
    answers = await chat.say(
        "vera", '!måltid planlæg "Torsdagsmiddag" 3/12 18:00', role=Role.VOLUNTEER, locale="da"
    )
    prompt = answers[0]
    assert isinstance(prompt, ChoicePrompt)
    assert "torsdag 3. december kl. 18:00" in prompt.text
    assert [o.label for o in prompt.options] == ["Jeg er med", "Måske", "Meld fra"]
    async with chat.app.uow() as uow:
        occurrence = (await uow.session.execute(select(MealOccurrence))).scalar_one()
        assert occurrence.starts_at == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


async def test_bad_input_gets_one_line_and_nothing_is_saved(chat: Chat) -> None:
    cases = {
        '"Supper" 2026-11-01 18:00': "already passed",
        '"Supper" tomorrow 24:30': "not a time",
        '"Supper" tomorrow 18:00 capacity 0': "seats must be from 1 to 1000",
        '"' + "x" * 81 + '" tomorrow 18:00': "at most 80 characters",
        '"Supper" tomorrow 18:00 video skype': "I don't know the video place “skype”",
        '"Supper" tomorrow 18:00 video discord': "can't make a voice channel here",
        '"Supper" 31/02 18:00': "as a date",
    }
    for line, expected in cases.items():
        answer = await chat.text("vera", f"!meal schedule {line}", role=Role.VOLUNTEER)
        assert expected in answer, (line, answer)
        assert "Type: !meal schedule" in answer
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Meal))).scalar() == 0
    assert "can't find a meal" in await chat.text("pia", "!meal join zzzz")
    assert "not a meal id" in await chat.text("pia", "!meal join ?!")


async def test_schedule_dialog_step_by_step_with_a_wrong_answer(chat: Chat) -> None:
    await chat.say("vera", "!meal schedule", role=Role.VOLUNTEER)
    assert "What should it be called" in chat.adapter.sent[-1].text  # type: ignore[union-attr]
    await chat.say("vera", "Sunday brunch")
    assert "tomorrow" in await chat.text("vera", "yesterday-ish")
    await chat.say("vera", "søndag")
    assert "not a time" in await chat.text("vera", "25:00")
    answers = await chat.say("vera", "11:00")
    assert isinstance(answers[0], ChoicePrompt)
    await chat.press("vera", answers[0].options[1].value)  # every week
    assert "How long" in await chat.text("vera", "8")
    assert "from 10 to 600 minutes" in await chat.text("vera", "5 hours")
    assert "How long" in chat.adapter.sent[-1].text  # type: ignore[union-attr]
    await chat.say("vera", "90 min")
    answers = await chat.say("vera", "element")
    summary = answers[0]
    assert isinstance(summary, ChoicePrompt)
    assert "check it before I create it" in summary.text
    assert "Sunday 29 November at 11:00, every week" in summary.text
    assert "90 minutes, 8 seats" in summary.text
    assert "Element Call" in summary.text
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Meal))).scalar() == 0
    prompt = (await chat.say("vera", "ja"))[0]
    assert isinstance(prompt, ChoicePrompt)
    assert "Sunday brunch" in prompt.text
    assert "is planned" in prompt.text
    async with chat.app.uow() as uow:
        meal = (await uow.session.execute(select(Meal))).scalar_one()
        assert (meal.every_weeks, meal.capacity, meal.local_time) == (1, 8, "11:00")
        assert meal.minutes == 90
        assert meal.first_date == "2026-11-29"


async def test_cancel_word_stops_the_dialog(chat: Chat) -> None:
    await chat.say("vera", "!meal schedule", role=Role.VOLUNTEER)
    assert "Cancelled" in await chat.text("vera", "afbryd")


async def test_waiting_list_moves_up_with_a_direct_message(chat: Chat) -> None:
    code = await _schedule(chat, '"Pizza night" 3/12 19:00 capacity 1')
    assert "You're in" in await chat.text("anna", f"!meal join {code}")
    assert "number 1 on the waiting list" in await chat.text("bo", f"!meal join {code}")
    listing = await chat.text("bo", "!meal list")
    assert "Pizza night" in listing
    assert "waiting list" in listing
    chat.clear()
    assert "your seat goes to the next person" in await chat.text("anna", f"!meal leave {code}")
    await chat.tick()
    assert any("a seat came free" in t for t in chat.inbox_texts("bo"))
    assert await _rsvps(chat) == [("joined", 3)]


async def test_the_one_moved_up_is_told_at_once_not_at_the_next_poll(chat: Chat) -> None:
    code = await _schedule(chat, '"Pizza night" tomorrow 19:00 capacity 1')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("bo", f"!meal join {code}")
    chat.clear()
    chat.app.due_now.clear()
    await chat.say("anna", f"!meal leave {code}")
    # The commit wakes the deliverer; delivering the outbox alone (no timed jobs) tells Bo.
    assert chat.app.due_now.is_set()
    await chat.app.deliver()
    assert any("a seat came free" in t for t in chat.inbox_texts("bo"))
    await chat.tick()  # the meals job does not tell Bo a second time
    assert sum("a seat came free" in t for t in chat.inbox_texts("bo")) == 1


async def test_two_joins_for_the_last_seat_at_once(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 capacity 1')
    assert any("1 seat," in text_of(m) for m in chat.adapter.sent)

    def event(user: str) -> MessageIn:
        return MessageIn(
            Sender(PLATFORM, user, user), Room(PLATFORM, f"dm:{user}"), f"!meal join {code}", True
        )

    await asyncio.gather(chat.app.handle(event("anna")), chat.app.handle(event("bo")))
    statuses = sorted(status for status, _ in await _rsvps(chat))
    assert statuses == ["joined", "waiting"]
    async with chat.app.uow() as uow:
        occurrence = (await uow.session.execute(select(MealOccurrence))).scalar_one()
        assert occurrence.taken == 1


async def test_reminders_with_links_exactly_once_and_start_notice(chat: Chat) -> None:
    code = await _schedule(chat, '"Curry" tomorrow 18:00', room="meals")
    await chat.say("anna", f"!meal join {code}")
    chat.clear()
    # Tomorrow 18:00 Copenhagen is 17:00 UTC; the 24h reminder is due at 17:00 UTC today.
    chat.clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))
    await chat.tick()
    await chat.tick()
    reminders = [t for t in chat.inbox_texts("anna") if "Reminder" in t]
    assert len(reminders) == 1
    assert "tuesday 24 november at 18:00" in reminders[0].casefold()
    assert "https://meet.jit.si/Samvaer-" in reminders[0]
    chat.clock.set(datetime(2026, 11, 24, 16, 46, tzinfo=UTC))
    await chat.tick()
    assert len([t for t in chat.inbox_texts("anna") if "Reminder" in t]) == 2
    chat.clock.set(datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
    await chat.tick()
    starts = [m for m in chat.adapter.sent if m.to == Room(PLATFORM, "meals")]  # type: ignore[union-attr]
    assert len(starts) == 1
    assert "begins now! 1 person has joined." in text_of(starts[0])
    # The 15-minute link and the room link are the same table's place.
    link = reminders[0].split("here: ")[1]
    assert link in text_of(starts[0])


async def test_no_begins_now_after_downtime_past_the_grace(chat: Chat) -> None:
    code = await _schedule(chat, '"Curry" tomorrow 18:00 minutes 240', room="meals")
    await chat.say("anna", f"!meal join {code}")
    chat.clear()
    # The bot was down over the start and wakes 2.5 hours later (grace is 2 hours), while
    # the four-hour meal is still on: "begins now" would be wrong.
    chat.clock.set(datetime(2026, 11, 24, 19, 30, tzinfo=UTC))
    await chat.tick()
    in_room = [m for m in chat.adapter.sent if m.to == Room(PLATFORM, "meals")]  # type: ignore[union-attr]
    assert not [m for m in in_room if "begins now" in text_of(m)]


async def test_cancel_tells_everyone_and_drops_pending_reminders(chat: Chat) -> None:
    code = await _schedule(chat, '"Stew" tomorrow 18:00')
    await chat.say("anna", f"!meal join {code}")
    chat.clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))
    async with chat.app.uow() as uow:
        from bot.core.context import JobContext
        from bot.meals.jobs import run_due

        await run_due(JobContext(chat.app.services, uow.session, chat.clock.now()))
        await uow.commit()
    assert "Only the host" in await chat.text("anna", f"!meal cancel {code}")
    assert "Everyone who joined" in await chat.text("vera", f"!meal cancel {code}")
    assert "told the 1 people" in await chat.text("vera", "yes")
    await chat.tick()
    texts = chat.inbox_texts("anna")
    assert any("is cancelled" in t for t in texts)
    assert not any("Reminder" in t for t in texts)
    assert "has been cancelled" in await chat.text("bo", f"!meal join {code}")


async def test_tables_are_balanced_with_volunteer_hosts(chat: Chat) -> None:
    code = await _schedule(chat, '"Big dinner" tomorrow 18:00 capacity 20')
    await chat.say("vera", f"!meal join {code}")
    await chat.say("walt", f"!meal join {code}", role=Role.VOLUNTEER)
    for n in range(5):
        await chat.say(f"p{n}", f"!meal join {code}")
    chat.clock.set(datetime(2026, 11, 24, 16, 46, tzinfo=UTC))
    await chat.tick()
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(MealRsvp))).scalars().all()
        tables = sorted(r.table_no for r in rows)
        assert tables == [1, 1, 1, 1, 2, 2, 2]
        hosts = {r.table_no for r in rows if r.is_volunteer}
        assert hosts == {1, 2}
    text = chat.inbox_texts("p0")[-1]
    assert "table 1 of 2" in text
    assert "is your table's host" in text


async def test_weekly_meal_keeps_local_time_across_dst_and_ics(chat: Chat) -> None:
    chat.clock.set(datetime(2026, 10, 15, 8, 0, tzinfo=UTC))
    code = await _schedule(chat, '"Thursday dinner" 2026-10-22 18:00 every week')
    assert "cancelled" in await chat.text("vera", f"!meal cancel {code} 29/10 yes")
    async with chat.app.uow() as uow:
        starts = (
            (
                await uow.session.execute(
                    select(MealOccurrence.starts_at).order_by(MealOccurrence.starts_at)
                )
            )
            .scalars()
            .all()
        )
    local = [s.astimezone(CPH) for s in starts]
    assert {(d.hour, d.minute) for d in local} == {(18, 0)}
    assert {d.utcoffset() for d in local} == {timedelta(hours=2), timedelta(hours=1)}
    answers = await chat.say("anna", f"!meal ics {code}")
    file = next(m for m in answers if isinstance(m, FileMessage))
    calendar = Calendar.from_ical(file.content)
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Copenhagen"
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2026, 10, 22, 18, 0, tzinfo=CPH)
    assert event["RRULE"]["FREQ"] == ["WEEKLY"]
    assert event["EXDATE"].dts[0].dt == datetime(2026, 10, 29, 18, 0, tzinfo=CPH)


async def test_join_all_here_feedback_and_stats(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 every 2 weeks capacity 5')
    assert "every *Soup*" in await chat.text("anna", f"!meal join {code} all")
    assert "isn't going on" in await chat.text("anna", f"!meal here {code}")
    chat.clock.set(datetime(2026, 11, 24, 17, 5, tzinfo=UTC))
    await chat.tick()
    assert "Welcome" in await chat.text("anna", f"!meal here {code}")
    assert "Only people who were" in await chat.text("bo", f"!meal feedback {code} 5")
    chat.clock.set(datetime(2026, 11, 24, 18, 1, tzinfo=UTC))
    chat.clear()
    await chat.tick()
    prompts = [m for m in chat.inbox("anna") if isinstance(m, ChoicePrompt)]
    assert len(prompts) == 1
    assert len(prompts[0].options) == 5
    assert prompts[0].options[3].value == invoke("meal feedback", code, "4")
    await chat.press("anna", prompts[0].options[3].value)
    assert "saved" in await chat.text("anna", "Nice people, good soup")
    assert "Choose" not in await chat.text("anna", f"!meal feedback {code} 5 even better")
    async with chat.app.uow() as uow:
        feedback = (await uow.session.execute(select(MealFeedback))).scalar_one()
        assert (feedback.rating, feedback.comment) == (5, "even better")
        provider = chat.app.services.registry.statistics["meals"]
        tables = await provider(uow.session, chat.clock.now() - timedelta(days=7), chat.clock.now())
    stats = by_name(tables)
    assert stats["meal_occurrences"][0] == {"status": "held", "count": 1}
    assert stats["meal_attendance"][0]["came"] == 1
    assert tables[-1].rows == ((Mean(5.0, 1),),)
    assert "anna" not in json.dumps(stats)
    # The series goes on: the next occurrence, two weeks later, already has anna's seat.
    async with chat.app.uow() as uow:
        count = await uow.session.execute(
            select(func.count()).select_from(MealRsvp).where(MealRsvp.status == "joined")
        )
        assert count.scalar() == 2


async def _held_with_only_anna_there(chat: Chat, code: str, starts: datetime) -> None:
    """The meal starts at ``starts`` (UTC), anna says she is here, and it ends."""
    chat.clock.set(starts + timedelta(minutes=5))
    await chat.tick()
    await chat.say("anna", f"!meal here {code}")
    chat.clock.set(starts + timedelta(minutes=61))
    chat.clear()
    await chat.tick()


async def test_a_missed_meal_gets_one_warm_word_not_a_nag(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 every week capacity 5')
    await chat.say("anna", f"!meal join {code} all")
    await chat.say("bo", f"!meal join {code} all")
    await _held_with_only_anna_there(chat, code, datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
    missed = [t for t in chat.inbox_texts("bo") if "We missed you" in t]
    assert len(missed) == 1
    assert "*Soup*" in missed[0]
    assert "next one is tuesday 1 december at 18:00" in missed[0].casefold()
    assert not any("How was it" in t for t in chat.inbox_texts("bo"))
    assert not any("We missed you" in t for t in chat.inbox_texts("anna"))
    assert any("How was it" in t for t in chat.inbox_texts("anna"))

    # A week later bo stays away again: not told twice within a month.
    await _held_with_only_anna_there(chat, code, datetime(2026, 12, 1, 17, 0, tzinfo=UTC))
    assert not any("We missed you" in t for t in chat.inbox_texts("bo"))


async def test_discord_video_place_is_made_and_kept(chat: Chat) -> None:
    from bot.adapters.recording import RecordingAdapter

    # Chosen by what the platform can do: this one makes voice channels.
    chat.app.add_adapter(RecordingAdapter("discord", frozenset({"voice_channels"})))
    answers = await chat.app.handle(
        MessageIn(
            Sender("discord", "42", "Vera", Role.VOLUNTEER),
            Room("discord", "dm:42"),
            '!meal schedule "Voice supper" tomorrow 18:00 video discord',
            True,
        )
    )
    assert "a voice channel here" in text_of(answers[0])
    await chat.tick()
    sent = chat.app.adapters["discord"].sent  # type: ignore[attr-defined]
    assert any(isinstance(m, CreateVideoPlace) for m in sent)
    async with chat.app.uow() as uow:
        from bot.meals.models import MealTable

        table = (await uow.session.execute(select(MealTable))).scalar_one()
        assert table.video_url.startswith("https://video.invalid/")


async def test_forget_moves_the_waiting_list_up(chat: Chat) -> None:
    code = await _schedule(chat, '"Pasta" 3/12 18:00 capacity 1')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("bo", f"!meal join {code}")
    await chat.say("anna", f"!meal feedback {code} 3")
    data = json.loads(
        next(m for m in await chat.say("anna", "!mydata") if isinstance(m, FileMessage)).content
    )
    assert data["meals"]["seats"][0]["title"] == "Pasta"
    await chat.say("anna", "!forget")
    await chat.say("anna", "yes")
    await chat.tick()
    assert any("a seat came free" in t for t in chat.inbox_texts("bo"))
    assert [s for s, _ in await _rsvps(chat)] == ["joined"]


async def test_retention_purges_old_meals(chat: Chat) -> None:
    await _schedule(chat, '"Old" tomorrow 18:00')
    chat.clock.advance(timedelta(days=400))
    await chat.tick()
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Meal))).scalar() == 0
        left = await uow.session.execute(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "meal_reminder")
        )
        assert left.scalar() == 0
