"""Organisers' commands through the real dispatcher, on SQLite and PostgreSQL."""

import csv
import io
import logging
import re
import zipfile
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.events import FileMessage, Role, Room, TextMessage
from bot.core.outbox import enqueue
from bot.db.models import ConsentEvent, Dialog, EventClaim, OutboxItem, RoomBinding
from bot.organising.models import OrgLinkAttempt, OrgLinkCode
from tests.helpers import Chat

PNG = b"\x89PNG\r\n\x1a\n"


async def consent_changes(
    session: AsyncSession, since: datetime, until: datetime
) -> dict[str, list[dict[str, Any]]]:
    """A small provider over a real table: consent changes by kind."""
    rows = await session.execute(
        select(ConsentEvent.consent, func.count())
        .where(ConsentEvent.at > since, ConsentEvent.at <= until)
        .group_by(ConsentEvent.consent)
        .order_by(ConsentEvent.consent)
    )
    return {"consent_changes": [{"consent": c, "count": n} for c, n in rows.all()]}


async def meals_like(
    session: AsyncSession, since: datetime, until: datetime
) -> dict[str, list[dict[str, Any]]]:
    """A provider that (wrongly) includes a name and a note: they must never show."""
    return {
        "meal_feedback": [
            {"week": "2026-W47", "name": "Secret Sam", "note": "private words", "count": 2},
            {"week": "2026-W48", "count": 9, "avg_rating": 4.25},
        ],
        "meals_held": [],
    }


@pytest.fixture
def providers(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only our own providers, so these tests don't depend on other features."""
    registry = chat.app.services.registry
    monkeypatch.setattr(registry, "statistics", {"meals": meals_like, "consents": consent_changes})


def files_of(answers: list[Any]) -> list[FileMessage]:
    return [m for m in answers if isinstance(m, FileMessage)]


def texts_of(answers: list[Any]) -> str:
    return "\n".join(m.text for m in answers if isinstance(m, TextMessage))


async def test_admin_commands_need_an_organiser(chat: Chat) -> None:
    for line in ("!admin stats", "!admin export", "!admin room meals on", "!admin roles"):
        answer = await chat.text("alice", line, room="lounge")
        assert "that is for organisers" in answer
    assert "kun for arrangør" in await chat.text("bo", "!admin statistik", locale="da")
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(RoomBinding))).first() is None


async def test_bind_and_unbind_a_room(chat: Chat) -> None:
    org = {"role": Role.ORGANISER}
    answer = await chat.text("org", "!admin room meals on", room="kitchen", **org)
    assert "now used for shared meals" in answer
    assert "already used" in await chat.text("org", "!admin room meals on", room="kitchen")
    assert "now used for volunteers" in await chat.text(
        "org", "!admin rum frivillige til", room="helpers"
    )
    answer = await chat.text("org", "!admin rooms", room="kitchen")
    assert "• shared meals: test:kitchen (set with a command" in answer
    assert "← this room" in answer
    assert "• volunteers: test:helpers" in answer
    assert "• announcements: none yet" in answer
    assert "no longer used" in await chat.text("org", "!admin room meals off", room="kitchen")
    assert "was not used" in await chat.text("org", "!admin room meals off", room="kitchen")
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(RoomBinding))).scalars().all()
        assert [(r.room_id, r.feature) for r in rows] == [("helpers", "volunteers")]


async def test_room_binding_needs_a_room_and_a_known_feature(chat: Chat) -> None:
    assert "in the room you want to bind" in await chat.text(
        "org", "!admin room meals on", role=Role.ORGANISER
    )
    answer = await chat.text("org", "!admin room dinner on", room="kitchen")
    assert "no feature by that name" in answer
    assert "Type: !admin room announcements|meals|volunteers|organisers|checkins on|off" in answer
    answer = await chat.text("org", "!admin room meals maybe", room="kitchen")
    assert "Choose one of: on | off." in answer


async def test_config_wins_over_the_command(chat: Chat) -> None:
    config = parse_config(
        {"community": {"language": "en"}, "rooms": {"meals": ["test:kitchen", "matrix:!a:x.org"]}}
    )
    app = await bootstrap(
        config,
        clock=chat.clock,
        engine=chat.app.engine,
        adapters=[chat.adapter],
        migrate=False,
        translator=chat.app.services.translator,
    )
    configured = Chat(app, chat.adapter, chat.clock)
    org = {"role": Role.ORGANISER, "room": "kitchen"}
    assert "in config.toml" in await configured.text("org", "!admin room meals on", **org)
    answer = await configured.text("org", "!admin room meals off", room="kitchen")
    assert "the config wins" in answer
    answer = await configured.text("org", "!admin rooms", room="kitchen")
    assert "test:kitchen (config.toml); matrix:!a:x.org (config.toml) ← this room" in answer


