"""Joining with a companion who has no account, and buddies seated at one table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.buddies.models import ACTIVE, BuddyPair
from bot.core.events import ChoicePrompt, Role
from bot.core.tables import by_name
from bot.db.models import Account
from bot.meals.models import Meal, MealOccurrence, MealRsvp
from tests.helpers import Chat


async def _schedule(chat: Chat, line: str) -> str:
    answers = await chat.say("vera", f"!meal schedule {line}", role=Role.VOLUNTEER)
    assert any(isinstance(m, ChoicePrompt) and "is planned" in m.text for m in answers)
    async with chat.app.uow() as uow:
        meal = (
            await uow.session.execute(select(Meal).order_by(Meal.id.desc()).limit(1))
        ).scalar_one()
        return meal.code


async def _taken(chat: Chat) -> int:
    async with chat.app.uow() as uow:
        return (await uow.session.execute(select(MealOccurrence.taken))).scalar_one()


async def test_a_companion_takes_a_seat_both_or_neither_and_leaving_frees_both(
    chat: Chat,
) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 capacity 3')
    answer = await chat.text("anna", f"!meal join {code} +1")
    assert "1 companion without an account comes with you: 2 seats in all" in answer
    assert await _taken(chat) == 2
    # Two seats for Bo and his companion: only one is free, so both wait.
    answer = await chat.text("bo", f"!meal join {code} with 1")
    assert "waiting list" in answer
    assert "together, or not at all" in answer
    assert await _taken(chat) == 2
    who = await chat.text("vera", f"!meal who {code}")
    assert "1. Anna +1" in who
    assert "1. Bo +1" in who.split("aiting")[-1]
    # Anna leaves: her two seats are offered to Bo and his companion together (the meal
    # is tomorrow, so a freed seat waits for his yes), and held for both meanwhile.
    await chat.say("anna", f"!meal leave {code}")
    assert await _taken(chat) == 2
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(MealRsvp.status, MealRsvp.companions))).all()
        assert [tuple(r) for r in rows] == [("offered", 1)]


async def test_too_many_companions_get_a_clear_answer_in_danish(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 capacity 8')
    await chat.say("dora", "!sprog da")
    answer = await chat.text("dora", f"!måltid deltag {code} +5")
    assert "måltid deltag <id> +1" in answer
    assert await _taken(chat) == 0
    answer = await chat.text("dora", f"!måltid deltag {code} med 1")
    assert "1 ledsager uden konto kommer med dig: 2 pladser i alt" in answer
    answer = await chat.text("dora", f"!måltid deltag {code} +0")
    assert "du kommer alene" in answer
    assert await _taken(chat) == 1


async def test_companions_are_counted_in_statistics_without_names(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 capacity 8')
    await chat.say("anna", f"!meal join {code} +2")
    provider = chat.app.services.registry.statistics["meals"]
    async with chat.app.uow() as uow:
        now = chat.clock.now()
        tables = await provider(uow.session, now, now + timedelta(days=3))
    stats = by_name(tables)
    assert stats["meal_attendance"][0] == {"had_seat": 1, "came": 0, "companions": 2}
    assert stats["meal_seats"][0]["seats_filled"] == 3


async def test_buddies_sit_at_the_same_table(chat: Chat) -> None:
    # Twelve people at tables of six: Anna and her buddy Zed joined first and last.
    code = await _schedule(chat, '"Big dinner" 26/11 18:00 capacity 20')
    people = ["anna", *[f"p{i}" for i in range(10)], "zed"]
    for user in people:
        await chat.say(user, f"!meal join {code}")
    async with chat.app.uow() as uow:
        ids = dict(
            (await uow.session.execute(select(Account.external_id, Account.person_id))).all()
        )
        now = chat.clock.now()
        uow.session.add(
            BuddyPair(
                participant_id=ids["anna"],
                partner_id=ids["zed"],
                kind="peer",
                status=ACTIVE,
                proposed_at=now,
                expires_at=now + timedelta(days=3),
                matched_at=now,
            )
        )
        await uow.commit()
    chat.clock.set(datetime(2026, 11, 25, 17, 0, tzinfo=UTC))  # the day-before reminders
    await chat.tick()
    async with chat.app.uow() as uow:
        table_of = dict(
            (await uow.session.execute(select(MealRsvp.person_id, MealRsvp.table_no))).all()
        )
    assert table_of[ids["anna"]] == table_of[ids["zed"]]
    assert sorted(table_of.values()).count(table_of[ids["anna"]]) == 6


async def test_fewer_seats_move_a_person_with_their_companion_together(chat: Chat) -> None:
    code = await _schedule(chat, '"Soup" tomorrow 18:00 capacity 4')
    await chat.say("anna", f"!meal join {code}")
    await chat.say("bo", f"!meal join {code} +1")
    await chat.say("vera", f"!meal edit {code} seats 2")
    assert await _taken(chat) == 1
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(MealRsvp.status, MealRsvp.companions))).all()
        assert sorted(tuple(r) for r in rows) == [("joined", 0), ("waiting", 1)]
