"""The Discord adapter (discord.py): slash and prefix commands, buttons, threads, events.

Discord events become core events (``MessageIn``, ``ChoiceIn``,
``MemberJoined``); core messages become Discord messages, dispatched on their
type. Answers to a slash command or a button press are sent as the
interaction's response, ephemeral when the core meant them privately.

This module holds the client and the adapter's life: starting, syncing commands and
incoming messages. Its other parts are mixed into :class:`DiscordAdapter` from their
own modules: who gets in (``discord_roles``), interactions and buttons
(``discord_interactions``), sending (``discord_delivery``), threads, voice channels
and events (``discord_places``) and request pacing (``discord_pacing``).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterable
from typing import Any

import discord
from discord import app_commands

from bot.adapters.base import EventHandler
from bot.adapters.discord_commands import (
    CatalogTranslator,
    build_commands,
    fingerprint,
)
from bot.adapters.discord_common import (
    CHOICE_HASHED,
    CHOICE_PREFIX,
    CUSTOM_ID_LIMIT,
    NOT_MEMBER_MEMORY,
    PLATFORM,
    PrivacyCheck,
    Suggest,
    _Answering,
    log,
)
from bot.adapters.discord_delivery import _chunks, _Delivery
from bot.adapters.discord_events import DiscordEvents
from bot.adapters.discord_interactions import ChoiceButton, _Interactions, choice_custom_id
from bot.adapters.discord_pacing import _LimitWatch, _Pacer
from bot.adapters.discord_places import _Places, jitsi_link
from bot.adapters.discord_roles import RoleRules, _Membership
from bot.config import Config, ConfigError, Problem, secret_from_env
from bot.core.events import (
    Action,
    Incoming,
    MemberJoined,
    MessageIn,
    Role,
    Room,
    Sender,
)
from bot.core.i18n import Translator, load_catalogs
from bot.core.registry import CommandRegistry

__all__ = [
    "CHOICE_HASHED",
    "CHOICE_PREFIX",
    "CUSTOM_ID_LIMIT",
    "ChoiceButton",
    "DiscordAdapter",
    "RoleRules",
    "SamvaerClient",
    "_LimitWatch",
    "_chunks",
    "choice_custom_id",
    "intents_needed",
    "jitsi_link",
]

# ---------------------------------------------------------------- the client


class ServedTree(app_commands.CommandTree["SamvaerClient"]):
    """The slash-command tree; every command and autocomplete passes the adapter's gate first."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        client = interaction.client
        if not isinstance(client, SamvaerClient):
            return False
        return await client.samvaer.admit(interaction)


class SamvaerClient(discord.Client):
    """A discord.py client that hands everything to its adapter.

    Nothing it sends pings anyone unless a message names the mentions it means:
    ``allowed_mentions`` is none by default, so echoed text can't reach
    ``@everyone``, a role or a person.
    """

    def __init__(self, adapter: DiscordAdapter, intents: discord.Intents, **options: Any) -> None:
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(intents=intents, **options)
        self.samvaer = adapter
        self.tree: app_commands.CommandTree[SamvaerClient] = ServedTree(self)

    async def setup_hook(self) -> None:
        await self.samvaer.prepare()

    async def on_ready(self) -> None:
        await self.samvaer.on_ready()

    async def on_message(self, message: discord.Message) -> None:
        await self.samvaer.on_message(message)

    async def on_member_join(self, member: discord.Member) -> None:
        await self.samvaer.on_member_join(member)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.samvaer.on_guild_join(guild)