async def test_roles_explains_who_and_why(chat: Chat) -> None:
    config = parse_config({"community": {"language": "en"}, "roles": {"organisers": ["test:org"]}})
    app = await bootstrap(
        config,
        clock=chat.clock,
        engine=chat.app.engine,
        adapters=[chat.adapter],
        migrate=False,
        translator=chat.app.services.translator,
    )
    roles_chat = Chat(app, chat.adapter, chat.clock)
    await roles_chat.say("vera", "!help", role=Role.VOLUNTEER)
    await roles_chat.say("alice", "!help")
    answers = await roles_chat.say("org", "!admin roles", role=Role.ORGANISER, room="office")
    answer = texts_of(answers)
    assert answers[0].to.__class__.__name__ == "Direct"
    assert "Organisers named in config.toml [roles]: test:org" in answer
    assert "Volunteers named in config.toml [roles]: nobody" in answer
    assert "• Org (test) — organiser: named in config.toml as “test:org”" in answer
    assert "• Vera (test) — volunteer: given by the platform" in answer
    assert "Everyone else (1 account)" in answer
    assert "Alice" not in answer


async def test_stats_give_a_summary_and_a_chart_without_names(chat: Chat, providers: None) -> None:
    for user in ("a", "b", "c", "d", "e", "f"):
        await chat.say(user, "!consent checkins on")
    await chat.say("a", "!consent buddies on")
    chat.clock.advance(timedelta(minutes=1))
    answers = await chat.say("org", "!admin stats", role=Role.ORGANISER)
    text = texts_of(answers)
    assert "Statistics for Samvær" in text
    assert "(30 days)" in text
    assert "*Shared meals*" in text
    assert "• Feedback on meals (1–5): 2026-W47: number <5, avg rating no answers yet · " in text
    assert "2026-W48: number 9, avg rating 4.25" in text
    assert "• Meals held: nothing in this period" in text
    assert "*Consents*" in text
    assert "• Consent changes: buddies: <5 · checkins: 6" in text
    for secret in ("Secret Sam", "private words"):
        assert secret not in text
    [chart] = files_of(answers)
    assert chart.content.startswith(PNG)
    assert chart.mime_type == "image/png"
    assert b"Secret Sam" not in chart.content


async def test_stats_in_danish_and_for_other_periods(chat: Chat, providers: None) -> None:
    answers = await chat.say("org", "!admin statistik 7", role=Role.ORGANISER, locale="da")
    text = texts_of(answers)
    assert "Statistik for Samvær" in text
    assert "(7 dage)" in text
    assert "Fællesspisning" in text
    assert files_of(answers)[0].caption == "Diagram over de sidste 7 dage"


async def test_stats_and_export_refuse_a_wrong_number_of_days(chat: Chat) -> None:
    for line in ("!admin stats abc", "!admin stats 0", "!admin export 99999"):
        answer = await chat.text("org", line, role=Role.ORGANISER)
        assert "number from 1 to 3660" in answer, line
        assert "Type: !admin" in answer


async def test_export_is_a_zip_of_csv_files(chat: Chat, providers: None) -> None:
    for user in ("a", "b", "c", "d", "e"):
        await chat.say(user, "!consent checkins on")
    chat.clock.advance(timedelta(minutes=1))
    answers = await chat.say("org", "!admin export 30", role=Role.ORGANISER)
    [archive_file] = files_of(answers)
    assert archive_file.filename.endswith("-30d.zip")
    assert "5 CSV files" in archive_file.caption
    archive = zipfile.ZipFile(io.BytesIO(archive_file.content))
    assert sorted(archive.namelist()) == [
        "consents-consent_changes.csv",
        "dictionary.csv",
        "shared_meals-feedback_on_meals_1_5.csv",
        "shared_meals-meals_held.csv",
        "summary.csv",
    ]
    feedback = list(
        csv.reader(io.StringIO(archive.read("shared_meals-feedback_on_meals_1_5.csv").decode()))
    )
    assert feedback == [
        ["Week", "Number", "Avg rating"],
        ["2026-W47", "<5", ""],
        ["2026-W48", "9", "4.25"],
    ]
    consents = list(csv.reader(io.StringIO(archive.read("consents-consent_changes.csv").decode())))
    assert consents == [["Consent", "Number"], ["checkins", "5"]]
    assert "empty" not in texts_of(answers)


