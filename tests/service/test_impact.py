"""The loneliness measure end to end: asked at joining and after 1, 3 and 6 months, one tap
per item, never more than once a week, skippable, paused after crisis words, erased by
forget; the volunteers' pulse after a meal they hosted."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config import Config, parse_config
from bot.core.events import ChoicePrompt, FileMessage, Invoke, Role, invoke
from bot.impact.models import ImpactPerson, ImpactPulse, ImpactRound
from tests.conftest import UNLIMITED
from tests.helpers import Chat, text_of

JOIN = (
    "!buddy join consent=yes languages=da,en contact=text,video times=weekday-evenings"
    " kind=volunteer interests=cooking,walks"
)


@pytest.fixture
def config() -> Config:
    return parse_config(
        {"community": {"language": "en"}, "safety": UNLIMITED, "impact": {"enabled": True}}
    )


@pytest.fixture
async def app_off(engine: object, clock: object, translator: object) -> Chat:
    from bot.adapters.recording import RecordingAdapter
    from bot.bootstrap import bootstrap

    made = await bootstrap(
        parse_config({"community": {"language": "en"}, "safety": UNLIMITED}),
        clock=clock,  # type: ignore[arg-type]
        engine=engine,  # type: ignore[arg-type]
        adapters=[RecordingAdapter("test")],
        migrate=False,
        translator=translator,  # type: ignore[arg-type]
    )
    adapter = made.adapters["test"]
    assert isinstance(adapter, RecordingAdapter)
    return Chat(made, adapter, clock)  # type: ignore[arg-type]


def _prompts(chat: Chat, user: str) -> list[ChoicePrompt]:
    return [m for m in chat.inbox(user) if isinstance(m, ChoicePrompt)]


def _last_prompt(chat: Chat, user: str) -> ChoicePrompt:
    prompts = _prompts(chat, user)
    assert prompts, f"{user} got no choices"
    return prompts[-1]


async def _rounds(chat: Chat) -> list[ImpactRound]:
    async with chat.app.uow() as uow:
        found = await uow.session.execute(select(ImpactRound).order_by(ImpactRound.month))
        rows = list(found.scalars())
        uow.session.expunge_all()
        return rows


async def _join_and_say_yes(chat: Chat, user: str) -> None:
    await chat.say(user, JOIN)
    await chat.tick()
    invite = _last_prompt(chat, user)
    assert "four short questions" in invite.text
    assert invite.options[0].value == invoke("impact on")
    chat.clear()
    await chat.press(user, invite.options[0].value)


async def _answer_round(chat: Chat, user: str, values: tuple[str, str, str, str]) -> str:
    """Tap the four answers (by the value each option carries)."""
    first = _last_prompt(chat, user)
    tap = next(
        o.value
        for o in first.options
        if isinstance(o.value, Invoke) and o.value.args[-1] == values[0]
    )
    answers = await chat.press(user, tap)
    for value in values[1:]:
        prompt = [m for m in answers if isinstance(m, ChoicePrompt)][-1]
        assert any(o.value == value for o in prompt.options)
        answers = await chat.press(user, value)
    return "\n".join(text_of(m) for m in answers)


async def test_the_whole_round_trip_across_six_months(chat: Chat) -> None:
    await _join_and_say_yes(chat, "alice")
    first = _last_prompt(chat, "alice")
    assert "1/4 How often do you feel that you lack companionship?" in first.text
    assert [o.label for o in first.options][:3] == ["Hardly ever", "Some of the time", "Often"]
    done = await _answer_round(chat, "alice", ("3", "3", "2", "4"))
    assert "Next time I ask is around" in done
    rounds = await _rounds(chat)
    assert [r.month for r in rounds] == [0, 1, 3, 6]
    assert (rounds[0].companionship, rounds[0].left_out, rounds[0].isolated) == (3, 3, 2)
    assert rounds[0].lonely == 4
    chat.clear()
    # Nothing more for the weeks in between.
    chat.clock.advance(timedelta(days=20))
    await chat.tick()
    assert _prompts(chat, "alice") == []
    # A month after joining: the follow-up, once.
    chat.clock.advance(timedelta(days=12))
    await chat.tick()
    await chat.tick()
    follow_up = _prompts(chat, "alice")
    assert len(follow_up) == 1
    assert "It has been 1 month since the first questions" in follow_up[0].text
    await _answer_round(chat, "alice", ("2", "2", "1", "3"))
    # Three and six months: the last round says so.
    chat.clock.advance(timedelta(days=62))
    await chat.tick()
    assert "It has been 3 months" in _last_prompt(chat, "alice").text
    await _answer_round(chat, "alice", ("1", "2", "1", "2"))
    chat.clock.advance(timedelta(days=95))
    await chat.tick()
    assert "It has been 6 months" in _last_prompt(chat, "alice").text
    assert "that was the last round" in await _answer_round(chat, "alice", ("1", "1", "1", "2"))
    assert all(r.status == "answered" for r in await _rounds(chat))


async def test_no_thanks_stores_nothing_and_never_asks_again(chat: Chat) -> None:
    await chat.say("bob", JOIN)
    await chat.tick()
    invite = _last_prompt(chat, "bob")
    answer = await chat.press("bob", invite.options[1].value)
    assert "no more questions" in text_of(answer[0])
    chat.clear()
    await chat.say("bob", "!meal list")
    chat.clock.advance(timedelta(days=200))
    await chat.tick()
    assert _prompts(chat, "bob") == []
    assert await _rounds(chat) == []


async def test_typed_answers_skips_and_a_wrong_word(chat: Chat) -> None:
    await _join_and_say_yes(chat, "cara")
    first = _last_prompt(chat, "cara")
    skip = next(o.value for o in first.options if o.label == "Skip this question")
    answers = await chat.press("cara", skip)
    assert "2/4 How often do you feel left out?" in text_of(answers[-1])
    assert "Tap one of the answers" in await chat.text("cara", "purple")
    await chat.say("cara", "often")
    await chat.say("cara", "1")
    await chat.say("cara", "skip")
    row = (await _rounds(chat))[0]
    assert (row.companionship, row.left_out, row.isolated, row.lonely) == (None, 3, 1, None)


async def test_not_this_time_and_the_window_closes_without_chasing(chat: Chat) -> None:
    await _join_and_say_yes(chat, "dan")
    not_now = _last_prompt(chat, "dan").options[-1]
    assert not_now.label == "Not this time"
    assert "nothing was kept" in text_of((await chat.press("dan", not_now.value))[0])
    chat.clear()
    chat.clock.advance(timedelta(days=31))
    await chat.tick()
    assert len(_prompts(chat, "dan")) == 1
    chat.clear()
    # Unanswered: no reminder, and the round is left out after its window.
    for _ in range(4):
        chat.clock.advance(timedelta(days=7))
        await chat.tick()
    assert _prompts(chat, "dan") == []
    assert [r.status for r in await _rounds(chat)][:2] == ["skipped", "missed"]


async def test_a_late_yes_starts_the_months_from_the_first_round(chat: Chat) -> None:
    await chat.say("eve", JOIN)
    await chat.tick()
    invite = _last_prompt(chat, "eve")
    # She says yes only weeks later: the month-one round counts from her first answers.
    chat.clock.advance(timedelta(days=29))
    await chat.press("eve", invite.options[0].value)
    rounds = await _rounds(chat)
    assert rounds[1].month == 1
    assert rounds[1].due_at - rounds[0].due_at >= timedelta(days=28)


async def test_never_more_than_once_a_week(chat: Chat) -> None:
    await _join_and_say_yes(chat, "una")
    await _answer_round(chat, "una", ("3", "2", "2", "4"))
    # A pulse (she also hosts meals) falls due two days later: it waits for the week.
    async with chat.app.uow() as uow:
        state = await uow.session.get(ImpactPerson, 1)
        assert state is not None
        uow.session.add(
            ImpactPulse(
                person_id=state.person_id,
                programme="meals",
                ref="meal:1",
                due_at=chat.clock.now() + timedelta(days=2),
            )
        )
        await uow.commit()
    chat.clear()
    chat.clock.advance(timedelta(days=2))
    await chat.tick()
    chat.clock.advance(timedelta(days=4))
    await chat.tick()
    assert _prompts(chat, "una") == []
    chat.clock.advance(timedelta(days=1, minutes=1))
    await chat.tick()
    assert len(_prompts(chat, "una")) == 1


async def test_crisis_words_set_the_round_aside_and_pause_the_questions(chat: Chat) -> None:
    await _join_and_say_yes(chat, "finn")
    await chat.press("finn", _last_prompt(chat, "finn").options[0].value)
    # In the middle of the round: crisis words are never an answer, and the round is set
    # aside rather than carried on.
    await chat.say("finn", "I want to kill myself")
    answers = await chat.text("finn", "1")
    assert "2/4" not in answers
    assert (await _rounds(chat))[0].left_out is None
    chat.clear()
    # Three weeks later, crisis words again: the one-month round waits out the pause.
    chat.clock.advance(timedelta(days=25))
    await chat.say("finn", "I want to kill myself")
    chat.clear()
    chat.clock.advance(timedelta(days=10))
    await chat.tick()
    assert _prompts(chat, "finn") == []
    assert "resting" in await chat.text("finn", "!impact")
    chat.clock.advance(timedelta(days=5))
    await chat.tick()
    assert "It has been 1 month" in _last_prompt(chat, "finn").text


async def test_mydata_shows_and_forget_erases_the_answers(chat: Chat) -> None:
    await _join_and_say_yes(chat, "gry")
    await _answer_round(chat, "gry", ("3", "2", "2", "4"))
    answers = await chat.say("gry", "!mydata")
    file = next(m for m in answers if isinstance(m, FileMessage))
    data = json.loads(file.content)
    assert data["impact"]["loneliness_rounds"][0]["companionship"] == 3
    assert data["impact"]["consent"]["consent"] == "yes"
    await chat.say("gry", "!forget")
    await chat.say("gry", "yes")
    assert await _rounds(chat) == []
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(ImpactPerson))).first() is None


async def test_impact_off_deletes_the_answers(chat: Chat) -> None:
    await _join_and_say_yes(chat, "hal")
    await _answer_round(chat, "hal", ("3", "2", "2", "4"))
    assert "deleted" in await chat.text("hal", "!impact off")
    assert await _rounds(chat) == []


async def test_a_volunteer_host_gets_a_pulse_after_the_meal(chat: Chat) -> None:
    answer = await chat.text("vera", '!meal schedule "Supper" tomorrow 18:00', role=Role.VOLUNTEER)
    assert "Supper" in answer
    await chat.tick()
    invite = _last_prompt(chat, "vera")
    assert "hosted" in invite.text
    await chat.press("vera", invite.options[0].value)
    chat.clear()
    chat.clock.advance(timedelta(days=1, hours=10))
    await chat.tick()
    await chat.tick()
    pulse = _last_prompt(chat, "vera")
    assert "Thank you for hosting Supper" in pulse.text
    answers = await chat.press("vera", pulse.options[3].value)
    assert "support" in text_of(answers[-1])
    await chat.press("vera", "named")
    done = await chat.text("vera", "2,5")
    assert "Your name will be on the organisers' list" in done
    async with chat.app.uow() as uow:
        row = (await uow.session.execute(select(ImpactPulse))).scalar_one()
        uow.session.expunge_all()
    assert (row.how, row.support, row.hours) == (4, "named", 2.5)


async def test_someone_elses_round_cannot_be_answered(chat: Chat) -> None:
    await _join_and_say_yes(chat, "ida")
    first = _last_prompt(chat, "ida")
    tap = first.options[2].value  # "impact answer <round> companionship 3"
    # Another person taps (or types) the same command: nothing is stored for Ida.
    await chat.say("jon", JOIN)
    answers = await chat.press("jon", tap)
    assert "no longer open" in text_of(answers[0])
    assert "no longer open" in await chat.text("jon", "!impact answer 1 left_out 3")
    assert (await _rounds(chat))[0].companionship is None


async def test_a_volunteer_buddy_gets_a_pulse_after_a_month(chat: Chat) -> None:
    from bot.buddies.models import BuddyPair
    from bot.db.models import Account

    await chat.say("vic", "!help", role=Role.VOLUNTEER)
    await chat.say("kim", "!help")
    async with chat.app.uow() as uow:
        ids = dict(
            (await uow.session.execute(select(Account.external_id, Account.person_id))).all()
        )
        uow.session.add(
            BuddyPair(
                participant_id=ids["kim"],
                partner_id=ids["vic"],
                kind="volunteer",
                status="active",
                proposed_at=chat.clock.now(),
                expires_at=chat.clock.now(),
                matched_at=chat.clock.now(),
            )
        )
        await uow.commit()
    await chat.press("vic", invoke("impact on"))
    chat.clear()
    chat.clock.advance(timedelta(days=29))
    await chat.tick()
    assert _prompts(chat, "vic") == []
    chat.clock.advance(timedelta(days=2))
    await chat.tick()
    await chat.tick()
    assert "You have been a buddy for 1 month" in _last_prompt(chat, "vic").text
    # Kim, who never said yes, is never asked anything.
    assert _prompts(chat, "kim") == []


async def test_answers_go_after_the_retention_period(chat: Chat) -> None:
    await _join_and_say_yes(chat, "lea")
    await _answer_round(chat, "lea", ("3", "2", "2", "4"))
    chat.clock.advance(timedelta(days=1096))
    await chat.tick()
    assert all(r.month != 0 for r in await _rounds(chat))


async def test_with_the_measure_off_nobody_is_asked(app_off: Chat) -> None:
    await app_off.say("max", JOIN)
    await app_off.tick()
    assert not any("four short questions" in t for t in app_off.inbox_texts("max"))
    assert "does not use the loneliness questions" in await app_off.text("max", "!impact")
    assert "does not use" in await app_off.text("max", "!impact on")
