"""link / unlink through the real dispatcher, on SQLite and PostgreSQL."""

import json
import re
from datetime import timedelta

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    select,
)

from bot.adapters.recording import RecordingAdapter
from bot.core.events import FileMessage, MessageIn, Outgoing, Room, Sender
from bot.db.models import Account, ConsentEvent, Person
from bot.db.registry import all_metadata
from bot.organising.linking import merge_people, person_references
from bot.organising.models import OrgLinkAttempt, OrgLinkCode
from tests.helpers import Chat, text_of

OTHER = "console"


async def say_on(chat: Chat, user: str, text: str) -> str:
    """``user`` writes on the other platform, in a direct message."""
    event = MessageIn(Sender(OTHER, user, user.title()), Room(OTHER, f"dm:{user}"), text, True)
    answers: list[Outgoing] = await chat.app.handle(event)
    return "\n".join(text_of(m) for m in answers)


def code_in(text: str) -> str:
    match = re.search(r"\*([A-Z2-9]{4}-[A-Z2-9]{4})\*", text)
    assert match, text
    return match.group(1)


async def people(chat: Chat) -> list[tuple[int, list[str]]]:
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(Account).order_by(Account.id))).scalars()
        grouped: dict[int, list[str]] = {}
        for account in rows:
            grouped.setdefault(account.person_id, []).append(
                f"{account.platform}:{account.external_id}"
            )
    return sorted(grouped.items())


async def linked(chat: Chat) -> None:
    chat.app.add_adapter(RecordingAdapter(OTHER))
    await chat.say("alice", "!consent checkins on")
    await say_on(chat, "ally", "!consent buddies on")
    answer = await chat.text("alice", "!link")
    assert "10 minutes" in answer
    asked = await say_on(chat, "ally", f"!link {code_in(answer).lower()}")
    assert "test account “Alice”" in asked
    assert "answer yes on your test account" in await say_on(chat, "ally", "yes")
    reply = await chat.text("alice", "!link yes")
    assert "your accounts are joined" in reply
    assert "test (Alice)" in reply
    assert "console (Ally)" in reply


async def test_link_joins_two_accounts_into_one_person(chat: Chat) -> None:
    await linked(chat)
    assert [accounts for _, accounts in await people(chat)] == [["test:alice", "console:ally"]]
    async with chat.app.uow() as uow:
        consents = (await uow.session.execute(select(ConsentEvent.consent))).scalars().all()
        person = (await uow.session.execute(select(Person))).scalar_one()
        assert sorted(consents) == ["buddies", "checkins"]
        assert person.consent_checkins
        # The code is used up: only a hash was ever stored, and now not even that.
        assert (await uow.session.execute(select(OrgLinkCode))).first() is None
    answers = await chat.say("alice", "!mydata")
    data = json.loads(next(m for m in answers if isinstance(m, FileMessage)).content)
    assert {a["external_id"] for a in data["accounts"]} == {"alice", "ally"}
    assert {c["consent"] for c in data["consent_log"]} == {"checkins", "buddies"}


async def test_only_the_hash_of_a_code_is_stored(chat: Chat) -> None:
    code = code_in(await chat.text("alice", "!link"))
    async with chat.app.uow() as uow:
        stored = (await uow.session.execute(select(OrgLinkCode))).scalar_one()
        assert code.replace("-", "") not in stored.code_hash
        assert stored.expires_at == chat.clock.now() + timedelta(minutes=10)
    # A new code replaces the old one.
    await chat.say("alice", "!link")
    chat.app.add_adapter(RecordingAdapter(OTHER))
    assert "wrong or has run out" in await say_on(chat, "ally", f"!link {code}")


async def test_forget_after_linking_erases_both_accounts(chat: Chat) -> None:
    await linked(chat)
    await chat.say("bob", "!consent checkins on")
    await say_on(chat, "ally", "!forget")
    assert "erased" in await say_on(chat, "ally", "yes")
    assert [accounts for _, accounts in await people(chat)] == [["test:bob"]]
    async with chat.app.uow() as uow:
        for table in all_metadata().sorted_tables:
            for row in (await uow.session.execute(table.select())).all():
                dumped = json.dumps([str(v) for v in row])
                assert "alice" not in dumped, (table.name, row)
                assert "ally" not in dumped, (table.name, row)


