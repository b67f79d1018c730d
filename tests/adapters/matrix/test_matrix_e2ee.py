"""End-to-end encryption on a real homeserver: a person with their own key store and the bot."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from bot.core.events import Direct, OpenPrivateSpace, TextMessage
from tests.adapters.matrix.conftest import DEADLINE, MatrixWorld

pytestmark = pytest.mark.synapse


class EncryptedPerson:
    """A nio client with encryption on and its own key store, as in a real Matrix app."""

    def __init__(self, world: MatrixWorld, name: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.account = world.synapse.register(f"{name}-{uuid.uuid4().hex[:6]}")
        self.client = AsyncClient(
            world.synapse.url,
            self.account.user_id,
            device_id=self.account.device_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        # restore_login opens the key store for this device.
        self.client.restore_login(
            self.account.user_id, self.account.device_id, self.account.access_token
        )
        self.messages: list[tuple[str, RoomMessageText | MegolmEvent]] = []

    async def sync(self) -> None:
        answer = await self.client.sync(timeout=500, full_state=False)
        if isinstance(answer, SyncResponse):
            for room_id, info in answer.rooms.join.items():
                self.messages += [
                    (room_id, event)
                    for event in info.timeline.events
                    if isinstance(event, RoomMessageText | MegolmEvent)
                ]
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())

    async def say_encrypted(self, room_id: str, text: str) -> None:
        sent = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": text},
            ignore_unverified_devices=True,
        )
        assert isinstance(sent, RoomSendResponse), sent

    def got(self, room_id: str, sender: str, needle: str) -> Callable[[], bool]:
        """A check: a decrypted message from ``sender`` in ``room_id`` containing ``needle``."""
        return lambda: any(
            room == room_id
            and isinstance(event, RoomMessageText)
            and event.sender == sender
            and needle in event.body
            for room, event in self.messages
        )

    def invited_to(self, room_id: str) -> Callable[[], bool]:
        """A check: the person has been invited to (or is already in) ``room_id``."""
        return lambda: room_id in self.client.invited_rooms or room_id in self.client.rooms

    async def until(self, done: Callable[[], bool], what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while not done():
            if loop.time() > deadline:
                raise AssertionError(f"{self.account.user_id} never saw {what}")
            await self.sync()


async def test_encrypted_dm_help_is_answered_encrypted(world: MatrixWorld) -> None:
    config = world.config(encryption=True)
    _app, adapter = await world.start_bot(config)
    assert adapter.client.olm is not None
    alice = EncryptedPerson(world, "alice", world.tmp_path / "alice-keys")
    await alice.sync()
    dm = await _encrypted_dm(world, alice)
    await alice.say_encrypted(dm, "!help")
    await alice.until(alice.got(dm, world.bot.user_id, "Here is what I can do"), "the help")
    reply = next(
        event
        for room, event in alice.messages
        if room == dm and isinstance(event, RoomMessageText) and event.sender == world.bot.user_id
    )
    # It arrived as m.room.encrypted and was decrypted by Alice's own keys.
    assert reply.decrypted
    assert not [
        event
        for room, event in alice.messages
        if room == dm and isinstance(event, MegolmEvent) and event.sender == world.bot.user_id
    ]
    await alice.client.close()


async def _encrypted_dm(world: MatrixWorld, person: EncryptedPerson) -> str:
    created = await person.client.room_create(
        invite=[world.bot.user_id],
        is_direct=True,
        preset=RoomPreset.trusted_private_chat,
        initial_state=[
            {
                "type": "m.room.encryption",
                "state_key": "",
                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
            }
        ],
    )
    assert isinstance(created, RoomCreateResponse), created

    def bot_joined() -> bool:
        room = person.client.rooms.get(created.room_id)
        return bool(room and world.bot.user_id in room.users and room.encrypted)

    await person.until(bot_joined, "the bot joining the encrypted room")
    return str(created.room_id)


async def test_restart_on_the_same_store_keeps_decrypting(world: MatrixWorld) -> None:
    config = world.config(encryption=True)
    _app, adapter = await world.start_bot(config)
    bob = EncryptedPerson(world, "bob", world.tmp_path / "bob-keys")
    await bob.sync()
    dm = await _encrypted_dm(world, bob)
    await bob.say_encrypted(dm, "!help")
    await bob.until(bob.got(dm, world.bot.user_id, "Here is what I can do"), "the help")
    await world.stop_bot(adapter)

    _app, restarted = await world.start_bot(config)
    assert restarted.client.device_id == adapter.client.device_id
    await bob.say_encrypted(dm, "!privacy")
    await bob.until(bob.got(dm, world.bot.user_id, "What I keep about you"), "privacy")
    await bob.client.close()


def _delete_key_stores(store: Path) -> int:
    """Lose nio's key database as a careless redeploy would; how many files went."""
    key_stores = list(store.glob("*.db"))
    for path in key_stores:
        path.unlink()
    return len(key_stores)


