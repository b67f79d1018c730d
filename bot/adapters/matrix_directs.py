"""Direct chats on Matrix: which room is private to the bot and one person, checked how.

A room is verified with the homeserver when first used and after any synced
state change; in between the live sync's view is trusted (see
:mod:`bot.adapters.matrix_trust` for the rule and its window).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import ClientResponse
from nio import (
    Api,
    DirectRoomsResponse,
    MatrixRoom,
    RoomCreateError,
    RoomCreateResponse,
    RoomGetStateError,
    RoomGetStateResponse,
    RoomPreset,
    SyncResponse,
)

from bot.adapters.matrix_client import DirectRoomsAnswer, MatrixClient
from bot.adapters.matrix_rules import facts_from_room, facts_from_state, private_with

log = logging.getLogger("samvaer.matrix")


class MatrixDirects(MatrixClient):
    """Direct chats: which room is private to the bot and one person, and opening new ones."""

    def _recorded_direct(self, room_id: str, user_id: str) -> bool:
        """The bot made the room as a direct chat with the person, or it is in ``m.direct``."""
        return self.state.directs.get(user_id) == room_id or room_id in self._marked.get(
            user_id, ()
        )

    def _is_direct(self, room: MatrixRoom, user_id: str) -> bool:
        """Whether what ``user_id`` writes in the room may be answered there privately.

        The same rule as for writing first: a recorded direct chat with that person
        that only the two of them were ever in. A room bound to a feature is never
        direct, however few people are in it.
        """
        if room.room_id in self._bound_rooms or not self._recorded_direct(room.room_id, user_id):
            return False
        facts = facts_from_room(
            room,
            self._creators.get(room.room_id, frozenset()),
            self._ever_members.get(room.room_id, ()),
        )
        return private_with(facts, self.own_user_id, user_id)

    async def direct_room(self, user_id: str) -> str | None:
        """A room private to the bot and ``user_id``.

        Only rooms the bot made as a direct chat with the person, or that are in
        the bot's ``m.direct`` for them (a direct chat the person opened), are
        candidates; and one is used only if nobody but the two was ever in it,
        nobody can join uninvited and its history is not public. That is asked of
        the homeserver unless an earlier answer still stands (no state change
        synced since, the sync live: see :mod:`bot.adapters.matrix_trust`).
        Otherwise a new direct chat is made.
        """
        lock = self._direct_locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            candidates = [self.state.directs.get(user_id, "")]
            if self._private_as_synced(candidates[0], user_id):
                return candidates[0]
            if not await self._private_now(candidates[0], user_id):
                await self._load_marked()
                candidates = [
                    room_id for room_id in self._marked.get(user_id, ()) if room_id != candidates[0]
                ]
                found = None
                for room_id in sorted(candidates):
                    if await self._private_now(room_id, user_id):
                        found = room_id
                        break
                if found is None:
                    created = await self._create_direct(user_id)
                    if created is None or not await self._private_now(created, user_id):
                        return None
                    found = created
                self.state.directs[user_id] = found
                self._saver.touch()
            return self.state.directs[user_id]

    def _private_as_synced(self, room_id: str, user_id: str) -> bool:
        """Private by a verification no synced change has ended, and by the synced room too."""
        if not room_id or room_id in self._bound_rooms:
            return False
        if not self._verified.trusted(room_id, user_id, self.monotonic(), self._watch):
            return False
        room = self.client.rooms.get(room_id)
        if room is None:
            return False
        facts = facts_from_room(
            room, self._creators.get(room_id, frozenset()), self._ever_members.get(room_id, ())
        )
        return private_with(facts, self.own_user_id, user_id)

    async def _private_now(self, room_id: str, user_id: str) -> bool:
        """Ask the homeserver for the room's state and check it is private to the two."""
        if not room_id or room_id in self._bound_rooms:
            return False
        generation = self._verified.generation(room_id)
        answer: RoomGetStateResponse | RoomGetStateError = await self.client.room_get_state(room_id)
        if not isinstance(answer, RoomGetStateResponse):
            return False
        private = private_with(facts_from_state(answer.events), self.own_user_id, user_id)
        if private:
            state_ids = [str(event.get("event_id", "")) for event in answer.events]
            self._verified.confirm(room_id, user_id, generation, self.monotonic(), state_ids)
        else:
            log.info("matrix.direct_refused room=%s", room_id)
        return private

    async def _load_marked(self) -> None:
        """Read the bot's ``m.direct`` account data (written only by the bot itself)."""
        answer: DirectRoomsAnswer = await self.client.list_direct_rooms()
        if isinstance(answer, DirectRoomsResponse):
            self._marked = {user: set(rooms) for user, rooms in answer.rooms.items()}

    async def _create_direct(self, user_id: str) -> str | None:
        initial_state: list[dict[str, Any]] = []
        if self.settings.encryption:
            initial_state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        created: RoomCreateResponse | RoomCreateError = await self._create_room(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            invite=[user_id],
            initial_state=initial_state,
        )
        if not isinstance(created, RoomCreateResponse):
            log.warning("matrix.direct_failed error=%s", getattr(created, "status_code", ""))
            return None
        log.info("matrix.direct_created room=%s", created.room_id)
        await self._mark_direct(user_id, created.room_id)
        if self.settings.encryption:
            await self._prepare_encrypted_room(created.room_id, [user_id])
        return str(created.room_id)

    async def _mark_direct(self, user_id: str, room_id: str) -> None:
        """Add the room to the bot's ``m.direct`` account data, as clients do.

        One at a time: two direct chats opened at once (a concurrent fan-out) would
        otherwise each read the list, add their own room and overwrite the other's.
        """
        async with self._marking:
            await self._mark_direct_now(user_id, room_id)

    async def _mark_direct_now(self, user_id: str, room_id: str) -> None:
        listed: DirectRoomsAnswer = await self.client.list_direct_rooms()
        if isinstance(listed, DirectRoomsResponse):
            directs = dict(listed.rooms)
        else:  # none yet, or not readable now: keep what is known rather than lose it
            directs = {user: sorted(rooms) for user, rooms in self._marked.items()}
        directs[user_id] = [*directs.get(user_id, []), room_id]
        self._marked.setdefault(user_id, set()).add(room_id)
        path = Api._build_path(["user", self.own_user_id, "account_data", "m.direct"])
        response: ClientResponse = await self.client.send(
            "PUT",
            path,
            Api.to_json(directs),
            {
                "Authorization": f"Bearer {self.client.access_token}",
                "Content-Type": "application/json",
            },
        )
        response.release()


def state_changed_rooms(response: SyncResponse) -> dict[str, list[str]]:
    """The state events of each room in the sync answer (room id -> event ids).

    A room the bot is no longer in counts as changed by an event no check has seen.
    """
    changed: dict[str, list[str]] = {room_id: [""] for room_id in response.rooms.leave}
    for room_id, info in response.rooms.join.items():
        ids = [
            str(event.source.get("event_id", ""))
            for event in [*info.state, *info.timeline.events]
            if "state_key" in event.source
        ]
        if ids:
            changed[room_id] = ids
    return changed