async def test_export_without_data_is_valid_and_says_so(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat.app.services.registry, "statistics", {"consents": consent_changes})
    answers = await chat.say("org", "!admin eksport", role=Role.ORGANISER, locale="nb")
    assert "filene er tomme" in texts_of(answers)
    [archive_file] = files_of(answers)
    archive = zipfile.ZipFile(io.BytesIO(archive_file.content))
    assert archive.testzip() is None
    assert archive.read("consents-consent_changes.csv") == b""
    assert archive_file.filename.endswith("-365d.zip")


async def test_the_registered_feature_statistics_render(chat: Chat) -> None:
    """Whatever features are installed, stats and export work on an empty database."""
    answers = await chat.say("org", "!admin stats 365", role=Role.ORGANISER)
    assert "Statistics for" in texts_of(answers)
    assert files_of(answers)[0].content.startswith(PNG)
    answers = await chat.say("org", "!admin export", role=Role.ORGANISER)
    assert zipfile.ZipFile(io.BytesIO(files_of(answers)[0].content)).testzip() is None


async def test_daily_purge_removes_old_rows_and_logs_counts_only(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.say("alice", "!link")
    await chat.say("alice", "!link ZZZZ-ZZZZ")
    await chat.say("bob", "!forget")  # a dialog that will run out
    now = chat.clock.now()
    async with chat.app.uow() as uow:
        await enqueue(
            uow.session,
            TextMessage(Room("test", "lounge"), "old"),
            due_at=now,
            now=now,
            kind="test",
        )
        await uow.session.execute(OutboxItem.__table__.update().values(status="sent"))
        await uow.commit()
    await chat.tick()
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(OrgLinkCode))).first() is not None
    chat.clock.advance(timedelta(days=31))
    with caplog.at_level(logging.INFO, logger="samvaer.organising.retention"):
        await chat.tick()
    async with chat.app.uow() as uow:
        session = uow.session
        for model in (OrgLinkCode, OrgLinkAttempt, Dialog, OutboxItem, EventClaim):
            assert (await session.execute(select(model))).first() is None, model
    [record] = [r for r in caplog.records if r.name == "samvaer.organising.retention"]
    assert record.getMessage() == (
        "retention.purged link_codes=1 link_attempts=1 outbox=1 dialogs=1 event_claims=3"
    )


@pytest.mark.parametrize("lang", ["da", "nb"])
async def test_statistics_export_and_report_have_no_english(chat: Chat, lang: str) -> None:
    """The real features' tables, with data in them, in Danish and Norwegian."""
    from bot.organising.stats import collect, period
    from bot.organising.views import StatsView
    from tests.unit.test_catalogs import ENGLISH

    for user in ("a", "b", "c", "d", "e", "f"):
        await chat.say(user, "!consent checkins on")
        await chat.say(user, "!checkin 4")
    chat.clock.advance(timedelta(minutes=1))
    command = "!admin statistik" if lang == "da" else "!admin statistikk"
    answers = await chat.say("org", command, role=Role.ORGANISER, locale=lang)
    shown = texts_of(answers)
    assert "humør 4: 6" in shown
    answers = await chat.say("org", "!admin eksport", role=Role.ORGANISER, locale=lang)
    archive = zipfile.ZipFile(io.BytesIO(files_of(answers)[0].content))
    for name in archive.namelist():
        content = archive.read(name).decode()
        rows = list(csv.reader(io.StringIO(content)))
        if name == "forklaring.csv":
            shown += "\n" + content  # every word of the data dictionary
        elif rows:
            shown += "\n" + " ".join(rows[0])  # the header row
            shown += "\n" + " ".join(" ".join(row) for row in rows[1:])
    services = chat.app.services
    async with chat.app.uow() as uow:
        since, until = period(chat.clock.now(), 30)
        tables = await collect(uow.session, services.registry.statistics, since, until, 5)
    view = StatsView(services.translator, lang, "Europe/Copenhagen", "Samvær", 5)
    html = view.report(tables, since, until, until)
    html_text = re.sub(r"<style>.*</style>", " ", html, flags=re.DOTALL)
    shown += "\n" + re.sub(r"<[^>]+>|data:image/png;base64,[A-Za-z0-9+/=]+", " ", html_text)
    shown += "\n" + " ".join(archive.namelist())
    words = {w.casefold() for w in re.findall(r"[A-Za-zÆØÅæøå_]+", shown)}
    assert not words & ENGLISH, sorted(words & ENGLISH)
    assert "<th>Uge</th>" in html if lang == "da" else "<th>Uke</th>" in html
