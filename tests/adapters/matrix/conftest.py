"""A real Synapse for the whole session, fresh accounts per test, and helpers to drive them."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    RoomCreateResponse,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from bot.adapters.matrix import MatrixAdapter
from bot.app import App
from bot.bootstrap import bootstrap
from bot.config import Config, parse_config
from bot.core.clock import FakeClock
from bot.core.i18n import Translator
from bot.db.engine import make_engine
from tests.adapters.matrix.synapse import Account, Synapse
from tests.conftest import START

DEADLINE = 30.0  # seconds to wait for an expected event before failing


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """One homeserver for the session; a failure to start fails the tests with its log."""
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    yield server
    server.stop()


@dataclass
class MatrixUser:
    """A real Matrix client acting as a person, collecting what it sees."""

    account: Account
    client: AsyncClient
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    invites: list[str] = field(default_factory=list)

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def sync(self, timeout_ms: int = 500) -> None:
        answer = await self.client.sync(timeout=timeout_ms, full_state=False)
        if not isinstance(answer, SyncResponse):
            return
        for room_id, info in answer.rooms.join.items():
            self.events += [(room_id, event.source) for event in info.timeline.events]
        for room_id, info in answer.rooms.invite.items():
            if any(
                isinstance(e, InviteMemberEvent) and e.state_key == self.user_id
                for e in info.invite_state
            ):
                self.invites.append(room_id)

    async def wait_for(
        self, match: Callable[[str, dict[str, Any]], bool], what: str = "an event"
    ) -> tuple[str, dict[str, Any]]:
        """Sync until an event matching ``match`` is seen; fail after the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        checked = 0
        while True:
            for room_id, source in self.events[checked:]:
                if match(room_id, source):
                    return room_id, source
            checked = len(self.events)
            if loop.time() > deadline:
                raise AssertionError(f"{self.user_id} never saw {what}")
            await self.sync()

    async def wait_for_invite(self) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while not self.invites:
            if loop.time() > deadline:
                raise AssertionError(f"{self.user_id} was never invited")
            await self.sync()
        return self.invites.pop(0)

    async def say(self, room_id: str, text: str) -> str:
        answer = await self.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": text}
        )
        assert isinstance(answer, RoomSendResponse), answer
        return str(answer.event_id)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        answer = await self.client.room_send(room_id, "m.reaction", content)
        assert isinstance(answer, RoomSendResponse), answer
        return str(answer.event_id)

    async def vote(self, room_id: str, poll_id: str, answer: str) -> str:
        """Answer a poll as Element does (the unstable MSC3381 response)."""
        content = {
            "m.relates_to": {"rel_type": "m.reference", "event_id": poll_id},
            "org.matrix.msc3381.poll.response": {"answers": [answer]},
        }
        sent = await self.client.room_send(room_id, "org.matrix.msc3381.poll.response", content)
        assert isinstance(sent, RoomSendResponse), sent
        return str(sent.event_id)

    async def create_room(self, invite: list[str], *, direct: bool = False) -> str:
        answer = await self.client.room_create(
            invite=invite,
            is_direct=direct,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
        )
        assert isinstance(answer, RoomCreateResponse), answer
        return str(answer.room_id)

    async def wait_joined(self, room_id: str, user_id: str) -> None:
        await self.wait_for(
            lambda room, e: (
                room == room_id
                and e.get("type") == "m.room.member"
                and e.get("state_key") == user_id
                and e.get("content", {}).get("membership") == "join"
            ),
            f"{user_id} joining {room_id}",
        )


def text_from(source: dict[str, Any]) -> str:
    return str(source.get("content", {}).get("body", ""))


POLL_START = "org.matrix.msc3381.poll.start"


def bot_message(bot_id: str, room_id: str, needle: str) -> Callable[[str, dict[str, Any]], bool]:
    """A matcher for a message (or a poll, by its text) from the bot in ``room_id``
    containing ``needle``."""
    return lambda room, e: (
        room == room_id
        and e.get("sender") == bot_id
        and e.get("type") in ("m.room.message", POLL_START)
        and needle in text_from(e)
    )


