"""Waiting-list offers that wait for a yes, "maybe", and a meal's minimum size, through the
real dispatcher, outbox and database with the clock moved (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.core.events import ChoicePrompt, Outgoing, Role
from bot.meals.models import Meal, MealOccurrence, MealRsvp
from tests.helpers import Chat, text_of

# The clock starts on Monday 23 November 2026, 09:00 UTC (10:00 in Copenhagen).


async def _schedule(chat: Chat, line: str, *, user: str = "vera", locale: str | None = None) -> str:
    await chat.say(user, f"!meal schedule {line}", role=Role.VOLUNTEER, locale=locale)
    async with chat.app.uow() as uow:
        return (
            await uow.session.execute(select(Meal.code).order_by(Meal.id.desc()).limit(1))
        ).scalar_one()


async def _statuses(chat: Chat) -> dict[str, str]:
    """Each person's status by their platform id."""
    from bot.db.models import Account

    async with chat.app.uow() as uow:
        rows = await uow.session.execute(
            select(Account.external_id, MealRsvp.status).join(
                MealRsvp, MealRsvp.person_id == Account.person_id
            )
        )
        return dict(rows.all())


def _prompts(chat: Chat, user: str, needle: str) -> list[ChoicePrompt]:
    return [m for m in chat.inbox(user) if isinstance(m, ChoicePrompt) and needle in m.text]


def _texts(messages: list[Outgoing]) -> str:
    return "\n".join(text_of(m) for m in messages)


async def test_a_freed_seat_close_to_the_start_is_offered_and_moves_on_unanswered(
    chat: Chat,
) -> None:
    code = await _schedule(chat, '"Pizza night" tomorrow 19:00 capacity 1')
    await chat.say("anna", f"!meal join {code}")
    assert "number 1 on the waiting list" in await chat.text("bo", f"!meal join {code}")
    assert "number 2 on the waiting list" in await chat.text("cleo", f"!meal join {code}")
    assert "number 2 on the waiting list" in await chat.text("cleo", "!meal list")
    chat.clear()
    await chat.say("anna", f"!meal leave {code}")
    await chat.app.deliver()
    # Bo is asked, with a deadline in his zone (4 hours on: 14:00 in Copenhagen).
    offer = _prompts(chat, "bo", "a seat came free")
    assert len(offer) == 1
    assert "Say yes by 14:00" in offer[0].text
    assert [o.label for o in offer[0].options] == ["Yes, I'll come", "No, thank you"]
    assert (await _statuses(chat))["bo"] == "offered"
    # Nobody else can take the held seat.
    assert "number 2 on the waiting list" in await chat.text("dan", f"!meal join {code}")
    await chat.tick()  # Cleo moved up: told once
    await chat.tick()
    assert sum("now number 1" in t for t in chat.inbox_texts("cleo")) == 1
    assert not any("now number" in t for t in chat.inbox_texts("dan"))  # dan's place held
    # 14:00 passes without an answer: Bo is told kindly and Cleo is asked.
    chat.clock.set(datetime(2026, 11, 23, 13, 0, tzinfo=UTC))
    await chat.tick()
    expired = _prompts(chat, "bo", "went to the next person")
    assert len(expired) == 1
    assert expired[0].options[0].label == "Put me on the waiting list again"
    assert "Say yes by 18:00" in _prompts(chat, "cleo", "a seat came free")[0].text
    assert sum("now number 1" in t for t in chat.inbox_texts("dan")) == 1
    statuses = await _statuses(chat)
    assert "bo" not in statuses
    assert statuses["cleo"] == "offered"
    # Cleo taps yes: the seat is hers.
    answers = await chat.press(
        "cleo", _prompts(chat, "cleo", "a seat came free")[0].options[0].value
    )
    assert "You're in" in _texts(answers)
    assert (await _statuses(chat))["cleo"] == "joined"
    # Bo's button puts him back on the list, at the end.
    answers = await chat.press("bo", expired[0].options[0].value)
    assert "number 2 on the waiting list" in _texts(answers)


