"""Meals that are easy to run: the schedule dialog's summary, numbers that stay numbers,
a passed date asked about, cancelling and changing with everyone told, who is coming
and who came. Through the real dispatcher and database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.adapters.console import ConsoleAdapter
from bot.config import parse_config
from bot.core.events import ChoicePrompt, Outgoing, Role, TextMessage
from bot.db.models import Account, Dialog, Person
from bot.meals.models import CANCELLED, SCHEDULED, Meal, MealOccurrence, MealRsvp
from tests.conftest import UNLIMITED
from tests.helpers import Chat, text_of

CPH = ZoneInfo("Europe/Copenhagen")


async def _schedule(chat: Chat, line: str, user: str = "vera") -> str:
    answers = await chat.say(user, f"!meal schedule {line}", role=Role.VOLUNTEER)
    assert any("is planned" in text_of(m) for m in answers), answers
    return await _last_code(chat)


async def _last_code(chat: Chat) -> str:
    async with chat.app.uow() as uow:
        meal = (await uow.session.execute(select(Meal).order_by(Meal.id.desc()))).scalars().first()
        assert meal is not None
        return meal.code


async def _meals(chat: Chat) -> list[Meal]:
    async with chat.app.uow() as uow:
        meals = list((await uow.session.execute(select(Meal))).scalars())
        uow.session.expunge_all()  # read as they are now, after the session closes
        return meals


async def _occurrences(chat: Chat) -> list[MealOccurrence]:
    async with chat.app.uow() as uow:
        rows = await uow.session.execute(select(MealOccurrence).order_by(MealOccurrence.starts_at))
        occurrences = list(rows.scalars())
        uow.session.expunge_all()
        return occurrences


async def _set_person(chat: Chat, user: str, **values: object) -> None:
    """Give someone who has written before a language or time zone of their own."""
    async with chat.app.uow() as uow:
        person_id = (
            await uow.session.execute(select(Account.person_id).where(Account.external_id == user))
        ).scalar_one()
        await uow.session.execute(update(Person).where(Person.id == person_id).values(**values))
        await uow.commit()


def _prompt(answers: list[Outgoing]) -> ChoicePrompt:
    prompt = next(m for m in answers if isinstance(m, ChoicePrompt))
    return prompt


# ---------------------------------------------------------------- scheduling


async def _console_session(chat: Chat, lines: list[str]) -> list[str]:
    """Play ``lines`` through the console adapter, as typed in a terminal."""
    printed: list[str] = []

    async def typed() -> AsyncIterator[str]:
        for line in lines:
            yield line

    config = parse_config({"community": {"language": "en"}, "safety": UNLIMITED})
    console = ConsoleAdapter(config, lines=typed, output=printed.append)
    chat.app.add_adapter(console)
    await console.start(chat.app.on_event)
    return printed


async def test_three_typed_at_the_console_is_three_seats_not_the_third_option(chat: Chat) -> None:
    printed = await _console_session(
        chat,
        [
            ":as vera volunteer",
            "!meal schedule",
            "Sunday brunch",
            "sunday",
            "11:00",
            "1",  # a choice: once
            "3",  # a number: three seats
            "90",
            "1",  # a choice: Jitsi
            "1",  # a choice: "Create it"
        ],
    )
    seats_question = next(p for p in printed if "How many seats" in p)
    assert "1)" not in seats_question  # nothing a typed number could pick by position
    summary = next(i for i, p in enumerate(printed) if "check it before I create it" in p)
    assert "90 minutes, 3 seats" in printed[summary]
    assert "1) Create it" in printed[summary]
    assert "is planned" in printed[summary + 1]
    [meal] = await _meals(chat)
    assert (meal.capacity, meal.minutes, meal.every_weeks) == (3, 90, 0)


async def test_one_thing_is_changed_at_the_summary_and_the_rest_is_kept(chat: Chat) -> None:
    await chat.say("vera", "!meal schedule", role=Role.VOLUNTEER)
    for answer in ("Soup evening", "3/12", "18:00", "every week", "8", "60", "jitsi"):
        await chat.say("vera", answer)
    # A wrong answer at the summary says what to type instead and keeps everything.
    assert "Type yes to create the meal" in await chat.text("vera", "maybe")
    assert "How many seats" in await chat.text("vera", "change the seats")
    assert "from 1 to 1000" in await chat.text("vera", "lots")
    summary = await chat.text("vera", "12 seats")
    assert "*Soup evening*" in summary
    assert "Thursday 3 December at 18:00, every week" in summary
    assert "60 minutes, 12 seats" in summary
    assert "is planned" in await chat.text("vera", "yes")
    [meal] = await _meals(chat)
    assert (meal.title, meal.capacity, meal.every_weeks) == ("Soup evening", 12, 1)


async def test_a_passed_date_is_asked_about_not_moved_to_next_year(chat: Chat) -> None:
    chat.clock.set(datetime(2026, 11, 29, 11, 0, tzinfo=UTC))
    answer = await chat.text(
        "vera", '!måltid planlæg "Suppeaften" 1/11 18:00', role=Role.VOLUNTEER, locale="da"
    )
    assert "Mente du mandag 1. november 2027?" in answer
    assert not await _meals(chat)
    # "No": the date is asked again, and the title and time typed are kept.
    assert "Hvilken dag?" in await chat.text("vera", "nej", locale="da")
    summary = await chat.text("vera", "3/12", locale="da")
    assert "*Suppeaften*" in summary
    assert "torsdag 3. december kl. 18:00" in summary
    assert "2026" not in summary  # this year's dates are shown without the year
    await chat.say("vera", "ret datoen", locale="da")
    assert "Mente du mandag 1. november 2027?" in await chat.text("vera", "1/11", locale="da")
    summary = await chat.text("vera", "ja", locale="da")
    assert "mandag 1. november 2027 kl. 18:00" in summary
    created = await chat.text("vera", "ja", locale="da")
    assert "mandag 1. november 2027 kl. 18:00" in created
    [meal] = await _meals(chat)
    assert meal.first_date == "2027-11-01"


async def test_the_meal_word_alone_lists_the_meals(chat: Chat) -> None:
    await _schedule(chat, '"Curry" tomorrow 18:00')
    listing = await chat.text("pia", "!måltid", locale="da")
    assert "Curry" in listing
    assert "tirsdag 24. november kl. 18:00" in listing
    assert "Hvad vil du gøre" not in listing
    assert "Curry" in await chat.text("pia", "!meal")
    assert "meal join <id>" in await chat.text("per", "!meal dinner")
    # A meal's id alone shows that meal, with buttons to join or leave.
    code = await _last_code(chat)
    shown = _prompt(await chat.say("per", f"!meal {code.upper()}"))
    assert "Curry" in shown.text
    assert [o.label for o in shown.options] == ["Join", "Maybe", "Leave"]


# ---------------------------------------------------------------- cancelling


async def test_cancelling_a_series_asks_this_date_or_every_date(chat: Chat) -> None:
    code = await _schedule(chat, '"Stew" tomorrow 18:00 every week capacity 1')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("bo", f"!meal join {code}")  # waiting
    answers = await chat.say("vera", f"!meal cancel {code}")
    prompt = _prompt(answers)
    assert "Cancel only Tuesday 24 November at 18:00, or every date?" in prompt.text
    assert [o.label for o in prompt.options] == ["Only Tue 24 Nov", "Every date", "No, keep it"]
    assert all(o.status == SCHEDULED for o in await _occurrences(chat))  # asked, not done
    # A typed answer that fits no choice gets the choices again; nothing happens.
    assert "Tap a choice, or type its number" in await chat.text("vera", "hmm")
    assert "told the 2 people" in text_of((await chat.press("vera", prompt.options[0].value))[0])
    await chat.tick()
    for person in ("anna", "bo"):  # joined and waiting are both told
        assert any("is cancelled" in t for t in chat.inbox_texts(person)), person
    statuses = [o.status for o in await _occurrences(chat)]
    assert statuses[0] == CANCELLED
    assert set(statuses[1:]) == {SCHEDULED}

    # Every date: typed, with the confirmation typed too.
    assert "or every date?" in await chat.text("vera", f"!meal cancel {code}")
    assert "is cancelled" in await chat.text("vera", "2")
    assert {o.status for o in await _occurrences(chat)} == {CANCELLED}


async def test_keeping_the_meal_cancels_nothing(chat: Chat) -> None:
    code = await _schedule(chat, '"Stew" tomorrow 18:00')
    await chat.say("vera", f"!meal cancel {code}")
    assert "Nothing is cancelled" in await chat.text("vera", "no")
    assert {o.status for o in await _occurrences(chat)} == {SCHEDULED}


async def _store_old_dialog(chat: Chat, user: str, step: str, data: dict[str, object]) -> None:
    """Make ``user``'s open dialog look as a row kept from an earlier version does."""
    async with chat.app.uow() as uow:
        row = (await uow.session.execute(select(Dialog))).scalars().one()
        assert row.user_id == user
        row.step, row.data = step, data
        await uow.commit()


