"""Offers, "maybe" and the minimum in a Norwegian community on Oslo time, across the
change to winter time (Sunday 25 October 2026, 03:00 back to 02:00)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.config import Config, parse_config
from bot.core.events import ChoicePrompt, Role
from bot.meals.models import Meal
from tests.conftest import UNLIMITED
from tests.helpers import Chat


@pytest.fixture
def config() -> Config:
    return parse_config(
        {"community": {"language": "nb", "timezone": "Europe/Oslo"}, "safety": UNLIMITED}
    )


def _prompts(chat: Chat, user: str, needle: str) -> list[ChoicePrompt]:
    return [m for m in chat.inbox(user) if isinstance(m, ChoicePrompt) and needle in m.text]


async def test_oslo_times_across_the_autumn_change(chat: Chat) -> None:
    chat.clock.set(datetime(2026, 10, 23, 9, 0, tzinfo=UTC))
    for line in ('"Middag" 25/10 18:00 plasser 1', '"Lunsj" 25/10 18:00 plasser 6 minst 3'):
        await chat.say("vera", f"!måltid planlegg {line}", role=Role.VOLUNTEER)
    async with chat.app.uow() as uow:
        dinner, lunch = (await uow.session.execute(select(Meal.code).order_by(Meal.id))).scalars()
    await chat.say("anna", f"!måltid delta {dinner}")
    await chat.say("bo", f"!måltid delta {dinner}")
    await chat.say("anna", f"!måltid delta {lunch}")
    assert "kanskje" in await chat.text("pia", f"!måltid kanskje {lunch}")
    # 18:00 on Sunday is winter time (17:00 UTC); 24 real hours before is Saturday
    # 17:00 UTC, which is 19:00 summer time on the wall clock.
    chat.clock.set(datetime(2026, 10, 24, 16, 59, tzinfo=UTC))
    await chat.tick()
    assert not _prompts(chat, "vera", "Bare 1")
    assert not _prompts(chat, "pia", "Du sa kanskje")
    chat.clock.set(datetime(2026, 10, 24, 17, 0, tzinfo=UTC))
    await chat.tick()
    assert len(_prompts(chat, "vera", "Bare 1 har meldt seg på *Lunsj*")) == 1
    reminder = _prompts(chat, "pia", "Du sa kanskje")
    assert len(reminder) == 1
    assert "søndag 25. oktober kl. 18:00" in reminder[0].text
    # Anna leaves at 01:30 summer time; Bo has turned his quiet hours off, so he is asked
    # at once, and four real hours later the clocks show 04:30.
    await chat.say("bo", "!quiet off")
    chat.clock.set(datetime(2026, 10, 24, 23, 30, tzinfo=UTC))
    await chat.say("anna", f"!måltid avmeld {dinner}")
    await chat.app.deliver()
    offer = _prompts(chat, "bo", "det ble en plass ledig")
    assert len(offer) == 1
    assert "Si ja innen 04:30" in offer[0].text
    assert "Du er med!" in await chat.text("bo", "ja")
