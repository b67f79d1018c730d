"""What every adapter offers the core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.core.clock import MovableClock
from bot.core.events import Incoming, Outgoing, Role, SendResult

EventHandler = Callable[[Incoming], Awaitable[None]]

# What an adapter can do, so features choose by capability and never by platform name.
EPHEMERAL = "ephemeral"  # an answer only the asker sees
BUTTONS = "buttons"  # choice prompts as buttons
REACTIONS = "reactions"  # choice prompts answered by reacting
POLLS = "polls"  # choice prompts as the platform's own polls, answered by voting
PRIVATE_SPACES = "private_spaces"  # private rooms or threads for two
NATIVE_EVENTS = "native_events"  # the platform's own scheduled events
VOICE_CHANNELS = "voice_channels"  # makes a voice channel for a meal (CreateVideoPlace "voice")
VIDEO_WIDGETS = "video_widgets"  # a one-click video call pinned in a room (PublishEvent)


class Adapter(Protocol):
    """A chat platform: turns its events into core events and sends core messages."""

    platform: str
    capabilities: frozenset[str]  # from the names above

    async def start(self, on_event: EventHandler) -> None:
        """Connect and deliver events to ``on_event`` until stopped (or input ends)."""

    async def send(self, message: Outgoing, delivery_key: str | None = None) -> SendResult:
        """Send one message; expected failures are returned, not raised. ``delivery_key``
        (from the outbox) is the same on every attempt of one delivery: a platform that
        takes an idempotency key gets it, so a re-send after a crash is not shown twice."""

    async def stop(self) -> None:
        """Disconnect."""


@runtime_checkable
class KnowsRoles(Protocol):
    """An adapter that can say what role someone holds on the platform right now.

    Asked right before a role-gated message (an alert, a confidential report) is
    sent, so that someone who lost the role stops receiving them at once. An
    adapter without it gets no role-gated direct messages at all.
    """

    async def current_role(self, user_id: str) -> Role | None:
        """The person's role now, from the platform and the config; None if unknown."""


@runtime_checkable
class KeepsFiles(Protocol):
    """An adapter that writes files of its own for people (the console's exports).

    Asked to delete them when the person erases their data; adapters without it
    write nothing that outlives a message.
    """

    async def forget_files(self, user_id: str) -> None:
        """Delete every file written for ``user_id``."""


@runtime_checkable
class MovesTime(Protocol):
    """An adapter whose person can move the application's clock (the console's ``:time``).

    The application uses its ``clock``, and sets ``time_moved`` to what runs the timed
    work and deliveries the clock passes on its way to the new time.
    """

    clock: MovableClock
    time_moved: Callable[[datetime], Awaitable[None]] | None
