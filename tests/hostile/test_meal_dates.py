"""Meal dates are bounded by the planning horizon; leaving creates nothing; a passed
day and month is asked about, never taken to mean next year."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.core.events import ChoicePrompt, Role
from bot.meals.models import Meal, MealOccurrence, MealRsvp
from tests.helpers import Chat


async def _weekly_meal(chat: Chat) -> str:
    answers = await chat.say(
        "vera", '!meal schedule "Soup" 2026-11-26 18:00 every week', role=Role.VOLUNTEER
    )
    assert any(isinstance(m, ChoicePrompt) for m in answers)
    async with chat.app.uow() as uow:
        return (await uow.session.execute(select(Meal.code))).scalar_one()


async def _occurrences(chat: Chat) -> int:
    async with chat.app.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(MealOccurrence)) or 0)


async def test_no_seat_is_held_in_year_9999(chat: Chat) -> None:
    code = await _weekly_meal(chat)
    before = await _occurrences(chat)
    # 9999-11-25 and 2030-11-28 are Thursdays, like the meal; both beyond the horizon.
    for day in ("9999-11-25", "2030-11-28"):
        answer = await chat.text("pia", f"!meal join {code} {day}")
        assert "366 days" in answer or "no meal" in answer.casefold(), answer
    assert await _occurrences(chat) == before


async def test_leaving_a_date_never_planned_creates_no_rows(chat: Chat) -> None:
    code = await _weekly_meal(chat)
    before = await _occurrences(chat)
    await chat.text("pia", f"!meal leave {code} 2027-01-07")
    await chat.text("pia", f"!meal leave {code} 9999-11-25")
    assert await _occurrences(chat) == before


async def test_a_date_within_the_horizon_still_works(chat: Chat) -> None:
    code = await _weekly_meal(chat)
    answer = await chat.text("pia", f"!meal join {code} 2027-01-07")
    assert "Soup" in answer
    assert "366 days" not in answer


async def test_a_passed_day_and_month_never_joins_a_date_a_year_away(chat: Chat) -> None:
    code = await _weekly_meal(chat)
    chat.clock.set(datetime(2026, 11, 29, 11, 0, tzinfo=UTC))
    before = await _occurrences(chat)
    answer = await chat.text("pia", f"!meal join {code} 1/11")
    assert "already passed this year" in answer
    assert "Monday 1 November 2027" in answer
    assert "1/11/2027" in answer  # what to type instead
    assert await _occurrences(chat) == before
    async with chat.app.uow() as uow:
        assert (await uow.session.scalar(select(func.count()).select_from(MealRsvp))) == 0
