"""Nothing a user types crashes the bot; a missing database still gets a kind answer."""

import asyncio
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.adapters.recording import RecordingAdapter
from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.core.events import Outgoing, SendResult
from bot.db.engine import make_engine
from tests.conftest import POSTGRES_URL, START, UNLIMITED
from tests.helpers import Chat, text_of


async def _chat(url: str, migrate: bool) -> Chat:
    config = parse_config({"community": {"language": "en"}, "safety": UNLIMITED})
    clock = FakeClock(START)
    adapter = RecordingAdapter("test")
    app = await bootstrap(
        config, clock=clock, engine=make_engine(url), adapters=[adapter], migrate=migrate
    )
    return Chat(app, adapter, clock)


COMMANDS = st.sampled_from(
    [
        "",
        "!",
        "!help",
        "!checkin",
        "!buddy",
        "!meal",
        "!admin",
        "!forget",
        "!language",
        "!consent",
        "!start",
        "!mydata",
        "!privacy",
        "cancel",
        "yes",
        "1",
        "!meal schedule",
    ]
)


def test_random_text_always_gets_an_answer_and_never_raises(tmp_path: Path) -> None:
    runner = asyncio.Runner()
    chat = runner.run(_chat(f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}", migrate=True))

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(head=COMMANDS, tail=st.text(max_size=80), user=st.sampled_from(["a", "b"]))
    def one_message(head: str, tail: str, user: str) -> None:
        answers = runner.run(chat.say(user, f"{head} {tail}".strip() or tail))
        assert answers, f"no answer to {head!r} {tail!r}"
        assert all(text_of(a) or a for a in answers)
        assert not any("went wrong" in text_of(a) for a in answers), answers

    try:
        one_message()
    finally:
        runner.run(chat.app.close())
        runner.close()


async def test_database_down_gets_try_again_and_crisis_lines_still_work() -> None:
    # Nothing listens on port 1: every connection is refused at once.
    chat = await _chat("postgresql+asyncpg://postgres@127.0.0.1:1/none", migrate=False)
    try:
        answer = await chat.text("alice", "!help")
        assert "try again in a moment" in answer
        answers = await chat.say("alice", "I want to kill myself")
        texts = [text_of(a) for a in answers]
        assert "70 201 201" in texts[0]
        assert "try again in a moment" in texts[1]
    finally:
        await chat.app.close()


async def test_crisis_lines_do_not_wait_for_a_database_that_hangs() -> None:
    # A server that takes connections and never answers: the driver waits for its
    # connect timeout, seconds in which a person in crisis would hear nothing.
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    chat = await _chat(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/none", migrate=False)
    try:
        first_send = asyncio.Event()
        record = chat.adapter.send

        async def send(message: Outgoing, delivery_key: str | None = None) -> SendResult:
            first_send.set()
            return await record(message, delivery_key)

        chat.adapter.send = send  # type: ignore[method-assign]
        answering = asyncio.ensure_future(chat.say("alice", "I want to kill myself", room="lounge"))
        await first_send.wait()  # the lines go out while the database still hangs
        assert not answering.done()
        lines, note = chat.adapter.sent[:2]
        assert "70 201 201" in text_of(lines)
        assert "I want" not in text_of(note)
        assert "70 201 201" not in text_of(note)
        for writer in held:  # the database gives up; the rest of the answer follows
            writer.close()
        server.close()
        answers = await answering
        texts = [text_of(a) for a in chat.adapter.sent]
        assert sum("70 201 201" in t for t in texts) == 1  # the lines are not repeated
        assert sum(bool(getattr(a, "private_answer_note", False)) for a in answers) == 1
        assert any("try again in a moment" in t for t in texts)
    finally:
        server.close()
        await chat.app.close()


async def test_a_flood_from_one_person_is_limited_and_others_are_not(
    engine: object, clock: FakeClock
) -> None:
    from datetime import timedelta

    from sqlalchemy.ext.asyncio import AsyncEngine

    assert isinstance(engine, AsyncEngine)
    config = parse_config({"community": {"language": "en"}})  # the default limits
    adapter = RecordingAdapter("test")
    app = await bootstrap(config, clock=clock, engine=engine, adapters=[adapter], migrate=False)
    chat = Chat(app, adapter, clock)
    answered = [await chat.say("flood", "!help") for _ in range(1000)]
    notices = [a for a in answered if a and "faster than I can keep up" in text_of(a[0])]
    assert sum(1 for a in answered if a and "Here is what I can do" in text_of(a[0])) == 10
    assert len(notices) == 1  # one polite notice, then silence
    assert "Here is what I can do" in await chat.text("calm", "!help")  # others unaffected
    crisis = await chat.say("flood", "I want to kill myself")
    assert "70 201 201" in text_of(crisis[0])  # the crisis path is never limited
    clock.advance(timedelta(minutes=1))
    assert "Here is what I can do" in await chat.text("flood", "!help")


@pytest.mark.postgres
async def test_a_connection_the_server_closed_costs_the_user_nothing(
    postgres_schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A database restart closes every pooled connection. There is no ping before each
    # use; the first statement finds out, and it is run once more.
    config = parse_config({"community": {"language": "en"}, "safety": UNLIMITED})
    adapter = RecordingAdapter("test")
    engine = make_engine(POSTGRES_URL, schema=postgres_schema)
    clock = FakeClock(START)
    app = await bootstrap(config, clock=clock, engine=engine, adapters=[adapter], migrate=False)
    chat = Chat(app, adapter, clock)
    admin = make_engine(POSTGRES_URL)
    try:
        assert "help" in (await chat.text("alice", "!help")).casefold()
        async with engine.connect() as connection:  # the pooled connection the bot uses
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with admin.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        caplog.set_level(logging.INFO, logger="samvaer")
        answer = await chat.text("alice", "!checkin 3")
        assert "try again" not in answer
        # The first statement of a message is claiming it (bot/core/claims.py).
        assert "event.claim_stale_connection_retry" in caplog.text
        assert "claim_failed" not in caplog.text
    finally:
        await admin.dispose()
        await app.close()
