"""Joining accounts needs both accounts' yes; each is shown whose the other is; unlink gives back.

A code passed to someone else ("type !link K7QX-3MPA to get the meal calendar")
must not hand their history to the code's maker.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from bot.adapters.recording import RecordingAdapter
from bot.checkins.models import CheckinEntry
from bot.core.events import (
    ChoiceIn,
    ChoicePrompt,
    Direct,
    FileMessage,
    MessageIn,
    Outgoing,
    Room,
    Sender,
    invoke,
)
from bot.db.models import Account
from tests.helpers import Chat, text_of

OTHER = "console"


async def on_other(chat: Chat, user: str, text: str) -> list[Outgoing]:
    event = MessageIn(Sender(OTHER, user, user.title()), Room(OTHER, f"dm:{user}"), text, True)
    return await chat.app.handle(event)


def code_in(text: str) -> str:
    match = re.search(r"\*([A-Z2-9]{4}-[A-Z2-9]{4})\*", text)
    assert match, text
    return match.group(1)


async def people(chat: Chat) -> list[list[str]]:
    async with chat.app.uow() as uow:
        rows = (await uow.session.execute(select(Account).order_by(Account.id))).scalars()
        grouped: dict[int, list[str]] = {}
        for account in rows:
            grouped.setdefault(account.person_id, []).append(
                f"{account.platform}:{account.external_id}"
            )
    return sorted(grouped.values())


def texts(answers: list[Outgoing]) -> str:
    return "\n".join(text_of(m) for m in answers)


async def test_a_typed_code_joins_nothing_until_its_maker_says_yes(chat: Chat) -> None:
    chat.app.add_adapter(other := RecordingAdapter(OTHER))
    # Mallory (on console) makes a code and talks Alice (on test) into typing it.
    code = code_in(texts(await on_other(chat, "mallory", "!link")))
    await chat.say("alice", "!consent checkins on")
    await chat.say("alice", "!checkin 1 PRIVATE-NOTE")
    answers = await chat.say("alice", f"!link {code}")
    prompt = next(m for m in answers if isinstance(m, ChoicePrompt))
    # Alice sees whose account it is before anything happens.
    assert "console" in prompt.text
    assert "Mallory" in prompt.text
    assert await people(chat) == [["console:mallory"], ["test:alice"]]
    # Alice declines: nothing joined, Mallory is asked nothing.
    assert "nothing was joined" in await chat.text("alice", "no")
    assert await people(chat) == [["console:mallory"], ["test:alice"]]
    assert not other.sent[1:]
    # Even if Alice says yes, Mallory's own "yes" on the console is needed — and a
    # "yes" from Alice's side cannot stand in for it.
    await chat.say("alice", f"!link {code}")
    assert "answer yes on your console account" in await chat.text("alice", "yes")
    assert "no link waiting" in await chat.text("alice", "!link yes")
    assert await people(chat) == [["console:mallory"], ["test:alice"]]
    asked = [m for m in other.sent if isinstance(m, ChoicePrompt)]
    assert asked
    assert asked[-1].to == Direct(OTHER, "mallory")
    assert "test account “Alice”" in asked[-1].text
    # Mallory's account answers no (it was not really hers to join): nothing merges.
    await chat.app.handle(
        ChoiceIn(
            Sender(OTHER, "mallory", "Mallory"),
            Room(OTHER, "dm:mallory"),
            invoke("link", "no"),
            True,
        )
    )
    assert await people(chat) == [["console:mallory"], ["test:alice"]]
    assert "said no" in "\n".join(chat.inbox_texts("alice"))
    # The code is spent.
    assert "wrong or has run out" in await chat.text("alice", f"!link {code}")


async def test_both_yes_joins_and_both_accounts_are_told(chat: Chat) -> None:
    chat.app.add_adapter(other := RecordingAdapter(OTHER))
    code = code_in(await chat.text("alice", "!link"))
    prompt = texts(await on_other(chat, "ally", f"!link {code}"))
    assert "test account “Alice”" in prompt
    assert "answer yes on your test account" in texts(await on_other(chat, "ally", "ja"))
    assert await people(chat) == [["console:ally"], ["test:alice"]]
    asked = next(m for m in reversed(chat.inbox("alice")) if isinstance(m, ChoicePrompt))
    assert "console account “Ally”" in asked.text
    yes = next(o.value for o in asked.options if o.label == "Yes")
    answers = await chat.press("alice", yes)
    assert "your accounts are joined" in texts(answers)
    assert await people(chat) == [["test:alice", "console:ally"]]
    told = [text_of(m) for m in other.sent if getattr(m, "to", None) == Direct(OTHER, "ally")]
    assert any("your accounts are joined" in t for t in told)


async def test_unlink_gives_back_what_the_joining_account_brought(chat: Chat) -> None:
    chat.app.add_adapter(RecordingAdapter(OTHER))
    await chat.say("alice", "!consent checkins on")
    await chat.say("alice", "!checkin 4 ALICE-NOTE")
    await on_other(chat, "ally", "!consent checkins on")
    await on_other(chat, "ally", "!checkin 2 ALLY-NOTE")
    code = code_in(await chat.text("alice", "!link"))
    await on_other(chat, "ally", f"!link {code}")
    await on_other(chat, "ally", "yes")
    await chat.say("alice", "!link yes")
    assert await people(chat) == [["test:alice", "console:ally"]]
    # The code's maker asks to separate: the account that joined leaves with its own.
    answer = await chat.text("alice", "!unlink")
    assert "console (Ally)" in answer
    assert await people(chat) == [["console:ally"], ["test:alice"]]
    mine = await chat.say("alice", "!mydata")
    data = json.loads(next(m for m in mine if isinstance(m, FileMessage)).content)
    dumped = json.dumps(data)
    assert "ALICE-NOTE" in dumped
    assert "ALLY-NOTE" not in dumped
    async with chat.app.uow() as uow:
        notes = dict(
            (
                await uow.session.execute(
                    select(CheckinEntry.note, Account.external_id).join(
                        Account, Account.person_id == CheckinEntry.person_id
                    )
                )
            ).all()
        )
    assert notes == {"ALICE-NOTE": "alice", "ALLY-NOTE": "ally"}
