"""Organisers' views of people answer privately; reports per person per day are capped."""

from __future__ import annotations

from datetime import timedelta

from bot.core.events import Direct, Role, Room
from tests.helpers import PLATFORM, Chat, text_of

ROOM = "lounge"


async def _in_the_room(chat: Chat) -> str:
    """Everything posted in the shared room so far."""
    return "\n".join(
        text_of(m) for m in chat.adapter.sent if getattr(m, "to", None) == Room(PLATFORM, ROOM)
    )


async def test_reports_and_volunteers_are_never_shown_in_a_shared_room(chat: Chat) -> None:
    await chat.say("olga", "!help", role=Role.ORGANISER)
    await chat.say(
        "vera",
        "!buddy volunteer capacity 2 consent=yes languages=da contact=text"
        " times=weekend interests=walks",
        role=Role.VOLUNTEER,
    )
    await chat.say("pat", "!buddy report SECRET-REPORT he scares me")
    chat.clear()
    for line in ("!admin reports", "!admin report 1", "!admin volunteers"):
        await chat.say("olga", line, room=ROOM)
    public = await _in_the_room(chat)
    assert "SECRET-REPORT" not in public
    assert "Pat" not in public
    assert "Vera" not in public
    private = "\n".join(
        text_of(m) for m in chat.adapter.sent if getattr(m, "to", None) == Direct(PLATFORM, "olga")
    )
    assert "SECRET-REPORT" in private
    assert "Vera" in private


async def test_reports_per_person_per_day_are_capped_kindly(chat: Chat) -> None:
    await chat.say("olga", "!help", role=Role.ORGANISER)
    receipts = [await chat.text("pat", f"!buddy report number {n}") for n in range(1, 6)]
    await chat.tick()
    to_organiser = [t for t in chat.inbox_texts("olga") if "number" in t]
    assert len(to_organiser) == 3
    assert "R-" not in receipts[3]
    assert "tomorrow" in receipts[3]
    # The next day they may write again.
    chat.clock.advance(timedelta(days=1))
    assert "R-4" in await chat.text("pat", "!buddy report number 6")