async def test_expired_and_own_codes_are_refused(chat: Chat) -> None:
    chat.app.add_adapter(RecordingAdapter(OTHER))
    code = code_in(await chat.text("alice", "!link"))
    assert "code for this account" in await chat.text("alice", f"!link {code}")
    chat.clock.advance(timedelta(minutes=10, seconds=1))
    answer = await say_on(chat, "ally", f"!link {code}")
    assert "wrong or has run out" in answer
    assert "Tries left this hour: 4" in answer
    assert len(await people(chat)) == 2


async def test_a_malformed_code_is_explained_and_not_counted(chat: Chat) -> None:
    answer = await chat.text("alice", "!link 12")
    assert "8 letters and numbers" in answer
    assert "Type: !link [code]" in answer
    async with chat.app.uow() as uow:
        assert (await uow.session.execute(select(OrgLinkAttempt))).first() is None


async def test_wrong_codes_are_rate_limited_per_hour(chat: Chat) -> None:
    chat.app.add_adapter(RecordingAdapter(OTHER))
    code = code_in(await chat.text("alice", "!link"))
    for left in (4, 3, 2, 1, 0):
        answer = await say_on(chat, "ally", "!link ZZZZ-ZZZZ")
        assert f"Tries left this hour: {left}" in answer
        chat.clock.advance(timedelta(minutes=1))
    answer = await say_on(chat, "ally", f"!link {code}")
    assert "too many wrong codes" in answer
    assert "11:00" in answer  # an hour after the first wrong try, in Copenhagen time
    assert len(await people(chat)) == 2
    chat.clock.advance(timedelta(minutes=56))
    code = code_in(await chat.text("alice", "!link"))
    assert "test account “Alice”" in await say_on(chat, "ally", f"!link {code}")


async def test_two_accounts_on_the_same_platform_are_not_joined(chat: Chat) -> None:
    code = code_in(await chat.text("alice", "!link"))
    answer = await chat.text("alice2", f"!link {code}")
    assert "one account per platform" in answer
    assert len(await people(chat)) == 2


async def test_unlink_splits_off_the_account_and_takes_back_what_it_brought(chat: Chat) -> None:
    await linked(chat)
    answer = await say_on(chat, "ally", "!unlink")
    assert "console account is on its own again" in answer
    assert "test (Alice)" in answer
    groups = await people(chat)
    assert [accounts for _, accounts in groups] == [["test:alice"], ["console:ally"]]
    async with chat.app.uow() as uow:
        consents = (
            await uow.session.execute(select(ConsentEvent.person_id, ConsentEvent.consent))
        ).all()
        assert sorted(consents) == [(groups[0][0], "checkins"), (groups[1][0], "buddies")]
    assert "nothing to separate" in await say_on(chat, "ally", "!unlink")
    assert "nothing to separate" in await chat.text("alice", "!frakobl")


async def test_merge_keeps_the_targets_row_on_a_unique_clash(chat: Chat) -> None:
    """Generic over any table: a feature's one-row-per-person table keeps the target's row."""
    metadata = MetaData()
    Person.__table__.to_metadata(metadata)
    profiles = Table(
        "zz_profiles",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
        Column("kind", String(8), nullable=False),
        Column("value", String(8)),
        UniqueConstraint("person_id", "kind"),
    )
    refs = person_references([profiles])
    assert [(r.column.name, r.unique_sets) for r in refs] == [
        ("person_id", (("person_id", "kind"),))
    ]
    await chat.say("alice", "!start")
    await chat.say("bob", "!start")
    async with chat.app.engine.begin() as connection:
        await connection.run_sync(lambda sync: profiles.create(sync))
    try:
        async with chat.app.uow() as uow:
            session = uow.session
            alice, bob = (await session.execute(select(Person.id).order_by(Person.id))).scalars()
            await session.execute(
                profiles.insert(),
                [
                    {"person_id": alice, "kind": "a", "value": "alice-a"},
                    {"person_id": bob, "kind": "a", "value": "bob-a"},
                    {"person_id": bob, "kind": "b", "value": "bob-b"},
                ],
            )
            moved = await merge_people(
                session,
                source_id=bob,
                target_id=alice,
                references=[*person_references(), *refs],
            )
            await uow.commit()
            assert moved >= 2  # bob's account and his "b" profile
            rows = (await session.execute(select(profiles.c.person_id, profiles.c.value))).all()
            assert sorted(rows) == [(alice, "alice-a"), (alice, "bob-b")]
            assert await session.get(Person, bob) is None
    finally:
        async with chat.app.engine.begin() as connection:
            await connection.run_sync(lambda sync: profiles.drop(sync))
