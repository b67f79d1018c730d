"""Options that run commands: typed actions, and the old command-line form still honoured."""

from __future__ import annotations

from sqlalchemy import select

from bot.checkins.models import CheckinEntry
from bot.core.context import Context
from bot.core.dispatcher import command_option
from bot.core.events import ChoicePrompt, Invoke, invoke
from bot.core.registry import CommandRegistry
from tests.helpers import Chat, text_of


async def _entries(chat: Chat) -> list[tuple[int, str | None]]:
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(CheckinEntry))).scalars().all()
        return [(row.mood, row.note) for row in rows]


async def test_a_tapped_action_reaches_the_handler_with_its_values_as_they_were(
    chat: Chat,
) -> None:
    await chat.say("alice", "!consent checkins on")
    note = 'she said "hi"  and left'
    answers = await chat.press("alice", invoke("checkin", 3, note))
    assert "I've noted: 3" in text_of(answers[0])
    assert await _entries(chat) == [(3, note)]


async def test_a_tapped_action_with_a_wrong_value_gets_the_usage(chat: Chat) -> None:
    await chat.say("alice", "!consent checkins on")
    answers = await chat.press("alice", invoke("checkin", 9))
    said = "\n".join(text_of(m) for m in answers)
    assert "Choose a number from 1 to 5" in said
    assert "checkin [1-5] [note]" in said
    assert await _entries(chat) == []


async def test_the_mood_buttons_carry_typed_actions(chat: Chat) -> None:
    await chat.say("alice", "!consent checkins on")
    prompt = next(m for m in await chat.say("alice", "!checkin") if isinstance(m, ChoicePrompt))
    assert [o.value for o in prompt.options] == [Invoke("checkin", (n,)) for n in range(1, 6)]


async def test_a_button_posted_before_typed_actions_still_works(chat: Chat) -> None:
    """A button already out in the world carries "cmd:" and a command line."""
    await chat.say("alice", "!consent checkins on")
    answers = await chat.press("alice", "cmd:checkin 4")
    assert "I've noted: 4" in text_of(answers[0])
    assert await _entries(chat) == [(4, None)]


async def test_a_question_stored_before_typed_actions_is_answered_by_its_number(
    chat: Chat,
) -> None:
    """A question kept with a dialog row in the old form, answered by typing its number."""
    registry: CommandRegistry = chat.app.services.registry

    @registry.command("oldquestion")
    async def old_question(ctx: Context) -> None:
        ctx.prompt("Mood?", [("Good", command_option("checkin 4")), ("Never mind", "no")])

    try:
        await chat.say("alice", "!consent checkins on")
        await chat.say("alice", "!oldquestion")
        answers = await chat.say("alice", "1")
        assert "I've noted: 4" in text_of(answers[0])
        assert await _entries(chat) == [(4, None)]
    finally:
        del registry.commands["oldquestion"]
