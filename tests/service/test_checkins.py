"""checkin, consent, history, share, retention, statistics and personal data, end to end."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.checkins.models import CheckinEntry
from bot.core.events import ChoicePrompt, Direct, FileMessage, Room, TextMessage, invoke
from bot.core.tables import by_name
from bot.db.models import ConsentEvent, Person
from tests.helpers import Chat, text_of


async def _entries(chat: Chat) -> list[Any]:
    """The stored check-ins as plain rows (mood, note, source, created_at)."""
    async with chat.app.uow() as uow:
        result = await uow.session.execute(
            select(
                CheckinEntry.mood, CheckinEntry.note, CheckinEntry.source, CheckinEntry.created_at
            ).order_by(CheckinEntry.id)
        )
        return list(result.all())


async def _consent(chat: Chat, user: str) -> None:
    await chat.say(user, "!consent checkins on")


async def test_checkin_without_consent_asks_and_keeps_nothing(chat: Chat) -> None:
    answers = await chat.say("alice", "!checkin 4 a good walk today")
    prompt = answers[0]
    assert isinstance(prompt, ChoicePrompt)
    assert "may I keep your check-ins" in prompt.text
    assert "keep your note with it if you say yes" in prompt.text
    assert [o.value for o in prompt.options] == ["yes", "no"]
    assert await _entries(chat) == []
    # No thanks: still nothing, and no consent recorded.
    assert "haven't saved anything" in text_of(
        (await chat.press("alice", prompt.options[1].value))[0]
    )
    assert await _entries(chat) == []
    # Asked again and answered by typing "ja": the consent is logged, and the mood and
    # the note that waited with the question are kept.
    await chat.say("alice", "!checkin 4 a good walk today")
    assert "Please answer yes or no" in await chat.text("alice", "maybe")
    answers = await chat.say("alice", "ja")
    assert "I've noted: 4 · good" in text_of(answers[0])
    entries = await _entries(chat)
    assert [(e.mood, e.note) for e in entries] == [(4, "a good walk today")]
    async with chat.app.uow() as uow:
        log = (await uow.session.execute(select(ConsentEvent))).scalars().all()
        assert [(c.consent, c.given) for c in log] == [("checkins", True)]


async def test_checkin_with_a_number_and_note(chat: Chat) -> None:
    await _consent(chat, "alice")
    answer = await chat.text("alice", "!checkin 5 walked by the sea")
    assert "Thank you for checking in. I've noted: 5 · very good." in answer
    entries = await _entries(chat)
    assert [(e.mood, e.note, e.source) for e in entries] == [(5, "walked by the sea", "checkin")]
    assert entries[0].created_at == chat.clock.now()


async def test_checkin_without_a_number_offers_five_choices(chat: Chat) -> None:
    await _consent(chat, "alice")
    answers = await chat.say("alice", "!checkin")
    prompt = answers[0]
    assert isinstance(prompt, ChoicePrompt)
    assert [o.value for o in prompt.options] == [invoke("checkin", n) for n in range(1, 6)]
    assert prompt.options[0].label == "1 · very bad"
    answers = await chat.press("alice", prompt.options[2].value)
    assert "3 · okay" in text_of(answers[0])
    assert [e.mood for e in await _entries(chat)] == [3]


async def test_wrong_input_gets_one_line_and_nothing_is_saved(chat: Chat) -> None:
    await _consent(chat, "alice")
    answer = await chat.text("alice", "!checkin 9")
    assert answer.startswith("Choose a number from 1 to 5")
    assert "Type: !checkin [1-5] [note]" in answer
    answer = await chat.text("alice", "!checkin good")
    assert answer.startswith("Choose a number from 1 to 5")
    answer = await chat.text("alice", "!checkin 2 " + "x" * 501)
    assert "Your note is 501 characters; the most I can keep is 500" in answer
    assert len(answer.splitlines()) == 1
    assert await _entries(chat) == []


async def test_asked_in_a_room_the_answer_is_private(chat: Chat) -> None:
    await _consent(chat, "alice")
    answers = await chat.say("alice", "!checkin 4", room="lounge")
    assert answers[0].to == Direct("test", "alice")  # type: ignore[union-attr]
    assert "4 · good" in text_of(answers[0])
    assert answers[-1].to == Room("test", "lounge")  # type: ignore[union-attr]
    assert "private message" in text_of(answers[-1])
    assert all("4 · good" not in text_of(m) for m in answers if m.to == Room("test", "lounge"))  # type: ignore[union-attr]


async def test_danish_and_norwegian_words_work(chat: Chat) -> None:
    await chat.say("bo", "!sprog dansk")
    await chat.say("bo", "!samtykke checkins til")
    assert "Jeg har noteret: 4 · godt" in await chat.text("bo", "!tjekind 4")
    assert "Vælg et tal fra 1 til 5" in await chat.text("bo", "!tjekind 7")
    await chat.say("kari", "!språk norsk")
    await chat.say("kari", "!samtykke checkins på")
    assert "Jeg har notert: 2 · dårlig" in await chat.text("kari", "!innsjekk 2 tung dag")
    assert "Innsjekkene dine fra de siste 30 dagene (1)" in await chat.text(
        "kari", "!innsjekk historikk"
    )
    assert "hver dag kl. 08:30" in await chat.text("kari", "!innsjekk påminnelse daglig 08:30")
    assert "hver mandag, torsdag kl. 19:00" in await chat.text(
        "bo", "!tjekind påmind ugentligt man,tor 19.00"
    )


async def test_history_as_text_and_chart(chat: Chat) -> None:
    await _consent(chat, "alice")
    assert "haven't checked in during the last 30 days" in await chat.text(
        "alice", "!checkin history"
    )
    for mood in (2, 3, 4):
        await chat.say("alice", f"!checkin {mood} day {mood}")
        chat.clock.advance(timedelta(days=1))
    chat.clock.advance(timedelta(days=28))  # the first falls out of the 30 days
    answers = await chat.say("alice", "!checkin history")
    text = text_of(answers[0])
    assert "last 30 days (2)" in text
    assert "3 · okay — day 3" in text
    assert "day 2" not in text
    files = [m for m in answers if isinstance(m, FileMessage)]
    assert len(files) == 1
    assert files[0].mime_type == "image/png"
    assert files[0].content.startswith(b"\x89PNG")
    assert files[0].to == Room("test", "dm:alice")  # the DM the question came from


async def test_share_on_implies_storing_and_is_logged(chat: Chat) -> None:
    assert "volunteer is told" in await chat.text("alice", "!checkin share on")
    assert "already on" in await chat.text("alice", "!checkin share on")
    async with chat.app.uow() as uow:
        person = (await uow.session.execute(select(Person))).scalar_one()
        assert person.consent_checkins
        assert person.consent_share
    assert "Nobody else will be told" in await chat.text("alice", "!checkin share off")
    assert "Choose one of: on | off" in await chat.text("alice", "!checkin share maybe")
    async with chat.app.uow() as uow:
        log = (await uow.session.execute(select(ConsentEvent).order_by(ConsentEvent.id))).scalars()
        assert [(c.consent, c.given) for c in log] == [
            ("checkins", True),
            ("share", True),
            ("share", False),
        ]


async def test_retention_blanks_notes_then_deletes_values(chat: Chat) -> None:
    await _consent(chat, "alice")
    await chat.say("alice", "!checkin 3 old note")
    chat.clock.advance(timedelta(days=100))
    await chat.say("alice", "!checkin 4 recent note")
    await chat.tick()
    entries = await _entries(chat)
    assert [(e.mood, e.note) for e in entries] == [(3, None), (4, "recent note")]
    chat.clock.advance(timedelta(days=270))
    await chat.tick()
    entries = await _entries(chat)
    assert [(e.mood, e.note) for e in entries] == [(4, None)]


async def test_statistics_are_aggregates_only(chat: Chat) -> None:
    for user, mood in (("alice", 4), ("bob", 2), ("alice", 5)):
        await _consent(chat, user)
        await chat.say(user, f"!checkin {mood} secret words")
    provider = chat.app.services.registry.statistics["checkins"]
    async with chat.app.uow() as uow:
        tables = by_name(
            await provider(
                uow.session, chat.clock.now() - timedelta(days=7), chat.clock.now() + timedelta(1)
            )
        )
    assert tables["checkins_per_week"] == [{"week": "2026-W48", "checkins": 3, "people": 2}]
    assert tables["mood_distribution"] == [
        {"mood": 1, "count": 0},
        {"mood": 2, "count": 1},
        {"mood": 3, "count": 0},
        {"mood": 4, "count": 1},
        {"mood": 5, "count": 1},
    ]
    dumped = json.dumps(tables)
    assert "secret" not in dumped
    assert "alice" not in dumped.casefold()


async def test_mydata_and_forget_cover_checkins(chat: Chat) -> None:
    await chat.say("alice", "!checkin share on")
    await chat.say("alice", "!checkin 2 my own words")
    await chat.say("alice", "!checkin schedule daily 09:00")
    answers = await chat.say("alice", "!mydata")
    data = json.loads(next(m for m in answers if isinstance(m, FileMessage)).content)
    assert data["checkins"]["checkins"][0]["note"] == "my own words"
    assert data["checkins"]["reminder"]["local_time"] == "09:00"
    await chat.say("alice", "!forget")
    await chat.say("alice", "yes")
    async with chat.app.uow() as uow:
        count = await uow.session.execute(select(func.count()).select_from(CheckinEntry))
        assert count.scalar_one() == 0


async def test_the_entry_time_is_stored_in_utc(chat: Chat) -> None:
    chat.clock.set(datetime(2026, 7, 1, 22, 30, tzinfo=UTC))  # 00:30 local on 2 July
    await _consent(chat, "alice")
    await chat.say("alice", "!checkin 4")
    answer = await chat.text("alice", "!checkin history")
    assert "2 Jul 00:30" in answer
    assert isinstance((await chat.say("alice", "!help checkin"))[0], TextMessage)