def intents_needed() -> discord.Intents:
    """Only what the bot uses: guilds, messages (content for prefix commands), members."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = True  # prefix commands in channels; slash commands don't need it
    intents.members = True  # roles of people who write in DMs, and welcoming newcomers
    return intents


class DiscordAdapter(_Membership, _Interactions, _Delivery, _Places):
    """Serves the core on Discord through discord.py."""

    platform = PLATFORM
    capabilities = frozenset(
        {"ephemeral", "buttons", "private_spaces", "native_events", "voice_channels"}
    )

    def __init__(
        self,
        config: Config,
        *,
        registry: CommandRegistry | None = None,
        translator: Translator | None = None,
        rate: float | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        if config.discord is None:
            raise ConfigError(
                [
                    Problem(
                        "adapter_section",
                        {"section": "discord"},
                        "discord: add a [discord] section to use the Discord adapter",
                    )
                ]
            )
        self.config = config
        self.settings = config.discord
        if registry is None:
            from bot.bootstrap import build_registry

            registry = build_registry()
        self.registry = registry
        self.translator = translator or Translator(load_catalogs(), config.community.language)
        self.roles = RoleRules.from_config(config.roles)
        if rate is None:
            rate = self.settings.requests_per_second
        self.limits = _LimitWatch(rate=rate)
        options = dict(client_options or {})
        options.setdefault("http_trace", self.limits.trace())
        self.client = SamvaerClient(self, intents_needed(), **options)
        self._on_event: EventHandler | None = None
        self._suggest: Suggest | None = None
        self._privacy_check: PrivacyCheck | None = None
        self._told_not_member: set[int] = set()
        self._told_unserved = False
        self._answering: contextvars.ContextVar[_Answering | None] = contextvars.ContextVar(
            f"discord-answering-{id(self)}", default=None
        )
        self._long_choices: dict[str, Action] = {}
        self._dm_channels: dict[str, int] = {}  # user id → DM channel id, opened once
        self._dm_opening: dict[str, asyncio.Future[int]] = {}
        self._told_organisers: set[str] = set()
        self._synced = False
        self._prepared = False
        self._pacer = _Pacer(rate)
        self._pacer.pace(self.client.http)
        self.events = DiscordEvents(
            self.client,
            default_guild=self._default_guild,
            served=self._served,
            tell_organisers=self._tell_organisers,
        )
        if not self.settings.guild_ids:
            self._log_unserved()

    # ------------------------------------------------------------ lifecycle

    def attach(self, on_event: EventHandler) -> None:
        """Where incoming events go (``start`` does this; tests call it directly)."""
        self._on_event = on_event

    def use_suggestions(self, suggest: Suggest) -> None:
        """Where autocomplete asks for values (bootstrap wires the core's suggestions)."""
        self._suggest = suggest

    def use_privacy_check(self, check: PrivacyCheck) -> None:
        """How to tell, before answering, whether an answer may be private (the dispatcher's).

        Without it every interaction in a server is answered ephemerally.
        """
        self._privacy_check = check

    async def start(self, on_event: EventHandler) -> None:
        self.attach(on_event)
        variable = self.settings.token_env
        token = secret_from_env(variable)
        if not token:
            raise ConfigError(
                [
                    Problem(
                        "discord_token_missing",
                        {"variable": variable},
                        f"discord: set the environment variable {variable} to the bot's token",
                    )
                ]
            )
        try:
            await self.client.start(token)
        except discord.LoginFailure:
            raise ConfigError(
                [
                    Problem(
                        "discord_token_refused",
                        {"variable": variable},
                        f"discord: Discord refused the token in {variable}; copy it again from "
                        "the Developer Portal (Bot → Reset Token)",
                    )
                ]
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise ConfigError(
                [
                    Problem(
                        "discord_intents",
                        {},
                        "discord: turn on the Message Content and Server Members intents in "
                        "the Developer Portal (Bot → Privileged Gateway Intents)",
                    )
                ]
            ) from None

    async def stop(self) -> None:
        if not self.client.is_closed():
            await self.client.close()

    async def prepare(self) -> None:
        """Build the slash commands and register the persistent buttons (once)."""
        if self._prepared:
            return
        self._prepared = True
        tree = self.client.tree
        await tree.set_translator(CatalogTranslator())
        commands = build_commands(
            self.registry, self.translator, self.on_slash, self.on_autocomplete
        )
        guilds = [discord.Object(guild_id) for guild_id in self.settings.guild_ids]
        if guilds:  # guild commands only: nobody outside the served guilds sees them
            for command in commands:
                tree.add_command(command, guilds=guilds)
        self.client.add_dynamic_items(ChoiceButton)

    async def on_ready(self) -> None:
        """Leave unknown guilds; sync commands once per process (a reconnect changes nothing)."""
        if not self.settings.guild_ids:
            self._log_unserved()
        for guild in list(self.client.guilds):
            await self._leave_if_unknown(guild)
        if self._synced:
            return
        self._synced = True
        try:
            await self.sync_commands()
        except discord.HTTPException as error:
            self._synced = False
            log.warning("discord.sync_failed status=%s", error.status)

    async def _wanted_payloads(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        tree = self.client.tree
        translator = CatalogTranslator()
        return [
            await c.get_translated_payload(tree, translator) for c in tree.get_commands(guild=guild)
        ]

    async def sync_commands(self) -> list[str]:
        """Sync the served guilds' commands where they differ from Discord's; remove global ones.

        Returns where it synced ("global" when global commands were removed).
        """
        await self.prepare()
        application_id = self.client.application_id
        if application_id is None:
            return []
        http = self.client.http
        synced = []
        for guild_id in self.settings.guild_ids:
            target = discord.Object(guild_id)
            wanted = fingerprint(await self._wanted_payloads(target))
            current = await http.get_guild_commands(application_id, guild_id)
            if fingerprint([dict(c) for c in current]) == wanted:
                continue
            await self.client.tree.sync(guild=target)
            synced.append(str(guild_id))
            log.info("discord.commands_synced where=%s", synced[-1])
        if await http.get_global_commands(application_id):
            # Global commands show in every server and DM the bot can see: none of those.
            await http.bulk_upsert_global_commands(application_id, payload=[])
            synced.append("global")
            log.info("discord.global_commands_removed")
        return synced

    # ------------------------------------------------------------ who gets in

    # ------------------------------------------------------------ incoming

    async def _emit(self, event: Incoming) -> None:
        if self._on_event is not None:
            await self._on_event(event)

    def _sender(
        self, user: discord.abc.User, members: Iterable[discord.Member], locale: str | None
    ) -> Sender:
        role = self._role_from(user.id, members) or Role.PARTICIPANT
        return Sender(PLATFORM, str(user.id), user.display_name, role, locale)

    async def sender_of(self, user: discord.abc.User, locale: str | None = None) -> Sender:
        members = await self.served_members(user.id, user)
        return self._sender(user, members, locale)

    async def _interaction_sender(self, interaction: discord.Interaction) -> Sender:
        """The sender of an admitted interaction; a server's member object is used as sent."""
        locale = str(interaction.locale.value) if interaction.locale else None
        in_guild = interaction.guild_id is not None
        members = await self.served_members(
            interaction.user.id, interaction.user, fetch=not in_guild
        )
        return self._sender(interaction.user, members, locale)

    async def on_message(self, message: discord.Message) -> None:
        """Prefix commands and dialog answers typed in DMs and channels of the served guilds."""
        if message.author.bot or self.client.user is None or message.author == self.client.user:
            return
        is_direct = message.guild is None
        if not is_direct:
            if message.guild is None or not self._served(message.guild.id):
                return
            members = await self.served_members(message.author.id, message.author, fetch=False)
        else:
            members = await self.served_members(message.author.id)
            if not members:
                await self._tell_not_member(message)
                return
        event = MessageIn(
            self._sender(message.author, members, None),
            Room(PLATFORM, str(message.channel.id)),
            message.content,
            is_direct,
            str(message.id),
        )
        answering = _Answering(
            user_id=str(message.author.id),
            channel_id=str(message.channel.id),
            in_guild=not is_direct,
            locale=None,
            message=message,
        )
        token = self._answering.set(answering)
        try:
            await self._emit(event)
        finally:
            self._answering.reset(token)

    async def _tell_not_member(self, message: discord.Message) -> None:
        """One polite line, once per person per process, to someone outside the community."""
        user_id = message.author.id
        if not self.settings.guild_ids:
            self._log_unserved()
        if user_id in self._told_not_member:
            return
        if len(self._told_not_member) >= NOT_MEMBER_MEMORY:
            self._told_not_member.clear()
        self._told_not_member.add(user_id)
        log.info("discord.refused where=dm")
        try:
            await message.channel.send(self._text(None, "discord.not_member"))
        except discord.HTTPException:
            log.info("discord.refusal_failed")

    async def on_member_join(self, member: discord.Member) -> None:
        if not self._served(member.guild.id):
            return
        channel = member.guild.system_channel
        room_id = str(channel.id) if channel is not None else str(member.guild.id)
        sender = self._sender(member, [member], None)
        await self._emit(MemberJoined(sender, Room(PLATFORM, room_id)))
