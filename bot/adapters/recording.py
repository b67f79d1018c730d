"""An adapter that records what it would send: for tests, benchmarks and dry runs."""

from __future__ import annotations

import asyncio
import itertools
from functools import singledispatchmethod

from bot.adapters.base import EventHandler
from bot.core.events import (
    CancelVideoPlace,
    ChoicePrompt,
    CreateVideoPlace,
    Destination,
    Direct,
    FileMessage,
    OpenPrivateSpace,
    Outgoing,
    Role,
    SendResult,
    TextMessage,
)


def _destination_id(to: Destination) -> str:
    return to.user_id if isinstance(to, Direct) else to.room_id


class RecordingAdapter:
    """Keeps every sent message in ``sent``; fails (retryably) for user or room ids
    in ``unreachable``, as a platform does for closed DMs."""

    def __init__(self, platform: str = "test", capabilities: frozenset[str] = frozenset()) -> None:
        self.platform = platform
        self.capabilities = capabilities
        self.sent: list[Outgoing] = []
        self._delivery_key: str | None = None
        self.unreachable: set[str] = set()
        # Like a homeserver's transaction ids: a delivery re-sent with the same key is
        # acknowledged but not shown twice.
        self.delivery_keys: set[str] = set()
        self.duplicates_suppressed = 0
        self._ids = itertools.count(1)
        self._stopped = asyncio.Event()
        # What the platform says each person's role is now (a test changes it to
        # model someone removed from the volunteer role).
        self.roles: dict[str, Role] = {}

    async def current_role(self, user_id: str) -> Role | None:
        """The role the (pretend) platform gives ``user_id`` right now."""
        return self.roles.get(user_id, Role.PARTICIPANT)

    async def start(self, on_event: EventHandler) -> None:
        await self._stopped.wait()

    async def stop(self) -> None:
        self._stopped.set()

    async def send(self, message: Outgoing, delivery_key: str | None = None) -> SendResult:
        self._delivery_key = delivery_key
        return self._send(message)

    @singledispatchmethod
    def _send(self, message: Outgoing) -> SendResult:
        raise TypeError(f"cannot send {type(message).__name__}")

    @_send.register
    def _(self, message: TextMessage) -> SendResult:
        return self._record(message, _destination_id(message.to))

    @_send.register
    def _(self, message: ChoicePrompt) -> SendResult:
        return self._record(message, _destination_id(message.to))

    @_send.register
    def _(self, message: FileMessage) -> SendResult:
        return self._record(message, _destination_id(message.to))

    @_send.register
    def _(self, message: OpenPrivateSpace) -> SendResult:
        self.sent.append(message)
        return SendResult(ok=True, value=f"space-{next(self._ids)}")

    @_send.register
    def _(self, message: CreateVideoPlace) -> SendResult:
        self.sent.append(message)
        return SendResult(ok=True, value=f"https://video.invalid/{message.name}")

    @_send.register
    def _(self, message: CancelVideoPlace) -> SendResult:
        self.sent.append(message)
        return SendResult(ok=True)

    def _record(self, message: Outgoing, destination: str) -> SendResult:
        if destination in self.unreachable:
            return SendResult(ok=False, retry=True, reason="unreachable")
        key = self._delivery_key
        if key is not None:
            if key in self.delivery_keys:
                self.duplicates_suppressed += 1
                return SendResult(ok=True)
            self.delivery_keys.add(key)
        self.sent.append(message)
        return SendResult(ok=True)
