"""Nobody left in silence, steady pairs by agreement, pause until a date and the wished
rhythm: through the real dispatcher, outbox and database, with the clock moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from bot.buddies.models import BuddyPair, BuddyProfile
from bot.core.events import ChoicePrompt, Role
from tests.helpers import Chat, text_of

SAMI = "buddy join consent=yes languages=arabisk contact=text times=anytime kind=volunteer"
ALICE = "buddy join consent=yes languages=da,en contact=text times=weekend kind=volunteer"
VERA = "buddy volunteer capacity 2 consent=yes languages=da contact=text times=weekend"


def _prompts(chat: Chat, user: str) -> list[ChoicePrompt]:
    return [m for m in chat.inbox(user) if isinstance(m, ChoicePrompt)]


def _count(chat: Chat, user: str, words: str) -> int:
    return sum(words in t for t in chat.inbox_texts(user))


async def _round(chat: Chat) -> str:
    answer = await chat.text("olga", "!admin match now")
    await chat.tick()
    return answer


async def test_someone_left_waiting_hears_why_once_then_every_fortnight(chat: Chat) -> None:
    chat.roles["olga"] = Role.ORGANISER
    await chat.text("sami", "!" + SAMI)
    await _round(chat)
    texts = chat.inbox_texts("sami")
    why = [t for t in texts if "haven't found you a buddy" in t]
    assert len(why) == 1, texts
    assert "No volunteer who speaks Arabic is free yet." in why[0]
    # The next round in their zone: 10:00 in Copenhagen the next day.
    assert "The next round is Tuesday 24 November at 10:00" in why[0]
    # Another round the same day, and the next days: no repeat.
    await _round(chat)
    for _ in range(5):
        chat.clock.advance(timedelta(days=1))
        await chat.tick()
    assert _count(chat, "sami", "haven't found you a buddy") == 1
    assert _count(chat, "sami", "haven't forgotten") == 0

    # Two weeks on: one "we haven't forgotten you", then nothing for another fortnight.
    chat.clock.advance(timedelta(days=9, minutes=5))
    await chat.tick()
    await _round(chat)
    forgotten = [t for t in chat.inbox_texts("sami") if "haven't forgotten" in t]
    assert len(forgotten) == 1
    assert "waiting for a buddy for 2 weeks" in forgotten[0]
    assert "No volunteer who speaks Arabic" in forgotten[0]
    for _ in range(13):
        chat.clock.advance(timedelta(days=1))
        await chat.tick()
    assert _count(chat, "sami", "haven't forgotten") == 1
    chat.clock.advance(timedelta(days=1))
    await chat.tick()
    assert _count(chat, "sami", "haven't forgotten") == 2
    assert _count(chat, "sami", "haven't found you a buddy") == 1

    # Organisers see who has waited longest, with the reason, where they already see names.
    view = await chat.text("olga", "!admin volunteers")
    assert "Waiting longest for a buddy" in view
    assert "Sami: 28 days. No volunteer who speaks Arabic is free yet." in view


async def test_the_reason_follows_the_pool_and_speaks_danish(chat: Chat) -> None:
    chat.roles["olga"] = Role.ORGANISER
    chat.roles["vera"] = Role.VOLUNTEER
    await chat.text(
        "vera", "!buddy volunteer capacity 1 consent=yes languages=da contact=text times=weekend"
    )
    await chat.text(
        "bo",
        "!makker tilmeld consent=yes languages=da contact=text times=weekend kind=volunteer",
        locale="da",
    )
    await chat.text("alice", "!" + ALICE)
    await _round(chat)
    # One of the two gets Vera; the other hears in plain words that she has no room.
    waiting = [
        t
        for user in ("bo", "alice")
        for t in chat.inbox_texts(user)
        if "runde" in t or "round" in t
    ]
    assert len(waiting) == 1, waiting
    assert (
        "har ikke plads til en ny makker lige nu" in waiting[0]
        or "have no room for a new buddy right now" in waiting[0]
    )
    if "runde" in waiting[0]:
        assert "Næste runde er tirsdag 24. november kl. 10:00" in waiting[0]


async def _paired(chat: Chat) -> None:
    chat.roles["vera"] = Role.VOLUNTEER
    chat.roles["olga"] = Role.ORGANISER
    await chat.text("alice", "!" + ALICE)
    await chat.text("vera", "!" + VERA)
    await chat.text("alice", "!buddy often weekly")
    await chat.text("vera", "!buddy often every other week")
    await _round(chat)
    proposal = _prompts(chat, "alice")[-1]
    assert "you: weekly; the other person: every other week" in proposal.text
    to_vera = _prompts(chat, "vera")[-1]
    assert "you: every other week; the other person: weekly" in to_vera.text
    await chat.press("alice", proposal.options[0].value)
    await chat.press("vera", to_vera.options[0].value)
    await chat.tick()


async def _pair(chat: Chat) -> SimpleNamespace:
    async with chat.app.uow() as uow:
        pair = (await uow.session.execute(select(BuddyPair))).scalar_one()
        return SimpleNamespace(
            status=pair.status, end_reason=pair.end_reason, term_ends_at=pair.term_ends_at
        )


async def test_a_pair_goes_on_only_when_both_say_yes_and_ends_kindly(chat: Chat) -> None:
    await _paired(chat)
    agreed = [t for t in chat.inbox_texts("alice") if "agree to be buddies" in t]
    assert agreed
    assert "for 4 months, until 23 March 2027" in agreed[0]
    assert (await _pair(chat)).term_ends_at == datetime(2027, 3, 23, 9, 0, tzinfo=UTC)

    status = await chat.text("alice", "!buddy status")
    assert "You and Vera have agreed to be buddies until 23 March 2027." in status
    assert "You'd like to meet weekly." in status
    # Someone outside the pair cannot answer for it, even with its number.
    chat.roles["mallory"] = Role.VOLUNTEER
    assert "no question about going on" in await chat.text("mallory", "!buddy extend yes 1")

    # Nothing is asked until two weeks before the end.
    chat.clear()
    chat.clock.set(datetime(2027, 3, 8, 9, 0, tzinfo=UTC))
    await chat.tick()
    assert not any("go on together" in t for t in chat.inbox_texts("alice"))
    assert "no question about going on" in await chat.text("alice", "!buddy extend yes")
    chat.clock.set(datetime(2027, 3, 9, 9, 5, tzinfo=UTC))
    await chat.tick()
    await chat.tick()
    questions = [p for p in _prompts(chat, "alice") if "go on together" in p.text]
    assert len(questions) == 1
    assert "ends on 23 March 2027" in questions[0].text
    assert [o.label for o in questions[0].options] == ["Yes, let's go on", "No, let it end then"]
    vera_question = next(p for p in _prompts(chat, "vera") if "go on together" in p.text)

    answer = await chat.press("alice", questions[0].options[0].value)
    assert "If your buddy says yes too" in text_of(answer[0])
    answer = await chat.press("vera", vera_question.options[0].value)
    assert "you both want to go on" in text_of(answer[0])
    await chat.tick()
    for user in ("alice", "vera"):
        assert _count(chat, user, "You're buddies until 23 July 2027") == 1
    # Summer time: still 10:00 in Copenhagen.
    assert (await _pair(chat)).term_ends_at == datetime(2027, 7, 23, 8, 0, tzinfo=UTC)

    # The second time Vera says no; Alice hears nothing about that answer.
    chat.clear()
    chat.clock.set(datetime(2027, 7, 9, 8, 5, tzinfo=UTC))
    await chat.tick()
    alice_question = next(p for p in _prompts(chat, "alice") if "go on together" in p.text)
    vera_question = next(p for p in _prompts(chat, "vera") if "go on together" in p.text)
    await chat.press("alice", alice_question.options[0].value)
    answer = await chat.text("vera", "!buddy extend no")
    assert "can go on as usual until 23 July 2027" in answer
    await chat.tick()
    assert not any(t.casefold() == "no" or "said no" in t for t in chat.inbox_texts("alice"))
    chat.clock.set(datetime(2027, 7, 23, 7, 55, tzinfo=UTC))
    await chat.tick()
    assert (await _pair(chat)).status == "active"
    chat.clock.set(datetime(2027, 7, 23, 8, 1, tzinfo=UTC))
    await chat.tick()
    await chat.tick()
    pair = await _pair(chat)
    assert pair.status == "ended"
    assert pair.end_reason == "term"
    for user, other in (("alice", "Vera"), ("vera", "Alice")):
        ended = [t for t in chat.inbox_texts(user) if "has come to its end" in t]
        assert len(ended) == 1
        assert other in ended[0]


async def test_no_answer_ends_the_pair_at_the_end_date(chat: Chat) -> None:
    await _paired(chat)
    chat.clock.set(datetime(2027, 3, 10, 9, 0, tzinfo=UTC))
    await chat.tick()
    await chat.text("alice", "!buddy extend yes")
    chat.clock.set(datetime(2027, 3, 23, 9, 1, tzinfo=UTC))
    await chat.tick()
    assert (await _pair(chat)).status == "ended"
    assert _count(chat, "alice", "has come to its end") == 1


async def test_pause_until_a_date_and_did_you_mean(chat: Chat) -> None:
    chat.roles["vera"] = Role.VOLUNTEER
    chat.roles["olga"] = Role.ORGANISER
    await chat.text("alice", "!" + ALICE)
    await chat.text("vera", "!" + VERA)
    answers = await chat.say("alice", "!buddy pause until 2026-11-01")
    assert isinstance(answers[0], ChoicePrompt)
    assert "Did you mean 1 November 2027?" in answers[0].text
    assert "not understand" in await chat.text("alice", "!buddy pause until soon") or (
        "didn't understand the date" in await chat.text("alice", "!buddy pause until soon")
    )
    # Tapping "yes" on the correction pauses until the date that was meant.
    answer = await chat.press("alice", answers[0].options[0].value)
    assert "until 1 November 2027" in text_of(answer[0])
    assert "break lasts until 1 November 2027" in await chat.text("alice", "!buddy status")
    answer = await chat.text("alice", "!buddy pause until 1/12")
    assert "until 1 December 2026" in answer
    assert "0 proposed" in await _round(chat)
    assert not any("haven't found you" in t for t in chat.inbox_texts("alice"))
    chat.clock.set(datetime(2026, 11, 30, 22, 59, tzinfo=UTC))
    await chat.tick()
    assert _count(chat, "alice", "break is over") == 0
    chat.clock.set(datetime(2026, 11, 30, 23, 1, tzinfo=UTC))  # midnight in Copenhagen
    await chat.tick()
    # The break is over at midnight, but the message waits for the end of quiet hours.
    assert _count(chat, "alice", "break is over") == 0
    chat.clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))  # 08:00 in Copenhagen
    await chat.tick()
    assert _count(chat, "alice", "break is over") == 1
    assert "1 proposed" in await _round(chat)


async def test_status_tells_a_waiting_person_why(chat: Chat) -> None:
    chat.roles["olga"] = Role.ORGANISER
    await chat.text("sami", "!" + SAMI)
    await _round(chat)
    assert "No volunteer who speaks Arabic is free yet." in await chat.text("sami", "!buddy status")


async def test_pause_until_in_danish_and_norwegian(chat: Chat) -> None:
    await chat.text(
        "bo",
        "!makker tilmeld consent=yes languages=da contact=text times=weekend kind=any",
        locale="da",
    )
    answer = await chat.text("bo", "!makker hvil indtil 24/12", locale="da")
    assert "før 24. december 2026" in answer
    await chat.text(
        "kari",
        "!venn bli-med consent=yes languages=nb contact=text times=weekend kind=any",
        locale="nb",
    )
    answer = await chat.text("kari", "!venn pause til 1.1.2026", locale="nb")
    assert "Mente du 1. januar 2027?" in answer
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(BuddyProfile))).scalars().all()
        assert [r.paused for r in rows] == [True, False]