async def test_a_cancel_question_kept_from_before_is_still_answered(chat: Chat) -> None:
    """A row from before the dialog was declared: no question text, choices as the
    command words they ran (``cmd:``), nothing but the code."""
    code = await _schedule(chat, '"Stew" tomorrow 18:00 every week')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("vera", f"!meal cancel {code}")
    # A wrong answer lists the choices once, as text; the buttons are not sent again.
    wrong = await chat.say("vera", "hmm")
    assert len(wrong) == 1
    assert not isinstance(wrong[0], ChoicePrompt)
    lines = [f"cmd:meal cancel {code} 2026-11-24 yes", f"cmd:meal cancel {code} all yes"]
    labels = ["Only Tue 24 Nov", "Every date"]
    await _store_old_dialog(
        chat, "vera", "choose", {"code": code, "labels": labels, "lines": lines}
    )
    assert "Tap a choice, or type its number" in await chat.text("vera", "hmm")
    assert {o.status for o in await _occurrences(chat)} == {SCHEDULED}
    assert "is cancelled" in await chat.text("vera", "all")
    assert {o.status for o in await _occurrences(chat)} == {CANCELLED}


async def test_a_value_question_kept_from_before_is_still_answered(chat: Chat) -> None:
    code = await _schedule(chat, '"Pasta" tomorrow 18:00')
    await chat.say("vera", f"!meal edit {code} time")
    await _store_old_dialog(chat, "vera", "time", {"code": code})
    again = await chat.text("vera", "25:99")
    assert "is not a time" in again
    assert "What time should *Pasta* start?" in again  # asked again, with the title
    assert "now starts Tuesday 24 November at 19:30" in await chat.text("vera", "19:30")


