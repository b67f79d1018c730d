"""Sending: core messages become Discord messages, dispatched on their type."""

from __future__ import annotations

import asyncio
import contextvars
import io
from functools import singledispatchmethod
from typing import TYPE_CHECKING, Any

import discord

from bot.adapters.discord_common import (
    BUTTONS_PER_MESSAGE,
    CHOICE_HASHED,
    MESSAGE_LIMIT,
    _Answering,
    log,
)
from bot.adapters.discord_interactions import ChoiceButton, choice_custom_id
from bot.core.events import (
    Action,
    CancelVideoPlace,
    ChoicePrompt,
    CreateVideoPlace,
    Destination,
    Direct,
    FileMessage,
    OpenPrivateSpace,
    Outgoing,
    PublishEvent,
    Room,
    SendResult,
    TextMessage,
    WithdrawEvent,
)
from bot.core.i18n import Translator
from bot.people.service import language_from_locale

if TYPE_CHECKING:
    from bot.adapters.discord import SamvaerClient
    from bot.adapters.discord_events import DiscordEvents
    from bot.config import Config, DiscordConfig


class _Delivery:
    """Core messages out to Discord: as an interaction's answer, in a channel or a DM."""

    if TYPE_CHECKING:
        client: SamvaerClient
        translator: Translator
        _answering: contextvars.ContextVar[_Answering | None]
        _long_choices: dict[str, Action]
        _dm_channels: dict[str, int]
        _dm_opening: dict[str, asyncio.Future[int]]
        config: Config
        settings: DiscordConfig
        events: DiscordEvents

        async def _open_private_space(self, message: OpenPrivateSpace) -> SendResult: ...

        async def _create_video_place(self, message: CreateVideoPlace) -> SendResult: ...

        async def _cancel_video_place(self, message: CancelVideoPlace) -> SendResult: ...

    async def send(self, message: Outgoing, delivery_key: str | None = None) -> SendResult:
        try:
            return await self._send(message)
        except discord.Forbidden as error:
            return SendResult(ok=False, retry=False, reason=f"forbidden:{error.code}")
        except discord.NotFound:
            return SendResult(ok=False, retry=False, reason="not_found")
        except discord.HTTPException as error:
            return SendResult(ok=False, retry=True, reason=f"http_{error.status}")
        except (TimeoutError, OSError) as error:
            return SendResult(ok=False, retry=True, reason=type(error).__name__)

    def _text(self, locale: str | None, key: str, /, **values: object) -> str:
        lang = language_from_locale(locale) or self.config.community.language
        values.setdefault("prefix", self.settings.prefix)
        return self.translator.text(lang, key, **values)

    def _interaction_target(self, to: Destination) -> _Answering | None:
        """The interaction that should carry a message to ``to``, if any."""
        answering = self._answering.get()
        if answering is None or answering.interaction is None:
            return None
        if isinstance(to, Direct) and to.user_id == answering.user_id:
            # In a server only an ephemeral defer keeps it private; otherwise a real DM.
            return answering if answering.ephemeral or not answering.in_guild else None
        if isinstance(to, Room) and to.room_id == answering.channel_id:
            return answering
        return None

    async def _followup(
        self,
        answering: _Answering,
        text: str,
        *,
        private: bool = False,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
    ) -> None:
        assert answering.interaction is not None
        ephemeral = answering.ephemeral or (private and answering.in_guild)
        chunks = _chunks(text) or [""]
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            kwargs: dict[str, Any] = {"ephemeral": ephemeral}
            if last and view is not None:
                kwargs["view"] = view
            if last and file is not None:
                kwargs["file"] = file
            await answering.interaction.followup.send(chunk or "\u200b", **kwargs)
        answering.answered = True

    async def _messageable(self, to: Destination) -> discord.abc.Messageable:
        if isinstance(to, Room):
            channel_id = int(to.room_id)
            channel = self.client.get_channel(channel_id)
            if channel is None:
                channel = await self.client.fetch_channel(channel_id)
            assert isinstance(channel, discord.abc.Messageable)
            return channel
        channel_id = await self._dm_channel_id(to.user_id)
        cached = self.client.get_channel(channel_id)  # discord.py keeps the latest 128 DMs
        if isinstance(cached, discord.abc.Messageable):
            return cached
        return self.client.get_partial_messageable(channel_id, type=discord.ChannelType.private)

    async def _dm_channel_id(self, user_id: str) -> int:
        """The DM channel with a person: opened once (one request), then remembered.

        Only the id is kept (a few bytes for each of many thousands of people);
        sends to the same person at the same moment share one opening.
        """
        known = self._dm_channels.get(user_id)
        if known is not None:
            return known
        opening = self._dm_opening.get(user_id)
        if opening is not None:
            return await asyncio.shield(opening)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._dm_opening[user_id] = future
        try:
            user = self.client.get_user(int(user_id))
            dm = user.dm_channel if user is not None else None
            if dm is None and user is not None:
                dm = await user.create_dm()
            elif dm is None:
                # One request opens the DM by id; fetching the user first would double it.
                dm = await self.client.create_dm(discord.Object(int(user_id)))
            self._dm_channels[user_id] = dm.id
            future.set_result(dm.id)
            return dm.id
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as error:
            future.set_exception(error)
            future.exception()  # marked as retrieved: whoever shares it gets it raised
            raise
        finally:
            del self._dm_opening[user_id]

    def _answered_ephemerally(self, to: Destination) -> bool:
        """Whether the interaction being answered in the room ``to`` was answered ephemerally."""
        answering = self._answering.get()
        return (
            isinstance(to, Room)
            and answering is not None
            and answering.interaction is not None
            and answering.ephemeral
            and answering.in_guild
            and to.room_id == answering.channel_id
        )

    async def _post(
        self,
        to: Destination,
        text: str,
        *,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
    ) -> SendResult:
        """Send to a channel or a DM; closed DMs are reported so the core keeps the message."""
        target = self._interaction_target(to)
        if target is not None:
            await self._followup(target, text, private=isinstance(to, Direct), view=view, file=file)
            return SendResult(ok=True)
        try:
            channel = await self._messageable(to)
            sent: discord.Message | None = None
            chunks = _chunks(text) or [""]
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                kwargs: dict[str, Any] = {}
                if last and view is not None:
                    kwargs["view"] = view
                if last and file is not None:
                    kwargs["file"] = file
                sent = await channel.send(chunk or "\u200b", **kwargs)
        except discord.Forbidden:
            if isinstance(to, Direct):
                await self._tell_dm_closed(to)
                return SendResult(ok=False, retry=True, reason="dm_closed")
            raise
        return SendResult(ok=True, value=str(sent.id) if sent is not None else "")

    async def _tell_dm_closed(self, to: Direct) -> None:
        """Say where the person is (once per event) that their DMs are closed."""
        answering = self._answering.get()
        if answering is None or answering.user_id != to.user_id or answering.told_dm_closed:
            return
        answering.told_dm_closed = True
        text = self._text(answering.locale, "discord.dm_closed")
        try:
            if answering.interaction is not None:
                await answering.interaction.followup.send(text, ephemeral=True)
                answering.answered = True
            elif answering.message is not None:
                await answering.message.reply(text, mention_author=False)
        except discord.HTTPException:
            log.info("discord.dm_closed_notice_failed")

    @singledispatchmethod
    async def _send(self, message: Outgoing) -> SendResult:
        raise TypeError(f"cannot send {type(message).__name__}")

    @_send.register
    async def _(self, message: TextMessage) -> SendResult:
        if message.private_answer_note and self._answered_ephemerally(message.to):
            # The answer was ephemeral, seen by that person alone: a public line saying
            # so would only tell the channel that someone just checked in or joined.
            return SendResult(ok=True)
        return await self._post(message.to, message.text)

    @_send.register
    async def _(self, message: ChoicePrompt) -> SendResult:
        view = discord.ui.View(timeout=None)
        for option in message.options[:BUTTONS_PER_MESSAGE]:
            custom_id = choice_custom_id(option.value)
            if custom_id.startswith(CHOICE_HASHED):
                self._long_choices[custom_id] = option.value
            view.add_item(ChoiceButton(option.label, custom_id))
        numbered = "\n".join(f"{n}) {option.label}" for n, option in enumerate(message.options, 1))
        text = (
            message.text
            if len(message.options) <= BUTTONS_PER_MESSAGE
            else (f"{message.text}\n{numbered}")
        )
        return await self._post(message.to, text, view=view)

    @_send.register
    async def _(self, message: FileMessage) -> SendResult:
        file = discord.File(io.BytesIO(message.content), filename=message.filename)
        return await self._post(message.to, message.caption, file=file)

    @_send.register
    async def _(self, message: OpenPrivateSpace) -> SendResult:
        return await self._open_private_space(message)

    @_send.register
    async def _(self, message: CreateVideoPlace) -> SendResult:
        return await self._create_video_place(message)

    @_send.register
    async def _(self, message: CancelVideoPlace) -> SendResult:
        return await self._cancel_video_place(message)

    @_send.register
    async def _(self, message: PublishEvent) -> SendResult:
        return await self.events.publish(message)

    @_send.register
    async def _(self, message: WithdrawEvent) -> SendResult:
        return await self.events.withdraw(message)


def _chunks(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split text into Discord-sized messages, at line breaks where possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest:
        chunks.append(rest)
    return chunks


async def _send_long(channel: discord.abc.Messageable, text: str) -> None:
    for chunk in _chunks(text):
        await channel.send(chunk)
