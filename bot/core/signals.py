"""Small typed announcements one feature makes and others may listen to.

A feature says what happened (``await announce(ctx, ProgrammeJoined(...))``) inside its
unit of work; listeners registered with ``@registry.on_signal(ProgrammeJoined)`` run in
that same transaction. Neither side imports the other: the announcing feature does not
know who listens, and a listener that is not loaded simply isn't called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.context import OutboxWriter

PROGRAMMES = ("buddies", "meals")


@dataclass(frozen=True)
class ProgrammeJoined:
    """Someone joined a programme: asked for a buddy, offered to be one, took a seat at a
    meal or scheduled one as host."""

    person_id: int
    programme: str  # one of PROGRAMMES
    volunteer: bool


Signal = ProgrammeJoined


async def announce(writer: OutboxWriter, signal: Signal) -> None:
    """Run every listener of the signal's type in the caller's unit of work."""
    for listener in writer.services.registry.signal_listeners.get(type(signal).__name__, ()):
        await listener(writer, signal)