# ---------------------------------------------------------------- changing


async def test_a_new_time_is_told_to_everyone_in_their_language_and_zone(chat: Chat) -> None:
    code = await _schedule(chat, '"Pasta" tomorrow 18:00')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("bo", f"!meal join {code}")
    await _set_person(chat, "anna", language="da")
    await _set_person(chat, "bo", timezone="Europe/London")
    assert "Kun værten eller en arrangør" in await chat.text(
        "anna", f"!meal edit {code} time 19:30"
    )
    answer = await chat.text("vera", f"!meal edit {code} time 19:30")
    assert "now starts Tuesday 24 November at 19:30" in answer
    assert "told the 2 people" in answer
    await chat.tick()
    assert any(
        "nyt tidspunkt: tirsdag 24. november kl. 19:30" in t for t in chat.inbox_texts("anna")
    )
    assert any("new time: Tuesday 24 November at 18:30" in t for t in chat.inbox_texts("bo"))
    [occurrence] = await _occurrences(chat)
    assert occurrence.starts_at == datetime(2026, 11, 24, 18, 30, tzinfo=UTC)


async def test_edit_asks_what_and_then_the_value_keeping_wrong_answers_kind(chat: Chat) -> None:
    code = await _schedule(chat, '"Pasta" tomorrow 18:00')
    prompt = _prompt(await chat.say("vera", f"!meal edit {code}"))
    assert [o.label for o in prompt.options] == ["Title", "Time", "Seats", "Video link"]
    assert "new video link" in await chat.text("vera", "4")
    assert "is not a link" in await chat.text("vera", "zoom please")
    assert "now meets at https://meet.example/pasta" in await chat.text(
        "vera", "https://meet.example/pasta"
    )
    assert "called now" in await chat.text("vera", f"!meal edit {code} title")
    assert "now called *Pasta and salad*" in await chat.text("vera", "Pasta and salad")
    [meal] = await _meals(chat)
    assert (meal.title, meal.video_kind, meal.video_url) == (
        "Pasta and salad",
        "url",
        "https://meet.example/pasta",
    )
    assert "not “colour”" in await chat.text("vera", f"!meal edit {code} colour red")
    await chat.say("vera", f"!meal edit {code}")
    assert "nothing is changed" in await chat.text("vera", "no")