def bot_poll(bot_id: str, room_id: str, needle: str) -> Callable[[str, dict[str, Any]], bool]:
    """A matcher for a poll from the bot in ``room_id`` whose question contains ``needle``."""
    return lambda room, e: (
        room == room_id
        and e.get("sender") == bot_id
        and e.get("type") == POLL_START
        and needle in e["content"][POLL_START]["question"]["org.matrix.msc1767.text"]
    )


@dataclass
class MatrixWorld:
    """The homeserver, a fresh bot account and a way to make people and bots."""

    synapse: Synapse
    bot: Account
    tmp_path: Path
    sqlite_template: Path
    translator: Translator
    monkeypatch: pytest.MonkeyPatch
    users: list[MatrixUser] = field(default_factory=list)
    running: list[tuple[App, MatrixAdapter, asyncio.Task[None]]] = field(default_factory=list)

    async def person(self, name: str) -> MatrixUser:
        account = self.synapse.register(f"{name}-{uuid.uuid4().hex[:6]}")
        client = AsyncClient(
            self.synapse.url,
            account.user_id,
            device_id=account.device_id,
            config=AsyncClientConfig(max_timeouts=20, backoff_factor=0.2),
        )
        client.access_token = account.access_token
        user = MatrixUser(account, client)
        await user.sync(timeout_ms=0)
        self.users.append(user)
        return user

    def config(self, store: str = "store", **matrix: Any) -> Config:
        env = f"SAMVAER_TEST_PW_{uuid.uuid4().hex[:6].upper()}"
        self.monkeypatch.setenv(env, self.bot.password)
        rooms = matrix.pop("rooms", {})
        roles = matrix.pop("roles", {})
        return parse_config(
            {
                "community": {"language": "en"},
                "matrix": {
                    "homeserver": self.synapse.url,
                    "user_id": self.bot.user_id,
                    "password_env": env,
                    "store_path": str(self.tmp_path / store),
                    **matrix,
                },
                "rooms": rooms,
                "roles": roles,
            }
        )

    async def start_bot(self, config: Config | None = None) -> tuple[App, MatrixAdapter]:
        """bootstrap() with the Matrix adapter on a SQLite file, synced once."""
        config = config or self.config()
        database = self.tmp_path / "samvaer.db"
        if not database.exists():
            shutil.copyfile(self.sqlite_template, database)
        adapter = MatrixAdapter(config, backoff=(1.0, 2.0))
        app = await bootstrap(
            config,
            clock=FakeClock(START),
            engine=make_engine(f"sqlite+aiosqlite:///{database}"),
            adapters=[adapter],
            migrate=False,
            translator=self.translator,
        )
        await adapter.connect()
        task = asyncio.create_task(adapter.start(app.on_event))
        self.running.append((app, adapter, task))
        await asyncio.wait_for(adapter.synced.wait(), DEADLINE)
        return app, adapter

    async def stop_bot(self, adapter: MatrixAdapter) -> None:
        for entry in list(self.running):
            app, running_adapter, task = entry
            if running_adapter is adapter:
                self.running.remove(entry)
                await app.close()
                await asyncio.wait_for(task, DEADLINE)

    async def close(self) -> None:
        for _app, adapter, _task in list(self.running):
            await self.stop_bot(adapter)
        for user in self.users:
            await user.client.close()


@pytest.fixture
async def world(
    synapse: Synapse,
    tmp_path: Path,
    sqlite_template: Path,
    translator: Translator,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[MatrixWorld]:
    bot = synapse.register(f"samvaer-{uuid.uuid4().hex[:6]}")
    made = MatrixWorld(synapse, bot, tmp_path, sqlite_template, translator, monkeypatch)
    yield made
    await made.close()
