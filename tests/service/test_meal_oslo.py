"""Meals in a Norwegian community on Oslo time: the clock on the wall stays put across
the change to winter time, in the dialog, when changing every date, and in reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import Config, parse_config
from bot.core.events import Role
from bot.meals.models import Meal, MealOccurrence
from tests.conftest import UNLIMITED
from tests.helpers import Chat

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def config() -> Config:
    return parse_config(
        {"community": {"language": "nb", "timezone": "Europe/Oslo"}, "safety": UNLIMITED}
    )


async def _starts(chat: Chat) -> list[datetime]:
    async with chat.app.uow() as uow:
        rows = await uow.session.execute(
            select(MealOccurrence.starts_at).order_by(MealOccurrence.starts_at)
        )
        return list(rows.scalars())


async def test_a_weekly_meal_keeps_oslo_wall_clock_when_changed(chat: Chat) -> None:
    chat.clock.set(datetime(2026, 10, 15, 8, 0, tzinfo=UTC))
    await chat.say("vera", "!måltid planlegg", role=Role.VOLUNTEER)
    for answer in ("Torsdagsmiddag", "22/10", "18:00", "hver uke", "8", "60"):
        await chat.say("vera", answer)
    summary = await chat.text("vera", "jitsi")
    assert "torsdag 22. oktober kl. 18:00, hver uke" in summary
    assert "60 minutter, 8 plasser" in summary
    assert "planlagt" in await chat.text("vera", "ja")
    async with chat.app.uow() as uow:
        code = (await uow.session.execute(select(Meal.code))).scalar_one()

    answer = await chat.text("vera", f"!måltid endre {code} tid 18:30 alle")
    assert "alle datoene for *Torsdagsmiddag* begynner nå kl. 18:30" in answer
    chat.clock.advance(timedelta(days=20))  # more dates are planned, after the change
    await chat.tick()
    starts = await _starts(chat)
    assert len(starts) >= 4
    assert {(s.astimezone(OSLO).hour, s.astimezone(OSLO).minute) for s in starts} == {(18, 30)}
    offsets = {s.astimezone(OSLO).utcoffset() for s in starts}
    assert offsets == {timedelta(hours=2), timedelta(hours=1)}  # both sides of 25 October


async def test_a_passed_date_is_asked_about_in_norwegian(chat: Chat) -> None:
    chat.clock.set(datetime(2026, 10, 15, 8, 0, tzinfo=UTC))
    answer = await chat.text("vera", '!måltid planlegg "Suppe" 1/10 18:00', role=Role.VOLUNTEER)
    assert "Mente du fredag 1. oktober 2027?" in answer
    summary = await chat.text("vera", "jo")
    assert "fredag 1. oktober 2027 kl. 18:00" in summary
    assert "Skal jeg opprette det" in summary
