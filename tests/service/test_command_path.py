"""The shared command path: "last seen" is kept roughly current without a write per message."""

from datetime import timedelta

from sqlalchemy import select

from bot.db.models import Account
from tests.helpers import Chat


async def _last_seen(chat: Chat, user: str) -> object:
    async with chat.app.uow() as uow:
        return await uow.session.scalar(
            select(Account.last_seen_at).where(Account.external_id == user)
        )


async def test_last_seen_is_refreshed_only_after_a_few_minutes(chat: Chat) -> None:
    await chat.say("alice", "!help")
    first = await _last_seen(chat, "alice")
    assert first == chat.clock.now()
    chat.clock.advance(timedelta(minutes=4))
    await chat.say("alice", "!help")
    assert await _last_seen(chat, "alice") == first
    chat.clock.advance(timedelta(minutes=2))
    await chat.say("alice", "!help")
    assert await _last_seen(chat, "alice") == chat.clock.now()
