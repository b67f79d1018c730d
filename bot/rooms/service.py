"""Which rooms serve which feature: from ``[rooms]`` in the config and from ``admin room``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.core.events import Room
from bot.db.models import RoomBinding

FEATURES = ("announcements", "meals", "volunteers", "organisers", "checkins")


def parse_room_ref(ref: str) -> Room:
    """``"matrix:!abc:example.org"`` → Room("matrix", "!abc:example.org")."""
    platform, _, room_id = ref.partition(":")
    if not room_id:
        raise ValueError(f'"{ref}" is not a room like "matrix:!id:server" or "discord:123"')
    return Room(platform, room_id)


def configured_rooms(config: Config, feature: str) -> list[Room]:
    """Rooms the config binds to ``feature``."""
    return [parse_room_ref(ref) for ref in getattr(config.rooms, feature)]


async def rooms_for(session: AsyncSession, config: Config, feature: str) -> list[Room]:
    """Every room bound to ``feature``, config first, without duplicates."""
    rooms = configured_rooms(config, feature)
    result = await session.execute(
        select(RoomBinding).where(RoomBinding.feature == feature).order_by(RoomBinding.bound_at)
    )
    for binding in result.scalars():
        room = Room(binding.platform, binding.room_id)
        if room not in rooms:
            rooms.append(room)
    return rooms
