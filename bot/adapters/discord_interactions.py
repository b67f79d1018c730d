"""Interactions: slash commands, autocomplete and the buttons of choice prompts."""

from __future__ import annotations

import contextvars
import hashlib
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.adapters.discord_commands import (
    suggestion_choices,
)
from bot.adapters.discord_common import (
    CHOICE_HASHED,
    CHOICE_PREFIX,
    CUSTOM_ID_LIMIT,
    PLATFORM,
    PrivacyCheck,
    Suggest,
    _Answering,
    log,
)
from bot.core.codec import command_of, decode_action, encode_action
from bot.core.events import (
    Action,
    ChoiceIn,
    CommandIn,
    Incoming,
    Invoke,
    MessageIn,
    Room,
)
from bot.core.registry import Command, Param

if TYPE_CHECKING:
    from bot.config import DiscordConfig
    from bot.core.events import Sender


# ---------------------------------------------------------------- buttons


def choice_custom_id(value: Action) -> str:
    """A stable custom id for an option: its encoded action, or a digest when too long."""
    encoded = encode_action(value)
    plain = CHOICE_PREFIX + encoded
    if len(plain) <= CUSTOM_ID_LIMIT:
        return plain
    return CHOICE_HASHED + hashlib.sha256(encoded.encode()).hexdigest()[:40]


class ChoiceButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(r"sv[:#](?P<payload>.+)", re.DOTALL),
):
    """A button of a choice prompt; works after a restart because its id carries the value."""

    def __init__(self, label: str, custom_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], custom_id=custom_id, style=discord.ButtonStyle.primary
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ChoiceButton:
        label = getattr(item, "label", None) or ""
        return cls(label, str(getattr(item, "custom_id", "")))

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        adapter = getattr(client, "samvaer", None)
        if isinstance(adapter, _Interactions):
            custom_id = str(self.item.custom_id or "")
            await adapter.on_choice(interaction, custom_id, str(self.item.label or ""))


class _Interactions:
    """Slash commands, autocomplete and button presses, answered as interactions."""

    if TYPE_CHECKING:
        settings: DiscordConfig
        _suggest: Suggest | None
        _privacy_check: PrivacyCheck | None
        _long_choices: dict[str, Action]
        _answering: contextvars.ContextVar[_Answering | None]

        def _text(self, locale: str | None, key: str, /, **values: object) -> str: ...

        def _served(self, guild_id: int | None) -> bool: ...

        async def admit(self, interaction: discord.Interaction) -> bool: ...

        async def _interaction_sender(self, interaction: discord.Interaction) -> Sender: ...

        async def _emit(self, event: Incoming) -> None: ...

        async def _followup(
            self,
            answering: _Answering,
            text: str,
            *,
            private: bool = False,
            view: discord.ui.View | None = None,
            file: discord.File | None = None,
        ) -> None: ...

    def _may_be_private(self, event: MessageIn | ChoiceIn | CommandIn) -> bool:
        """Whether an answer may carry something private; decided before it exists."""
        if self._privacy_check is None:
            return True
        try:
            return self._privacy_check(event)
        except Exception:
            log.exception("discord.privacy_check_failed")
            return True

    async def on_slash(
        self, interaction: discord.Interaction, command: Command, invoke: Invoke
    ) -> None:
        """A slash command: the dispatcher gets the command with its option values apart,
        so they reach the handler as given (never written out as a line and parsed).

        In a server, an answer that may be private (a private command, crisis words in an
        option) is deferred ephemerally: Discord gives the first follow-up the defer's
        visibility, so this is decided here, before anything is answered.
        """
        in_guild = interaction.guild_id is not None
        locale = str(interaction.locale.value) if interaction.locale else None
        event = CommandIn(
            await self._interaction_sender(interaction),
            Room(PLATFORM, str(interaction.channel_id or "")),
            invoke,
            not in_guild,
            f"i{interaction.id}",
        )
        ephemeral = in_guild and (command.private or self._may_be_private(event))
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        await self._answer(interaction, event, ephemeral, locale, thinking=True)

    async def on_autocomplete(
        self, interaction: discord.Interaction, command: Command, param: Param, current: str
    ) -> list[app_commands.Choice[str]]:
        """Values to offer while someone types an option (meal codes as titles and dates)."""
        if self._suggest is None:
            return []
        if not self._served(interaction.guild_id) and interaction.guild_id is not None:
            return []  # the tree's gate refuses these first; never offer the community's data
        sender = await self._interaction_sender(interaction)
        try:
            pairs = await self._suggest(sender, command.name, param.name, current)
        except Exception:  # typing must never fail: no suggestions is a fine answer
            log.exception("discord.autocomplete_failed command=%s", command.name)
            return []
        return suggestion_choices(pairs)

    def _choice_value(self, custom_id: str) -> Action | None:
        """The action a button carries; None when it is not known any more. Buttons
        posted before actions were typed carry ``cmd:`` and a command line, still run."""
        if custom_id.startswith(CHOICE_PREFIX):
            return decode_action(custom_id[len(CHOICE_PREFIX) :])
        return self._long_choices.get(custom_id)

    async def on_choice(self, interaction: discord.Interaction, custom_id: str, label: str) -> None:
        """A button press: the option's value goes to the core as a ChoiceIn.

        A button whose value is not known any more (a long value from before a restart)
        says it has expired; its label is never acted on, since "Yes" could confirm
        whatever question happens to be open now.
        """
        if not await self.admit(interaction):
            return
        locale = str(interaction.locale.value) if interaction.locale else None
        value = self._choice_value(custom_id)
        if value is None:
            log.info("discord.button_expired")
            await interaction.response.send_message(
                self._text(locale, "discord.button_expired"), ephemeral=True
            )
            return
        in_guild = interaction.guild_id is not None
        event = ChoiceIn(
            await self._interaction_sender(interaction),
            Room(PLATFORM, str(interaction.channel_id or "")),
            value,
            not in_guild,
            f"i{interaction.id}",
        )
        # A dialog answer is private, like the dialog; so is a private command.
        private = in_guild and (command_of(value) is None or self._may_be_private(event))
        if private:
            await interaction.response.defer(ephemeral=True, thinking=True)
        else:
            await interaction.response.defer()
        await self._answer(interaction, event, private, locale, thinking=private)

    async def _answer(
        self,
        interaction: discord.Interaction,
        event: Incoming,
        ephemeral: bool,
        locale: str | None,
        *,
        thinking: bool = False,
    ) -> None:
        answering = _Answering(
            user_id=str(interaction.user.id),
            channel_id=str(interaction.channel_id or ""),
            in_guild=interaction.guild_id is not None,
            locale=locale,
            interaction=interaction,
            ephemeral=ephemeral,
            thinking=thinking,
        )
        token = self._answering.set(answering)
        try:
            await self._emit(event)
        finally:
            self._answering.reset(token)
        if thinking and not answering.answered:
            # Everything went elsewhere; don't leave "thinking…" hanging.
            await self._followup(answering, self._text(locale, "discord.done"))