async def test_fewer_seats_move_the_last_to_join_to_the_waiting_list_kindly(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 every week capacity 3')
    for person in ("anna", "bo", "carl"):
        await chat.say(person, f"!meal join {code}")
    prompt = _prompt(await chat.say("vera", f"!meal edit {code} seats 2"))
    assert "Change only Tuesday 24 November at 18:00, or every date from now on?" in prompt.text
    answer = "\n".join(text_of(m) for m in await chat.press("vera", prompt.options[0].value))
    assert "now has 2 seats" in answer
    assert "The person who joined last is now first on the waiting list" in answer
    await chat.tick()
    assert any("first on the waiting list" in t for t in chat.inbox_texts("carl"))
    assert not any("waiting list" in t for t in chat.inbox_texts("anna"))
    first, second, *_ = await _occurrences(chat)
    assert (first.capacity, first.taken, second.capacity) == (2, 2, 3)  # only this date

    who = await chat.text("vera", f"!meal who {code}")
    assert "2 of 2 seats taken" in who
    assert "1. Anna\n2. Bo\nWaiting list:\n1. Carl" in who
    assert "Only the host or an organiser" in await chat.text("anna", f"!meal who {code}")
    assert "1. Anna\n2. Bo" in await chat.text("olga", f"!meal who {code}", role=Role.ORGANISER)

    # "No" to "this date or every date?" changes nothing at all.
    await chat.say("vera", f"!meal edit {code} seats 1")
    assert "nothing is changed" in await chat.text("vera", "nej")
    assert (await _occurrences(chat))[0].capacity == 2

    # More seats again: the waiting list moves up and is told at once (the outbox alone,
    # not the next run of the timed jobs).
    await chat.say("vera", f"!meal edit {code} seats 3")
    await chat.say("vera", "1")
    await chat.app.deliver()
    assert any("a seat came free" in t for t in chat.inbox_texts("carl"))


async def test_a_series_time_change_keeps_the_wall_clock_across_dst(chat: Chat) -> None:
    chat.clock.set(datetime(2026, 10, 15, 8, 0, tzinfo=UTC))
    code = await _schedule(chat, '"Thursday dinner" 2026-10-22 18:00 every week')
    await chat.say("vera", f"!meal edit {code} time 19:00 all")
    starts = [o.starts_at for o in await _occurrences(chat)]
    assert len(starts) >= 2
    assert {s.astimezone(CPH).hour for s in starts} == {19}
    assert starts[0] == datetime(2026, 10, 22, 17, 0, tzinfo=UTC)  # summer time
    assert starts[1] == datetime(2026, 10, 29, 18, 0, tzinfo=UTC)  # winter time
    [meal] = await _meals(chat)
    assert meal.local_time == "19:00"
    # A date planned later keeps the new time too.
    chat.clock.advance(timedelta(days=30))
    await chat.tick()
    assert {o.starts_at.astimezone(CPH).hour for o in await _occurrences(chat)} == {19}


# ---------------------------------------------------------------- who came


async def test_the_host_notes_who_came_by_tapping_or_typing(chat: Chat) -> None:
    code = await _schedule(chat, '"Curry" tomorrow 18:00')
    for person in ("anna", "bo", "carl"):
        await chat.say(person, f"!meal join {code}")
    assert "isn't on now" in await chat.text("vera", f"!meal attended {code}")
    chat.clock.set(datetime(2026, 11, 24, 17, 10, tzinfo=UTC))
    prompt = _prompt(await chat.say("vera", f"!meal attended {code}"))
    assert [o.label for o in prompt.options] == ["Anna", "Bo", "Carl", "Everyone"]
    assert "Anna came" in text_of((await chat.press("vera", prompt.options[0].value))[0])
    assert "Carl came" in await chat.text("vera", f"!meal attended {code} car")
    assert "can't find “dora”" in await chat.text("vera", f"!meal attended {code} dora")
    assert "Only the host" in await chat.text("anna", f"!meal attended {code} 2")
    async with chat.app.uow() as uow:
        came = await uow.session.execute(
            select(MealRsvp.person_id).where(MealRsvp.attended_at.is_not(None))
        )
        assert len(list(came)) == 2
    who = await chat.text("vera", f"!meal who {code}")
    assert "1. Anna ✓\n2. Bo\n3. Carl ✓" in who


async def test_a_participant_gets_no_list_of_names(chat: Chat) -> None:
    code = await _schedule(chat, '"Curry" tomorrow 18:00')
    await chat.say("anna", f"!meal join {code}")
    answers = await chat.say("bo", f"!meal who {code}")
    assert all("Anna" not in text_of(m) for m in answers)
    assert isinstance(answers[0], TextMessage)
