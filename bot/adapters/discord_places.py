"""Places the adapter makes: private threads, voice channels and scheduled events."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.adapters.discord_common import (
    EVENT_LINK,
    EVENTS_PER_GUILD,
    PLATFORM,
    VOICE_KINDS,
    log,
)
from bot.adapters.discord_delivery import _send_long
from bot.core.events import (
    CancelVideoPlace,
    CreateVideoPlace,
    OpenPrivateSpace,
    Room,
    SendResult,
)

if TYPE_CHECKING:
    from bot.adapters.discord import SamvaerClient
    from bot.config import Config, DiscordConfig
    from bot.core.events import Destination


class _Places:
    """Private threads for pairs, voice channels and scheduled events for meals."""

    if TYPE_CHECKING:
        client: SamvaerClient
        settings: DiscordConfig
        _told_organisers: set[str]
        config: Config

        def _text(self, locale: str | None, key: str, /, **values: object) -> str: ...

        def _served(self, guild_id: int | None) -> bool: ...

        async def _messageable(self, to: Destination) -> discord.abc.Messageable: ...

    def _default_guild(self) -> discord.Guild | None:
        """The first served guild Discord has given us; never any other server."""
        for guild_id in self.settings.guild_ids:
            guild = self.client.get_guild(guild_id)
            if guild is not None:
                return guild
        return None

    async def _open_private_space(self, message: OpenPrivateSpace) -> SendResult:
        title = (message.title or "Samvær")[:100]
        parent = (
            self.client.get_channel(self.settings.buddy_channel_id)
            if (self.settings.buddy_channel_id)
            else None
        )
        if isinstance(parent, discord.TextChannel):
            try:
                thread = await parent.create_thread(
                    name=title, type=discord.ChannelType.private_thread, invitable=False
                )
                for member in message.members:
                    await thread.add_user(discord.Object(int(member)))
                await _send_long(thread, message.intro)
                return SendResult(ok=True, value=str(thread.id), extra={"kind": "thread"})
            except discord.Forbidden:
                await self._tell_organisers("create_private_threads")
        guild = parent.guild if isinstance(parent, discord.TextChannel) else self._default_guild()
        if guild is None:
            return SendResult(ok=False, retry=False, reason="no guild for a private space")
        overwrites: dict[
            discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite
        ] = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
        }
        if guild.me is not None:
            overwrites[guild.me] = discord.PermissionOverwrite(
                view_channel=True, send_messages=True
            )
        for member in message.members:
            overwrites[discord.Object(int(member))] = discord.PermissionOverwrite(
                view_channel=True, send_messages=True, read_message_history=True
            )
        category = parent.category if isinstance(parent, discord.TextChannel) else None
        try:
            channel = await guild.create_text_channel(
                name=_channel_name(title), overwrites=overwrites, category=category
            )
        except discord.Forbidden:
            await self._tell_organisers("manage_channels")
            return SendResult(ok=False, retry=False, reason="missing_permission:manage_channels")
        await _send_long(channel, message.intro)
        return SendResult(ok=True, value=str(channel.id), extra={"kind": "channel"})

    # ------------------------------------------------------------ video places

    async def _create_video_place(self, message: CreateVideoPlace) -> SendResult:
        if message.kind not in VOICE_KINDS:
            return SendResult(
                ok=False, retry=False, reason=f"unsupported video kind {message.kind}"
            )
        category = (
            self.client.get_channel(self.settings.meal_voice_category_id)
            if (self.settings.meal_voice_category_id)
            else None
        )
        guild = (
            category.guild
            if isinstance(category, discord.CategoryChannel)
            else self._default_guild()
        )
        if guild is None:
            return SendResult(ok=False, retry=False, reason="no guild for a voice channel")
        name = message.name[:100] or "Samvær"
        voice = next(
            (
                c
                for c in guild.voice_channels
                if c.name == name
                and (
                    not isinstance(category, discord.CategoryChannel)
                    or c.category_id == category.id
                )
            ),
            None,
        )
        if voice is None:
            try:
                voice = await guild.create_voice_channel(
                    name=name,
                    category=category if isinstance(category, discord.CategoryChannel) else None,
                )
            except discord.Forbidden:
                await self._tell_organisers("manage_channels")
                return SendResult(
                    ok=True, value=jitsi_link(message.name), extra={"fallback": "jitsi"}
                )
        extra = {"channel_id": str(voice.id)}
        if message.starts_at is not None:
            event_id = await self._schedule_event(guild, voice, message)
            if event_id:
                extra["event_id"] = event_id
        return SendResult(ok=True, value=voice.jump_url, extra=extra)

    async def _schedule_event(
        self, guild: discord.Guild, voice: discord.VoiceChannel, message: CreateVideoPlace
    ) -> str:
        starts = _aware(message.starts_at)
        if starts is None:
            return ""
        try:
            existing = await guild.fetch_scheduled_events(with_counts=False)
            if len(existing) >= EVENTS_PER_GUILD:
                log.warning("discord.events_full guild=%s", guild.id)
                return ""
            event = await guild.create_scheduled_event(
                name=message.name[:100] or "Samvær",
                start_time=starts,
                end_time=starts + timedelta(minutes=message.minutes),
                channel=voice,
                entity_type=discord.EntityType.voice,
                privacy_level=discord.PrivacyLevel.guild_only,
            )
        except discord.Forbidden:
            await self._tell_organisers("manage_events")
            return ""
        return str(event.id)

    async def _cancel_video_place(self, message: CancelVideoPlace) -> SendResult:
        """Cancel the scheduled event of a voice channel made for a meal date.

        The voice channel stays: the same one serves every date of a series.
        A place that is not a Discord channel (the Jitsi fallback) has nothing to cancel.
        """
        found = EVENT_LINK.search(message.place_id)
        if found is None:
            return SendResult(ok=True, value="nothing to cancel")
        guild = self.client.get_guild(int(found["guild"]))
        if guild is None or not self._served(guild.id):
            return SendResult(ok=True, value="guild gone")
        channel_id = int(found["channel"])
        starts = _aware(message.starts_at)
        try:
            events = await guild.fetch_scheduled_events(with_counts=False)
            cancelled = []
            for event in events:
                if event.channel_id != channel_id or event.status != discord.EventStatus.scheduled:
                    continue
                if starts is not None and event.start_time != starts:
                    continue
                await event.cancel()
                cancelled.append(str(event.id))
        except discord.Forbidden:
            await self._tell_organisers("manage_events")
            return SendResult(ok=False, retry=False, reason="missing_permission:manage_events")
        return SendResult(ok=True, value=",".join(cancelled))

    # ------------------------------------------------------------ organisers

    async def _tell_organisers(self, permission: str) -> None:
        """Tell the organisers' rooms once which permission the bot lacks."""
        if permission in self._told_organisers:
            return
        self._told_organisers.add(permission)
        log.warning("discord.missing_permission permission=%s", permission)
        text = self._text(
            None, "discord.missing_permission", permission=_permission_words(permission)
        )
        for ref in self.config.rooms.organisers:
            platform, _, room_id = ref.partition(":")
            if platform != PLATFORM:
                continue
            try:
                channel = await self._messageable(Room(PLATFORM, room_id))
                await channel.send(text)
            except (discord.HTTPException, ValueError):
                log.info("discord.organiser_notice_failed room=%s", room_id)


def _aware(moment: datetime | None) -> datetime | None:
    """The moment, read as UTC when it carries no offset."""
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _permission_words(permission: str) -> str:
    return permission.replace("_", " ").title()


def _channel_name(title: str) -> str:
    name = re.sub(r"[^\w-]+", "-", title.casefold()).strip("-")
    return (name or "samvaer")[:100]


def jitsi_link(name: str) -> str:
    """A Jitsi room for when the bot may not make a voice channel: a random name, so
    nobody can work it out from the meal's title (``name`` is not used in it)."""
    return f"https://meet.jit.si/Samvaer-{secrets.token_urlsafe(16)}"
