"""Meals as Discord's own Guild Scheduled Events, repeating ones included.

discord.py does not expose an event's ``recurrence_rule`` yet, so the routes are
called through discord.py's own HTTP client (``discord.http.Route``): its rate
limits, retries and authorisation apply. One event per meal: created on the first
``PublishEvent``, changed in place (PATCH, the whole event each time) afterwards,
deleted by ``WithdrawEvent``. A meal in a voice or stage channel of the server is an
event there; any other place (a call link) is an external event at that location.

The id handed back is ``<guild id>/<event id>``, so a later change finds the server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from discord.http import Route

from bot.core.events import PublishEvent, SendResult, WithdrawEvent

log = logging.getLogger("samvaer.discord")

# Discord's numbers (Guild Scheduled Event object).
GUILD_ONLY = 2  # privacy level
STAGE_INSTANCE, VOICE, EXTERNAL = 1, 2, 3  # entity types
WEEKLY = 2  # recurrence rule frequency
WEEKS_APART = (1, 2)  # the weekly intervals Discord's rules allow: every week, every other
LOCATION_LIMIT = 100
NAME_LIMIT = 100
DESCRIPTION_LIMIT = 1000
EVENTS_ROUTE = "/guilds/{guild_id}/scheduled-events"
EVENT_ROUTE = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
MANAGE_EVENTS = "manage_events"


def utc_text(moment: datetime) -> str:
    """An ISO 8601 UTC timestamp as Discord writes them."""
    return moment.astimezone(UTC).isoformat()


def recurrence_rule(start: datetime, every_weeks: int) -> dict[str, Any] | None:
    """Weekly or every other week on the start's weekday (in UTC, as Discord reads it).

    Meals further apart have no rule: their event is the next date, moved on after each.
    """
    if every_weeks not in WEEKS_APART:
        return None
    return {
        "start": utc_text(start),
        "frequency": WEEKLY,
        "interval": every_weeks,
        "by_weekday": [start.astimezone(UTC).weekday()],  # Discord: Monday is 0
    }


def event_body(message: PublishEvent, channel: tuple[int, int] | None) -> dict[str, Any]:
    """The JSON of an event for ``message``; ``channel`` is (channel id, channel type) of a
    voice or stage channel of the server, None for an external event at ``place``."""
    start = message.starts_at
    body: dict[str, Any] = {
        "name": (message.name or "Samvær")[:NAME_LIMIT],
        "description": message.description[:DESCRIPTION_LIMIT],
        "privacy_level": GUILD_ONLY,
        "scheduled_start_time": utc_text(start),
        "scheduled_end_time": utc_text(start + timedelta(minutes=message.minutes)),
        "recurrence_rule": recurrence_rule(start, message.every_weeks),
    }
    if channel is not None:
        channel_id, kind = channel
        stage = kind == discord.ChannelType.stage_voice.value
        body |= {
            "entity_type": STAGE_INSTANCE if stage else VOICE,
            "channel_id": str(channel_id),
            "entity_metadata": None,
        }
    else:
        body |= {
            "entity_type": EXTERNAL,
            "channel_id": None,
            "entity_metadata": {"location": message.place[:LOCATION_LIMIT]},
        }
    return body


class DiscordEvents:
    """Publishes and withdraws meals as scheduled events for the Discord adapter."""

    def __init__(
        self,
        client: discord.Client,
        *,
        default_guild: Callable[[], discord.Guild | None],
        served: Callable[[int], bool],
        tell_organisers: Callable[[str], Awaitable[None]],
    ) -> None:
        self.client = client
        self._default_guild = default_guild
        self._served = served
        self._tell_organisers = tell_organisers

    def _guild_for(self, room_id: str) -> discord.Guild | None:
        """The server of the meal's room, else the first served one."""
        channel = self.client.get_channel(int(room_id)) if room_id.isdigit() else None
        guild = getattr(channel, "guild", None)
        return guild if isinstance(guild, discord.Guild) else self._default_guild()

    async def _channel_of(self, guild: discord.Guild, place: str) -> tuple[int, int] | None:
        """The voice or stage channel of ``guild`` a place links to, if it is one."""
        parts = place.rstrip("/").split("/")
        if len(parts) < 2 or "/channels/" not in place or not parts[-1].isdigit():
            return None
        if parts[-2] != str(guild.id):
            return None
        channel: Any = guild.get_channel(int(parts[-1]))
        if channel is None:  # made a moment ago, before the gateway told the cache
            try:
                channel = await guild.fetch_channel(int(parts[-1]))
            except discord.HTTPException:
                return None
        if isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            return channel.id, channel.type.value
        return None

    async def publish(self, message: PublishEvent) -> SendResult:
        """Create the meal's event, or change it in place when it has an id."""
        guild_id, _, event_id = message.event_id.partition("/")
        guild = (
            self.client.get_guild(int(guild_id))
            if guild_id.isdigit()
            else self._guild_for(message.room_id)
        )
        if guild is None or not self._served(guild.id):
            return SendResult(ok=True, extra={"refused": "no_server"})
        body = event_body(message, await self._channel_of(guild, message.place))
        http = self.client.http
        try:
            if event_id:
                try:
                    await http.request(
                        Route(
                            "PATCH",
                            EVENT_ROUTE,
                            guild_id=guild.id,
                            guild_scheduled_event_id=int(event_id),
                        ),
                        json=body,
                    )
                    return SendResult(ok=True, value=message.event_id)
                except discord.NotFound:
                    log.info("discord.event_gone guild=%s", guild.id)  # deleted by hand: anew
            made = await http.request(Route("POST", EVENTS_ROUTE, guild_id=guild.id), json=body)
        except discord.Forbidden:
            await self._tell_organisers(MANAGE_EVENTS)
            return SendResult(ok=True, extra={"refused": MANAGE_EVENTS})
        except discord.HTTPException as error:
            if error.status >= 500:
                return SendResult(ok=False, retry=True, reason=f"discord {error.status}")
            log.warning("discord.event_refused status=%s code=%s", error.status, error.code)
            return SendResult(ok=True, extra={"refused": f"http_{error.status}"})
        return SendResult(ok=True, value=f"{guild.id}/{made['id']}")

    async def withdraw(self, message: WithdrawEvent) -> SendResult:
        """Delete the meal's event; one already gone is fine."""
        guild_id, _, event_id = message.event_id.partition("/")
        if not guild_id.isdigit() or not event_id.isdigit() or not self._served(int(guild_id)):
            return SendResult(ok=True, value="nothing to withdraw")
        route = Route(
            "DELETE", EVENT_ROUTE, guild_id=int(guild_id), guild_scheduled_event_id=int(event_id)
        )
        try:
            await self.client.http.request(route)
        except discord.NotFound:
            return SendResult(ok=True, value="already gone")
        except discord.Forbidden:
            await self._tell_organisers(MANAGE_EVENTS)
            return SendResult(ok=False, retry=False, reason=f"missing_permission:{MANAGE_EVENTS}")
        except discord.HTTPException as error:
            return SendResult(ok=False, retry=error.status >= 500, reason=f"discord {error.status}")
        return SendResult(ok=True, value=message.event_id)
