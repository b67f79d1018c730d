"""One question at a time, and typed answers as people type them, through the dispatcher."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.checkins.models import CheckinEntry
from bot.core.context import Context
from bot.core.events import ChoicePrompt, Role, TextMessage, invoke
from bot.core.registry import CommandRegistry
from bot.db.models import Dialog, Person
from tests.helpers import Chat


def prompts(answers: list[Any]) -> list[ChoicePrompt]:
    return [m for m in answers if isinstance(m, ChoicePrompt)]


def texts(answers: list[Any]) -> str:
    return "\n".join(m.text for m in answers if isinstance(m, TextMessage | ChoicePrompt))


async def open_dialogs(chat: Chat) -> list[tuple[str, str]]:
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(Dialog))).scalars().all()
        return [(row.user_id, row.name) for row in rows]


async def test_a_welcome_answered_by_number_then_a_mood_word_then_yes(chat: Chat) -> None:
    """A newcomer types only plain words: a number, "skidt", "ja". Each answers the
    question just shown, and the check-in is kept."""
    answers = await chat.say("bo", "hej", locale="da")
    assert "velkommen" in texts(answers)
    answers = await chat.say("bo", "1", locale="da")
    assert "Hvordan har du det i dag" in texts(answers)
    answers = await chat.say("bo", "skidt", locale="da")
    assert "Må jeg gemme dine tjek ind" in texts(answers)
    answers = await chat.say("bo", "jep", locale="da")
    assert "dårligt" in texts(answers)
    async with chat.app.uow() as uow:
        entries = (await uow.session.execute(select(CheckinEntry))).scalars().all()
        assert [e.mood for e in entries] == [2]
    assert await open_dialogs(chat) == []


async def test_a_mood_in_a_sentence_and_without_the_danish_letters(chat: Chat) -> None:
    await chat.say("alice", "!checkin consent yes")
    await chat.say("alice", "!checkin")
    assert "good" in await chat.text("alice", "I'm feeling fine today")
    await chat.say("bo", "!tjekind consent ja", locale="da")
    await chat.say("bo", "!tjekind", locale="da")
    assert "dårligt" in await chat.text("bo", "daarligt", locale="da")
    async with chat.app.uow() as uow:
        entries = (await uow.session.execute(select(CheckinEntry))).scalars().all()
        assert sorted(e.mood for e in entries) == [2, 4]


async def test_help_explains_the_question_and_shows_its_choices_again(chat: Chat) -> None:
    await chat.say("alice", "!forget")
    answers = await chat.say("alice", "help")
    assert "You are answering the question below" in texts(answers)
    again = prompts(answers)
    assert len(again) == 1
    assert [o.label for o in again[0].options] == ["Yes, erase everything", "No, keep it"]
    # The question still stands after the help.
    assert "kept" in await chat.text("alice", "nope")


async def test_help_at_a_question_without_choices_asks_it_again(chat: Chat) -> None:
    await chat.say("vera", "!meal schedule", role=Role.VOLUNTEER)
    answers = await chat.say("vera", "hjælp")
    assert "in your own words" in texts(answers)


async def test_cancel_leaves_any_question(chat: Chat) -> None:
    await chat.say("bo", "!tjekind", locale="da")
    assert "Afbrudt" in await chat.text("bo", "afbryd", locale="da")
    assert await open_dialogs(chat) == []
    await chat.say("bo", "!start", locale="da")
    assert "Afbrudt" in await chat.text("bo", "Avbryt!", locale="da")
    assert await open_dialogs(chat) == []


async def test_a_wrong_answer_says_what_to_type_and_keeps_the_question(chat: Chat) -> None:
    await chat.say("alice", "!checkin")
    answers = await chat.say("alice", "purple")
    assert "Type a number from 1 to 5" in texts(answers)
    assert len(prompts(answers)) == 1
    answers = await chat.say("alice", "9")
    assert "Type a number from 1 to 5" in texts(answers)
    # Thanks or a greeting are not wrong answers: they are taken as they are.
    answers = await chat.say("alice", "thanks")
    assert "You're very welcome" in texts(answers)


async def test_chatter_in_a_room_is_not_taken_for_an_answer(chat: Chat) -> None:
    await chat.say("alice", "!checkin", room="lounge")
    assert await chat.say("alice", "what a lovely day", room="lounge") == []
    assert await open_dialogs(chat) == []


async def test_a_second_question_waits_for_the_first(chat: Chat) -> None:
    registry: CommandRegistry = chat.app.services.registry

    @registry.command("twoquestions")
    async def two(ctx: Context) -> None:
        ctx.prompt("First?", [("Yes", invoke("consent", "checkins", "on")), ("No", "no")])
        ctx.prompt("Second?", [("Yes", invoke("consent", "buddies", "on")), ("No", "no")])

    try:
        answers = await chat.say("alice", "!twoquestions")
        assert [p.text for p in prompts(answers)] == ["First?"]
        answers = await chat.say("alice", "yes")
        assert "I'll keep your check-ins" in texts(answers)
        assert [p.text for p in prompts(answers)] == ["Second?"]
        answers = await chat.say("alice", "yeah")
        assert prompts(answers) == []
        async with chat.app.uow() as uow:
            person = (await uow.session.execute(select(Person))).scalar_one()
            assert person.consent_checkins
            assert person.consent_buddies
    finally:
        del registry.commands["twoquestions"]


async def test_a_question_in_the_middle_of_a_dialog_comes_first_then_the_dialog(
    chat: Chat,
) -> None:
    registry: CommandRegistry = chat.app.services.registry

    def ask(ctx: Context, step: str, data: dict[str, Any]) -> None:
        ctx.prompt("Tea or coffee?", [("Tea", "tea"), ("Coffee", "coffee")])

    @registry.command("drink")
    async def drink(ctx: Context) -> None:
        ask(ctx, "which", {})
        ctx.continue_dialog("drink", "which", {})

    @registry.dialog("drink", ask=ask)
    async def drink_answer(ctx: Context, step: str, data: dict[str, Any], text: str) -> None:
        ctx.end_dialog()
        ctx.reply(f"One {text} coming up")

    try:
        await chat.say("alice", "!checkin consent yes")
        await chat.say("alice", "!drink")
        answers = await chat.say("alice", "!checkin")
        assert "How are you" in texts(answers)
        # The mood question is the one just shown: "good" answers it, not the drink.
        answers = await chat.say("alice", "good")
        assert "good" in texts(answers)
        assert "Tea or coffee?" in texts(answers)
        assert "One coffee coming up" in await chat.text("alice", "cof")
    finally:
        del registry.commands["drink"]
        del registry.dialogs["drink"]


async def test_a_question_from_a_room_command_is_answered_in_the_direct_chat(
    chat: Chat,
) -> None:
    """A private command typed in a room asks its question in a direct message; the
    answer typed there goes to it."""
    await chat.say("alice", "!checkin consent yes")
    answers = await chat.say("alice", "!checkin", room="lounge")
    assert "How are you" in texts(prompts(answers))
    assert "good" in await chat.text("alice", "good")
    async with chat.app.uow() as uow:
        entries = (await uow.session.execute(select(CheckinEntry))).scalars().all()
        assert [e.mood for e in entries] == [4]
    assert await open_dialogs(chat) == []


async def test_crisis_words_at_a_question_then_it_is_asked_again(chat: Chat) -> None:
    await chat.say("alice", "!checkin consent yes")
    await chat.say("alice", "!checkin")
    assert "112" in await chat.text("alice", "I want to end my life")
    # The next message is not taken as the answer: the question comes again, gently.
    answers = await chat.say("alice", "good")
    assert "no hurry" in texts(answers)
    assert len(prompts(answers)) == 1
    assert "good" in await chat.text("alice", "good")
    async with chat.app.uow() as uow:
        entries = (await uow.session.execute(select(CheckinEntry))).scalars().all()
        assert [e.mood for e in entries] == [4]
