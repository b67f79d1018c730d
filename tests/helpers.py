"""Test support: a chat driver over the real dispatcher, outbox and database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from bot.adapters.recording import RecordingAdapter
from bot.app import App
from bot.core.clock import FakeClock
from bot.core.events import (
    Action,
    ChoiceIn,
    ChoicePrompt,
    Direct,
    FileMessage,
    MessageIn,
    Outgoing,
    Role,
    Room,
    Sender,
    TextMessage,
)

PLATFORM = "test"


def text_of(message: Outgoing) -> str:
    if isinstance(message, TextMessage | ChoicePrompt):
        return message.text
    if isinstance(message, FileMessage):
        return message.caption
    return ""


@dataclass
class Chat:
    """Talk to the bot as several users; everything sent is recorded."""

    app: App
    adapter: RecordingAdapter
    clock: FakeClock
    roles: dict[str, Role] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The pretend platform knows the roles the test gives its users, so alerts
        # and reports (sent only to current volunteers) find them.
        self.adapter.roles.update(self.roles)
        self.roles = self.adapter.roles

    def sender(self, user: str, role: Role | None = None, locale: str | None = None) -> Sender:
        if role is not None:
            self.roles[user] = role
        return Sender(PLATFORM, user, user.title(), self.roles.get(user, Role.PARTICIPANT), locale)

    async def say(
        self,
        user: str,
        text: str,
        *,
        room: str | None = None,
        role: Role | None = None,
        locale: str | None = None,
    ) -> list[Outgoing]:
        """``user`` types ``text`` in a DM (or in ``room``); returns the answers."""
        event = MessageIn(
            self.sender(user, role, locale),
            Room(PLATFORM, room or f"dm:{user}"),
            text,
            is_direct=room is None,
            event_id=f"e-{uuid.uuid4().hex[:16]}",
        )
        return await self.app.handle(event)

    async def press(self, user: str, value: Action, *, room: str | None = None) -> list[Outgoing]:
        """``user`` taps an option whose value is ``value``."""
        event = ChoiceIn(
            self.sender(user), Room(PLATFORM, room or f"dm:{user}"), value, room is None
        )
        return await self.app.handle(event)

    async def text(self, user: str, text: str, **kwargs: object) -> str:
        """The answers' texts joined, for simple assertions."""
        answers = await self.say(user, text, **kwargs)  # type: ignore[arg-type]
        return "\n".join(text_of(m) for m in answers)

    async def tick(self) -> None:
        await self.app.tick()

    def inbox(self, user: str) -> list[Outgoing]:
        """Everything sent to ``user`` privately so far."""
        return [
            m
            for m in self.adapter.sent
            if isinstance(m, TextMessage | ChoicePrompt | FileMessage)
            and (m.to == Direct(PLATFORM, user) or m.to == Room(PLATFORM, f"dm:{user}"))
        ]

    def inbox_texts(self, user: str) -> list[str]:
        return [text_of(m) for m in self.inbox(user)]

    def clear(self) -> None:
        self.adapter.sent.clear()
