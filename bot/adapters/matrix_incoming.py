"""Incoming Matrix events: the sender's role, what counts as direct, and the core event meant."""

from __future__ import annotations

import logging

from nio import (
    MatrixRoom,
    MegolmEvent,
    ReactionEvent,
    RoomGetStateEventResponse,
    RoomMemberEvent,
    RoomMessageText,
    UnknownBadEvent,
    UnknownEvent,
)

from bot.adapters.base import EventHandler
from bot.adapters.matrix_client import NETWORK_ERRORS, PLATFORM, RoomEvent, StateEventAnswer
from bot.adapters.matrix_polls import POLL_RESPONSE_TYPES, answer_number, poll_vote
from bot.adapters.matrix_rules import (
    CREATOR_LEVEL,
    creators_outrank_all,
    edited_text,
    may_answer,
    option_number,
    power_level_of,
    role_from,
    strip_reply_fallback,
    typed_option,
)
from bot.adapters.matrix_send import MatrixSending
from bot.core.events import (
    Action,
    ChoiceIn,
    Incoming,
    MemberJoined,
    MessageIn,
    Role,
    Room,
    Sender,
    TextMessage,
)

log = logging.getLogger("samvaer.matrix")


class MatrixIncoming(MatrixSending):
    """Matrix events in: who wrote, in what role, and the core event they mean."""

    def _sender(self, room: MatrixRoom, user_id: str) -> Sender:
        name = room.user_name(user_id) or user_id
        return Sender(PLATFORM, user_id, name, self._synced_role(user_id))

    def _role(self, user_id: str, power_level: int) -> Role:
        roles = self._config.roles
        return role_from(
            user_id,
            organisers=roles.organisers,
            volunteers=roles.volunteers,
            power_level=power_level,
            organiser_level=self.settings.organiser_power_level,
            volunteer_level=self.settings.volunteer_power_level,
        )

    def _synced_role(self, user_id: str) -> Role:
        """The role from the config lists and the levels in bound rooms, as last synced."""
        level = 0
        for room_id in self._bound_rooms:
            level = max(level, self._synced_level(room_id, user_id))
        return self._role(user_id, level)

    def _synced_level(self, room_id: str, user_id: str) -> int:
        """The level in a bound room; someone who is no longer joined there has none."""
        bound = self.client.rooms.get(room_id)
        if bound is None or user_id not in bound.users or user_id in bound.invited_users:
            return 0
        if self._outranks_all(room_id, bound, user_id):
            return CREATOR_LEVEL
        return int(bound.power_levels.get_user_level(user_id))

    def _outranks_all(self, room_id: str, bound: MatrixRoom, user_id: str) -> bool:
        return user_id in self._creators.get(room_id, ()) and creators_outrank_all(
            bound.room_version
        )

    async def current_role(self, user_id: str) -> Role | None:
        """The role someone holds right now: config lists and levels asked of the homeserver.

        Asked before an alert or a confidential report goes out, so someone whose
        power level was lowered, or who left the bound rooms, stops getting them
        at once, without waiting for the next sync.
        """
        if not self.synced.is_set():
            return None  # starting up: the rooms are not known yet, so the message waits
        level = 0
        for room_id in sorted(self._bound_rooms):
            level = max(level, await self._level_now(room_id, user_id))
        return self._role(user_id, level)

    async def _level_now(self, room_id: str, user_id: str) -> int:
        bound = self.client.rooms.get(room_id)
        if bound is None:  # the bot is not in that room: it gives nobody a role
            return 0
        try:
            member: StateEventAnswer = await self.client.room_get_state_event(
                room_id, "m.room.member", user_id
            )
            levels: StateEventAnswer = await self.client.room_get_state_event(
                room_id, "m.room.power_levels"
            )
        except NETWORK_ERRORS:
            return self._synced_level(room_id, user_id)
        if isinstance(member, RoomGetStateEventResponse):
            if member.content.get("membership") != "join":
                return 0
        elif getattr(member, "status_code", "") == "M_NOT_FOUND":
            return 0  # never a member
        else:
            return self._synced_level(room_id, user_id)
        if self._outranks_all(room_id, bound, user_id):
            return CREATOR_LEVEL
        if not isinstance(levels, RoomGetStateEventResponse):
            return self._synced_level(room_id, user_id)
        return power_level_of(levels.content, user_id)

    def _translate(self, event: RoomEvent, room: MatrixRoom) -> Incoming | None:
        """The core event for a Matrix event, or None when it means nothing to the bot."""
        is_direct = self._is_direct(room, getattr(event, "sender", ""))
        core_room = Room(PLATFORM, room.room_id)
        if isinstance(event, RoomMessageText):
            text = event.body
            content = event.source.get("content", {})
            sender = self._sender(room, event.sender)
            edited = edited_text(content)
            if edited is not None:
                # An edit: its new text is checked for crisis words, and never run.
                return MessageIn(sender, core_room, edited, is_direct, event.event_id, is_edit=True)
            relates = content.get("m.relates_to", {})
            if isinstance(relates, dict) and "m.in_reply_to" in relates:
                text = strip_reply_fallback(text)
            choice = self._typed_choice(room.room_id, event.sender, text)
            if choice is not None:
                return ChoiceIn(sender, core_room, choice, is_direct, event.event_id)
            return MessageIn(sender, core_room, text, is_direct, event.event_id)
        if isinstance(event, ReactionEvent):
            # Prompts sent before polls carried number reactions; those still answer.
            value = self._picked(room.room_id, event.sender, event.reacts_to, event.key)
            if value is None:
                return None
            sender = self._sender(room, event.sender)
            return ChoiceIn(sender, core_room, value, is_direct, event.event_id)
        if isinstance(event, UnknownEvent) and event.type in POLL_RESPONSE_TYPES:
            vote = poll_vote(event.source.get("content", {}))
            if vote is None:
                return None
            value = self._picked(room.room_id, event.sender, *vote, from_poll=True)
            if value is None:
                return None
            sender = self._sender(room, event.sender)
            return ChoiceIn(sender, core_room, value, is_direct, event.event_id)
        if (
            isinstance(event, RoomMemberEvent)
            and event.membership == "join"
            and event.prev_membership != "join"
        ):
            return MemberJoined(self._sender(room, event.state_key), core_room)
        return None

    def _picked(
        self, room_id: str, user_id: str, prompt_id: str, key: str, *, from_poll: bool = False
    ) -> Action | None:
        """The value of the option a reaction key or poll answer picks, if it may answer."""
        prompt = self.state.prompt(room_id, prompt_id)
        if prompt is None or not may_answer(prompt, user_id, typed=False):
            return None
        count = len(prompt.options)
        number = answer_number(key, count) if from_poll else option_number(key)
        if number is None or number > count:
            return None
        return prompt.options[number - 1].value

    def _typed_choice(self, room_id: str, user_id: str, text: str) -> Action | None:
        """A typed number answering the room's latest prompt, as that option's value."""
        prompt_id = self.state.typed.get(room_id)
        prompt = self.state.prompt(room_id, prompt_id) if prompt_id else None
        if prompt is None or not may_answer(prompt, user_id, typed=True):
            return None
        picked = typed_option(text, [option.label for option in prompt.options])
        # Whatever the person typed, the numbered list is answered or left behind.
        self.state.typed.pop(room_id, None)
        if picked is None:
            return None
        return prompt.options[picked].value

    async def _on_room_event(
        self, room: MatrixRoom, event: RoomEvent, on_event: EventHandler
    ) -> None:
        if isinstance(event, UnknownBadEvent):
            return  # nio found no sender or id in it
        sender = event.sender
        if not sender or sender == self.own_user_id:
            return
        if not self.state.mark_seen(event.event_id):
            return
        if isinstance(event, MegolmEvent):
            await self._undecryptable(room, sender)
            return
        core_event = self._translate(event, room)
        if core_event is None:
            return
        if isinstance(core_event, ChoiceIn) or (
            isinstance(core_event, MessageIn)
            and core_event.text.lstrip().startswith(self.settings.prefix)
        ):
            self._used(room.room_id)
        if isinstance(core_event, MessageIn | ChoiceIn):
            self._event_senders[event.event_id] = sender
            if len(self._event_senders) > 1000:
                self._event_senders.pop(next(iter(self._event_senders)))
        # Written within a second, off the loop; after a crash before that, the event
        # comes again and the database's event claim keeps it from being answered twice.
        self._saver.touch()
        try:
            await on_event(core_event)
        except Exception:
            log.exception("matrix.handler_failed room=%s", room.room_id)

    async def _undecryptable(self, room: MatrixRoom, sender: str) -> None:
        key = (room.room_id, sender)
        if key in self._undecryptable_noticed:
            return
        self._undecryptable_noticed.add(key)
        log.info("matrix.undecryptable room=%s", room.room_id)
        lang = self._config.community.language
        name = "matrix.cannot_decrypt" if self.settings.encryption else "matrix.no_encryption"
        text = self._translator.text(lang, name)
        await self.send(TextMessage(Room(PLATFORM, room.room_id), text))