async def test_missing_key_store_on_restart_is_reported_at_start(
    world: MatrixWorld, caplog: pytest.LogCaptureFixture
) -> None:
    config = world.config(encryption=True)
    _app, adapter = await world.start_bot(config)
    await world.stop_bot(adapter)
    assert _delete_key_stores(Path(config.matrix.store_path))  # type: ignore[union-attr]
    with caplog.at_level(logging.ERROR, logger="samvaer.matrix"):
        await world.start_bot(config)
    assert "matrix.encryption_store_missing" in caplog.text


async def test_a_reminder_the_bot_writes_first_is_encrypted_and_readable(
    world: MatrixWorld,
) -> None:
    app, adapter = await world.start_bot(world.config(encryption=True))
    carl = EncryptedPerson(world, "carl", world.tmp_path / "carl-keys")
    await carl.sync()
    sent = await app.send(TextMessage(Direct("matrix", carl.account.user_id), "Meal at *18:00*"))
    assert sent.ok, sent.reason
    dm = sent.extra["room_id"]
    assert adapter.client.rooms[dm].encrypted

    await carl.until(carl.invited_to(dm), "the invitation")
    await carl.client.join(dm)
    await carl.until(carl.got(dm, world.bot.user_id, "Meal at 18:00"), "the reminder")
    assert all(
        event.decrypted
        for room, event in carl.messages
        if room == dm and isinstance(event, RoomMessageText)
    )
    await carl.client.close()


async def test_an_encrypted_buddy_space_introduction_is_readable_by_both(
    world: MatrixWorld,
) -> None:
    _app, adapter = await world.start_bot(world.config(encryption=True))
    dora = EncryptedPerson(world, "dora", world.tmp_path / "dora-keys")
    emil = EncryptedPerson(world, "emil", world.tmp_path / "emil-keys")
    for person in (dora, emil):
        await person.sync()
    members = (dora.account.user_id, emil.account.user_id)
    opened = await adapter.send(OpenPrivateSpace("matrix", members, "Buddies", "Say *hello*!"))
    assert opened.ok, opened.reason
    space = opened.value
    for person in (dora, emil):
        await person.until(person.invited_to(space), "the invitation")
        await person.client.join(space)
        await person.until(person.got(space, world.bot.user_id, "Say hello!"), "the intro")
        await person.client.close()


async def test_replies_after_the_room_key_is_rotated_still_decrypt(world: MatrixWorld) -> None:
    app, adapter = await world.start_bot(world.config(encryption=True))
    olm = adapter.client.olm
    assert olm is not None
    fay = EncryptedPerson(world, "fay", world.tmp_path / "fay-keys")
    await fay.sync()
    sent = await app.send(TextMessage(Direct("matrix", fay.account.user_id), "Meal at *18:00*"))
    assert sent.ok, sent.reason
    dm = sent.extra["room_id"]
    await fay.until(fay.invited_to(dm), "the invitation")
    await fay.client.join(dm)
    await fay.until(fay.got(dm, world.bot.user_id, "Meal at 18:00"), "the reminder")

    # nio retires a room key after max_messages (100) messages; used up here, the
    # next message must go out under a new key shared with Fay's device.
    session_ids = [olm.outbound_group_sessions[dm].id]
    olm.outbound_group_sessions[dm].max_messages = 1
    await fay.say_encrypted(dm, "!help")
    await fay.until(fay.got(dm, world.bot.user_id, "Here is what I can do"), "the help")
    session_ids.append(olm.outbound_group_sessions[dm].id)
    olm.outbound_group_sessions[dm].max_messages = 1
    sent = await app.send(TextMessage(Direct("matrix", fay.account.user_id), "Walk at *10:00*"))
    assert sent.ok, sent.reason
    await fay.until(fay.got(dm, world.bot.user_id, "Walk at 10:00"), "the reminder after")
    session_ids.append(olm.outbound_group_sessions[dm].id)

    assert len(set(session_ids)) == 3
    from_bot = [
        event for room, event in fay.messages if room == dm and event.sender == adapter.own_user_id
    ]
    assert not [event for event in from_bot if isinstance(event, MegolmEvent)]
    assert [event.session_id for event in from_bot] == session_ids
    await fay.client.close()
