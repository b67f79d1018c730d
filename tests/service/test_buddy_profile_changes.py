"""Changing one thing in a buddy profile without answering the whole questionnaire again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.buddies import load
from bot.core.events import ChoicePrompt, Role, TextMessage
from tests.helpers import Chat

FULL = 'languages=da,en interests=cooking,walks contact=text times=weekends about="Likes tea"'


def prompts(answers: list[Any]) -> list[ChoicePrompt]:
    return [m for m in answers if isinstance(m, ChoicePrompt)]


def texts(answers: list[Any]) -> str:
    return "\n".join(m.text for m in answers if isinstance(m, TextMessage | ChoicePrompt))


async def stored(chat: Chat, user: str) -> Any:
    from sqlalchemy import select

    from bot.db.models import Account

    async with chat.app.uow() as uow:
        person_id = await uow.session.scalar(
            select(Account.person_id).where(Account.external_id == user)
        )
        assert person_id is not None
        row = await load.profile_of(uow.session, person_id)
        assert row is not None
        names = ("languages", "interests", "contact", "times", "kind", "about", "capacity")
        return SimpleNamespace(**{n: getattr(row, n) for n in (*names, "paused", "seeking")})


async def test_volunteer_capacity_changes_alone(chat: Chat) -> None:
    await chat.say("vera", f"!buddy volunteer consent=yes {FULL}", role=Role.VOLUNTEER)
    answers = await chat.say("vera", "!buddy volunteer capacity 2")
    # No questionnaire: one answer, and the rest stays.
    assert prompts(answers) == []
    assert "the rest is as before" in texts(answers)
    assert "up to 2 at once" in texts(answers)
    profile = await stored(chat, "vera")
    assert profile.capacity == 2
    assert profile.languages == ["da", "en"]
    assert profile.interests == ["cooking", "walks"]


async def test_one_field_changes_in_danish_and_a_pause_stays(chat: Chat) -> None:
    await chat.say("bo", f"!makker tilmeld consent=yes {FULL} kind=any", locale="da")
    await chat.say("bo", "!makker pause", locale="da")
    answers = await chat.say("bo", "!makker profil interesser strikning, gåture", locale="da")
    assert "resten er som før" in texts(answers)
    assert "strikning" in texts(answers)
    profile = await stored(chat, "bo")
    assert profile.interests == ["strikning", "gåture"]
    assert profile.contact == ["text"]
    assert profile.about == "Likes tea"
    assert profile.paused
    answers = await chat.say("bo", "!makker profil tider hverdag aften", locale="da")
    assert (await stored(chat, "bo")).times == ["weekday-evening"]
    answers = await chat.say("bo", "!makker profil farve blå", locale="da")
    assert "Vælg en af: Sprog, Interesser" in texts(answers)


async def test_asked_again_every_question_offers_the_earlier_answer(chat: Chat) -> None:
    await chat.say("alice", f"!buddy join consent=yes {FULL} kind=peer")
    answers = await chat.say("alice", "!buddy join")
    first = prompts(answers)[0]
    assert first.options[0].label == "Keep: Danish, English"
    # Skipping keeps what was there, at every step, however it is said.
    await chat.say("alice", "1")  # languages kept
    await chat.say("alice", "skip")  # interests kept, not erased
    await chat.say("alice", "video")  # contact changed
    await chat.say("alice", "keep")  # times: the "Keep" choice by its label
    await chat.say("alice", "spring over")  # kind kept
    # The optional questions about gender, age and wishes: never required.
    await chat.say("alice", "skip")  # own gender: not said
    await chat.say("alice", "-")  # age group: not said
    await chat.say("alice", "anyone")  # no wish for the buddy's gender
    await chat.say("alice", "skip")  # no wish for the buddy's age
    answers = await chat.say("alice", "-")  # about kept
    assert "on the list for a buddy" in texts(answers)
    profile = await stored(chat, "alice")
    assert profile.languages == ["da", "en"]
    assert profile.interests == ["cooking", "walks"]
    assert profile.contact == ["video"]
    assert profile.times == ["weekend-morning", "weekend-afternoon", "weekend-evening"]
    assert profile.kind == "peer"
    assert profile.about == "Likes tea"


async def test_profile_shows_it_and_asks_one_question_by_choice(chat: Chat) -> None:
    await chat.say("alice", f"!buddy join consent=yes {FULL} kind=any")
    answers = await chat.say("alice", "!buddy profile")
    assert "This is your buddy profile" in texts(answers)
    choice = prompts(answers)[0]
    assert [o.label for o in choice.options][:2] == ["Languages", "Interests"]
    answers = await chat.say("alice", "interests")
    question = prompts(answers)[0]
    assert question.options[0].label == "Keep: cooking, walks"
    answers = await chat.say("alice", "films, chess")
    assert "the rest is as before" in texts(answers)
    profile = await stored(chat, "alice")
    assert profile.interests == ["films", "chess"]
    assert profile.languages == ["da", "en"]
