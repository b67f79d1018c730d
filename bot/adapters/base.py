"""What every adapter offers the core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.core.events import Incoming, Outgoing, SendResult

EventHandler = Callable[[Incoming], Awaitable[None]]


class Adapter(Protocol):
    """A chat platform: turns its events into core events and sends core messages."""

    platform: str

    async def start(self, on_event: EventHandler) -> None:
        """Connect and deliver events to ``on_event`` until stopped (or input ends)."""

    async def send(self, message: Outgoing) -> SendResult:
        """Send one message; expected failures are returned, not raised."""

    async def stop(self) -> None:
        """Disconnect."""