async def test_a_typed_yes_takes_the_offer_and_a_no_passes_it_on(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 capacity 1')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("bo", f"!meal join {code}")
    await chat.say("cleo", f"!meal join {code}")
    await chat.say("anna", f"!meal leave {code}")
    await chat.app.deliver()
    assert "Thanks for telling me" in await chat.text("bo", "nej tak")
    await chat.app.deliver()
    assert _prompts(chat, "cleo", "a seat came free")
    assert "You're in" in await chat.text("cleo", "yes")
    statuses = await _statuses(chat)
    assert statuses == {"cleo": "joined"}


async def test_two_seats_freed_make_two_offers_at_once(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 capacity 2')
    for user in ("anna", "bo", "cleo", "dan", "eva"):
        await chat.say(user, f"!meal join {code}")
    await chat.say("anna", f"!meal leave {code}")
    await chat.say("bo", f"!meal leave {code}")
    await chat.tick()
    statuses = await _statuses(chat)
    assert (statuses["cleo"], statuses["dan"], statuses["eva"]) == ("offered", "offered", "waiting")
    assert sum("now number 1" in t for t in chat.inbox_texts("eva")) == 1
    async with chat.app.uow() as uow:
        occurrence = (await uow.session.execute(select(MealOccurrence))).scalar_one()
        assert occurrence.taken == occurrence.capacity == 2


async def test_far_from_the_start_the_first_simply_gets_the_seat(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" 3/12 18:00 capacity 1')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("bo", f"!meal join {code}")
    await chat.say("anna", f"!meal leave {code}")
    await chat.app.deliver()
    assert any("a seat came free and it's yours!" in t for t in chat.inbox_texts("bo"))
    assert not _prompts(chat, "bo", "Say yes by")
    assert (await _statuses(chat))["bo"] == "joined"


async def test_maybe_is_counted_apart_and_reminded_once_with_a_join_button(chat: Chat) -> None:
    code = await _schedule(chat, '"Curry" 26/11 18:00 capacity 2')
    answer = await chat.text("pia", f"!meal maybe {code}")
    assert "maybe for *Curry*" in answer
    assert "already said maybe" in await chat.text("pia", f"!meal maybe {code}")
    assert "you said maybe" in await chat.text("pia", "!meal list")
    await chat.say("anna", f"!meal join {code}")
    assert "and you keep it" in await chat.text("anna", f"!meal maybe {code}")
    who = await chat.text("vera", f"!meal who {code}")
    assert "1 said maybe (no seat)" in who
    assert "Pia" in who
    async with chat.app.uow() as uow:
        occurrence = (await uow.session.execute(select(MealOccurrence))).scalar_one()
        assert occurrence.taken == 1  # a maybe holds no seat
    # Thursday 18:00 in Copenhagen is 17:00 UTC; the reminder comes a day before.
    chat.clock.set(datetime(2026, 11, 25, 16, 59, tzinfo=UTC))
    await chat.tick()
    assert not _prompts(chat, "pia", "You said maybe")
    chat.clock.set(datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    await chat.tick()
    await chat.tick()
    reminders = _prompts(chat, "pia", "You said maybe")
    assert len(reminders) == 1
    assert "Wednesday 26 November at 18:00" not in reminders[0].text  # Thursday, in her zone
    assert "Thursday 26 November at 18:00" in reminders[0].text
    answers = await chat.press("pia", reminders[0].options[0].value)
    assert "You're in" in _texts(answers)
    assert (await _statuses(chat))["pia"] == "joined"


async def test_the_host_is_asked_about_too_few_a_day_before_and_can_merge(chat: Chat) -> None:
    code = await _schedule(chat, '"Curry" 26/11 18:00 seats 12 minimum 4')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("pia", f"!meal maybe {code}")
    chat.clock.set(datetime(2026, 11, 25, 16, 59, tzinfo=UTC))
    await chat.tick()
    assert not _prompts(chat, "vera", "Only 1")
    chat.clock.set(datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    await chat.tick()
    await chat.tick()
    asked = _prompts(chat, "vera", "Only 1 have joined")
    assert len(asked) == 1
    assert "at least 4 (1 said maybe)" in asked[0].text
    labels = [o.label for o in asked[0].options]
    assert labels == ["Merge the tables", "Go ahead as it is", "Cancel kindly"]
    answers = await chat.press("vera", asked[0].options[0].value)
    assert "sits at one table" in _texts(answers)
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(MealOccurrence.one_table))).scalar_one()
    # Cancelling goes through the usual flow: asked to confirm, then everyone is told.
    answers = await chat.press("vera", asked[0].options[2].value)
    assert isinstance(answers[0], ChoicePrompt)


async def test_the_minimum_is_editable_and_checked(chat: Chat) -> None:
    code = await _schedule(chat, '"Curry" 26/11 18:00 seats 6')
    assert "at least 3" in await chat.text("vera", f"!meal edit {code} minimum 3")
    assert "from 0 to 6" in await chat.text("vera", f"!meal minimum {code} 9")
    assert "no minimum any more" in await chat.text("vera", f"!meal minimum {code} 0")
    assert "Only the host" in await chat.text("pia", f"!meal minimum {code} 2")
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(Meal.minimum))).scalar_one() == 0


async def test_across_the_spring_change_times_are_real_hours_and_shown_locally(
    chat: Chat,
) -> None:
    # Sunday 28 March 2027: clocks in Copenhagen go from 02:00 to 03:00.
    chat.clock.set(datetime(2027, 3, 26, 9, 0, tzinfo=UTC))
    code = await _schedule(chat, '"Brunch" 28/3/2027 12:00 pladser 1', locale="da")
    small = await _schedule(chat, '"Frokost" 28/3/2027 12:00 pladser 6 mindst 3', locale="da")
    for user in ("anna", "bo"):
        await chat.say(user, f"!måltid deltag {code}", locale="da")
        await chat.say(user, f"!måltid deltag {small}", locale="da")
    # 12:00 CEST is 10:00 UTC; a day before is 10:00 UTC on Saturday (11:00 there).
    chat.clock.set(datetime(2027, 3, 27, 9, 59, tzinfo=UTC))
    await chat.tick()
    assert not _prompts(chat, "vera", "Kun 2")
    chat.clock.set(datetime(2027, 3, 27, 10, 0, tzinfo=UTC))
    await chat.tick()
    asked = _prompts(chat, "vera", "Kun 2 har tilmeldt sig *Frokost*")
    assert len(asked) == 1
    assert "søndag 28. marts" in asked[0].text
    # A seat freed at 00:30 local time, with Bo's quiet hours off: four real hours later
    # is 05:30 summer time.
    await chat.say("bo", "!quiet off", locale="da")
    chat.clock.set(datetime(2027, 3, 27, 23, 30, tzinfo=UTC))
    await chat.say("anna", f"!måltid afmeld {code}", locale="da")
    await chat.app.deliver()
    offer = _prompts(chat, "bo", "der blev en plads ledig")
    assert len(offer) == 1
    assert "Sig ja senest 05:30" in offer[0].text
    assert [o.label for o in offer[0].options] == ["Ja, jeg kommer", "Nej tak"]


async def test_an_offer_made_in_the_night_waits_for_the_morning_and_its_time_starts_then(
    chat: Chat,
) -> None:
    # Quiet hours 22:00-08:00 Copenhagen (the community's default); the meal at 13:00.
    chat.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    code = await _schedule(chat, '"Brunch" 2/12 13:00 pladser 1', locale="da")
    for user in ("anna", "bo"):
        await chat.say(user, f"!måltid deltag {code}", locale="da")
    chat.clock.set(datetime(2026, 12, 1, 23, 30, tzinfo=UTC))  # 00:30 there
    await chat.say("anna", f"!måltid afmeld {code}", locale="da")
    await chat.app.deliver()
    assert not _prompts(chat, "bo", "der blev en plads ledig")  # asleep: not woken
    chat.clock.set(datetime(2026, 12, 2, 7, 0, tzinfo=UTC))  # 08:00 there
    await chat.app.deliver()
    offer = _prompts(chat, "bo", "der blev en plads ledig")
    assert len(offer) == 1
    # Four hours to answer, counted from 08:00 when the offer could first be read.
    assert "Sig ja senest 12:00" in offer[0].text
    assert (await _statuses(chat))["bo"] == "offered"


async def test_more_seats_while_an_offer_is_out_never_seat_more_than_the_capacity(
    chat: Chat,
) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 capacity 1')
    for user in ("anna", "bo", "cleo", "dan"):
        await chat.say(user, f"!meal join {code}")
    await chat.say("anna", f"!meal leave {code}")  # Bo is offered the held seat
    await chat.say("vera", f"!meal edit {code} seats 2")
    statuses = await _statuses(chat)
    # Bo's offer still holds one seat; only one more is offered (to Cleo).
    assert (statuses["bo"], statuses["cleo"], statuses["dan"]) == ("offered", "offered", "waiting")
    async with chat.app.uow() as uow:
        occurrence = (await uow.session.execute(select(MealOccurrence))).scalar_one()
        assert occurrence.taken == occurrence.capacity == 2
