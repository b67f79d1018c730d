"""An erased person leaves nothing behind: every table, every outbox payload, every file.

The scan looks at every column of every table (JSON decoded), every outbox payload
decoded the way the deliverer would decode it (file contents base64-decoded), and
every file the bot wrote, for the person's platform ids, display names and words.
Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.adapters.console import ConsoleAdapter
from bot.app import App
from bot.config import Config, parse_config
from bot.core.events import FileMessage, MessageIn, Outgoing, Role, Room, Sender
from bot.db.models import OutboxItem
from bot.db.registry import all_metadata
from tests.conftest import UNLIMITED
from tests.helpers import Chat

SUBJECT = "zq7erin"  # display name "Zq7Erin"
NEEDLES = (SUBJECT, "Zq7Erin", "NOTE-7f3a", "REPORT-9c1", "ABOUT-4d2e")


def _strings(value: Any) -> Iterable[str]:
    """Every string inside a stored value, with base64 file contents decoded."""
    if value is None:
        return
    if isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            if key == "content" and isinstance(item, str):
                yield base64.b64decode(item).decode("utf-8", "replace")
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value
        with contextlib.suppress(ValueError):
            yield from _strings(json.loads(value))
    else:
        yield str(value)


def _files_with_needles(export_dir: Path | None) -> list[str]:
    found: list[str] = []
    if export_dir is not None and export_dir.exists():
        for path in export_dir.rglob("*"):
            found += [f"file name {path}" for n in NEEDLES if n in str(path)]
            if path.is_file():
                data = path.read_bytes().decode("utf-8", "replace")
                found += [f"file {path}: {n}" for n in NEEDLES if n in data]
    return found


async def leftovers(app: App, export_dir: Path | None = None) -> list[str]:
    """Where any needle is still found after erasure (every table, every file)."""
    found = _files_with_needles(export_dir)
    async with app.uow() as uow:
        for table in all_metadata().sorted_tables:
            for row in (await uow.session.execute(table.select())).mappings():
                for column, value in row.items():
                    for text in _strings(value):
                        found += [f"{table.name}.{column}: {n}" for n in NEEDLES if n in text]
    return found


async def test_forget_leaves_no_trace_of_undelivered_and_delivered_answers(chat: Chat) -> None:
    """Closed DMs: answers (a full mydata export, history with notes) wait in the outbox.

    After ``forget`` none of it is left or sent, and sent rows addressed to the
    person no longer carry what was said.
    """
    await chat.say("olga", "!help", role=Role.ORGANISER)
    await chat.say(SUBJECT, "!consent checkins on")
    await chat.say(SUBJECT, "!checkin 2 NOTE-7f3a my sister hit me again")
    await chat.say(SUBJECT, "!buddy report REPORT-9c1 someone was unkind")
    await chat.tick()  # the report reaches the organiser: a sent row naming the subject
    # A profile half answered: dialog state holds the answer.
    await chat.say(SUBJECT, "!consent buddies on")
    await chat.say(SUBJECT, "!buddy join languages=da")
    await chat.say(SUBJECT, "ABOUT-4d2e")
    # DMs close: answers wait in the outbox for a retry.
    chat.adapter.unreachable.update({SUBJECT, f"dm:{SUBJECT}"})
    await chat.say(SUBJECT, "!checkin history")
    await chat.say(SUBJECT, "!mydata")
    async with chat.app.uow() as uow:
        waiting = (
            await uow.session.execute(select(OutboxItem).where(OutboxItem.kind == "deferred_reply"))
        ).scalars()
        assert any("NOTE-7f3a" in "".join(_strings(r.payload)) for r in waiting)
    # One deferred answer goes out (DMs open briefly), then they close again.
    chat.adapter.unreachable.clear()
    chat.clock.advance(timedelta(minutes=2))
    await chat.tick()
    chat.adapter.unreachable.update({SUBJECT, f"dm:{SUBJECT}"})
    await chat.say(SUBJECT, "!checkin history")
    await chat.say(SUBJECT, "!mydata")

    await chat.say(SUBJECT, "!forget")
    await chat.say(SUBJECT, "yes")

    assert await leftovers(chat.app) == []
    # Nothing is sent to (or about) them afterwards.
    chat.adapter.unreachable.clear()
    chat.clear()
    chat.clock.advance(timedelta(minutes=5))
    await chat.tick()
    sent = json.dumps([repr(m) for m in chat.adapter.sent])
    assert not [n for n in NEEDLES if n in sent]


@pytest.fixture
def console_app(app: App, tmp_path: Path, config: Config) -> tuple[App, Path]:
    export_dir = tmp_path / "exports"
    console_config = parse_config(
        {
            "community": {"language": "en"},
            "safety": UNLIMITED,
            "console": {"export_dir": str(export_dir)},
        }
    )
    console = ConsoleAdapter(console_config, output=lambda _line: None)
    app.add_adapter(console)
    return app, export_dir


async def _console(app: App, user: str, text: str) -> list[Outgoing]:
    event = MessageIn(
        Sender("console", user, user.title()), Room("console", f"dm:{user}"), text, True
    )
    return await app.handle(event)


async def test_forget_deletes_the_files_the_bot_wrote_for_the_person(
    console_app: tuple[App, Path],
) -> None:
    app, export_dir = console_app
    await _console(app, SUBJECT, "!checkin 2 NOTE-7f3a")
    await _console(app, "other", "!checkin 4")
    await _console(app, SUBJECT, "!mydata")
    await _console(app, "other", "!mydata")
    assert await leftovers(app, export_dir) != []  # the export is on disk

    await _console(app, SUBJECT, "!forget")
    await _console(app, SUBJECT, "yes")

    assert await leftovers(app, export_dir) == []
    # Someone else's export is theirs to keep.
    assert list((export_dir / "other").glob("samvaer-mydata-*.json"))


async def test_a_room_name_cannot_put_files_outside_the_export_folder(
    console_app: tuple[App, Path],
) -> None:
    app, export_dir = console_app
    event = MessageIn(
        Sender("console", "olga", "Olga", Role.ORGANISER), Room("console", ".."), "!mydata", False
    )
    await app.handle(event)
    written = [p for p in export_dir.parent.rglob("*.json")]
    assert written
    assert all(export_dir in p.parents for p in written), written


async def test_mydata_shows_a_conversation_in_progress_and_messages_not_yet_delivered(
    chat: Chat,
) -> None:
    await chat.say(SUBJECT, "!consent checkins on")
    await chat.say(SUBJECT, "!checkin 2 NOTE-7f3a")
    await chat.say(SUBJECT, "!consent buddies on")
    await chat.say(SUBJECT, "!buddy join languages=da")
    await chat.say(SUBJECT, "ABOUT-4d2e")  # the interests question, answered
    chat.adapter.unreachable.add(f"dm:{SUBJECT}")
    await chat.say(SUBJECT, "!checkin history")
    chat.adapter.unreachable.clear()
    answers = await chat.say(SUBJECT, "!mydata")
    files = [m for m in answers if isinstance(m, FileMessage)]
    data = json.loads(files[0].content)
    assert data["dialogs_in_progress"][0]["name"].startswith("buddy")
    assert data["dialogs_in_progress"][0]["step"] == "contact"
    assert "languages" in json.dumps(data["dialogs_in_progress"][0]["data"])
    waiting = data["messages_waiting"]
    assert {w["kind"] for w in waiting} == {"deferred_reply"}
    assert any("NOTE-7f3a" in w["message"].get("text", "") for w in waiting)
    # A file waiting is described, not copied again.
    assert all(w["message"].get("content", "<").startswith("<") for w in waiting)
