"""The Discord adapter (discord.py): slash and prefix commands, buttons, threads, events.

Discord events become core events (``MessageIn``, ``ChoiceIn``,
``MemberJoined``); core messages become Discord messages, dispatched on their
type. Answers to a slash command or a button press are sent as the
interaction's response, ephemeral when the core meant them privately.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import io
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import singledispatchmethod
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot.adapters.base import EventHandler
from bot.adapters.discord_commands import (
    CatalogTranslator,
    build_commands,
    fingerprint,
    suggestion_choices,
)
from bot.config import Config, ConfigError, Problem, RolesConfig, secret_from_env
from bot.core.codec import command_of, decode_action, encode_action
from bot.core.events import (
    Action,
    CancelVideoPlace,
    ChoiceIn,
    ChoicePrompt,
    CommandIn,
    CreateVideoPlace,
    Destination,
    Direct,
    FileMessage,
    Incoming,
    Invoke,
    MemberJoined,
    MessageIn,
    OpenPrivateSpace,
    Outgoing,
    Role,
    Room,
    Sender,
    SendResult,
    TextMessage,
)
from bot.core.i18n import Translator, load_catalogs
from bot.core.registry import Command, CommandRegistry, Param
from bot.people.service import language_from_locale

log = logging.getLogger("samvaer.discord")

PLATFORM = "discord"
MESSAGE_LIMIT = 2000
CUSTOM_ID_LIMIT = 100
CHOICE_PREFIX = "sv:"  # the option's action follows, as bot.core.codec writes it
CHOICE_HASHED = "sv#"  # a digest of an action too long for a custom id
BUTTONS_PER_MESSAGE = 25
EVENTS_PER_GUILD = 100
DEFAULT_RATE = 48.0  # REST requests per second; Discord's global limit is 50 (interactions aside)
LIMITED_WINDOW = 60.0  # seconds over which 429 answers are counted for the operators' warning
LIMITED_WARN_AT = 10  # 429 answers within the window (and at least 1 % of requests) that warn
VOICE_KINDS = ("discord", "voice")  # CreateVideoPlace kinds served with a voice channel
EVENT_LINK = re.compile(r"/channels/(?P<guild>\d+)/(?P<channel>\d+)")

Suggest = Callable[[Sender, str, str, str], Awaitable[list[tuple[str, str]]]]
PrivacyCheck = Callable[[MessageIn | ChoiceIn | CommandIn], bool]
NOT_MEMBER_MEMORY = 10_000  # people told "members only" this process, before forgetting


# ---------------------------------------------------------------- roles


def _is_snowflake(ref: str) -> bool:
    return ref.isascii() and ref.isdigit()


@dataclass(frozen=True)
class RoleRules:
    """Who is organiser or volunteer on Discord, parsed from ``[roles]``.

    ``discord-role:<digits>`` is a role id and matches only a role with that id;
    anything else is a role name, matched exactly (case-sensitive) as a fallback.
    A role merely *named* like a configured id never matches.
    """

    organiser_roles: frozenset[str] = frozenset()  # role ids
    organiser_users: frozenset[str] = frozenset()
    volunteer_roles: frozenset[str] = frozenset()  # role ids
    volunteer_users: frozenset[str] = frozenset()
    organiser_role_names: frozenset[str] = frozenset()
    volunteer_role_names: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, roles: RolesConfig) -> RoleRules:
        def split(
            entries: Iterable[str],
        ) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
            role_ids: set[str] = set()
            role_names: set[str] = set()
            user_ids: set[str] = set()
            for entry in entries:
                kind, _, ref = entry.partition(":")
                ref = ref.strip()
                if kind == "discord-role" and ref:
                    (role_ids if _is_snowflake(ref) else role_names).add(ref)
                elif kind == "discord-user" and _is_snowflake(ref):
                    user_ids.add(ref)
            return frozenset(role_ids), frozenset(role_names), frozenset(user_ids)

        organiser_ids, organiser_names, organiser_users = split(roles.organisers)
        volunteer_ids, volunteer_names, volunteer_users = split(roles.volunteers)
        return cls(
            organiser_roles=organiser_ids,
            organiser_users=organiser_users,
            volunteer_roles=volunteer_ids,
            volunteer_users=volunteer_users,
            organiser_role_names=organiser_names,
            volunteer_role_names=volunteer_names,
        )

    @property
    def organisers_configured(self) -> bool:
        return bool(self.organiser_roles or self.organiser_role_names or self.organiser_users)

    def resolve(
        self, user_id: str, roles: Iterable[tuple[str, str]], owns_served_guild: bool
    ) -> Role:
        """The role of a member of a served guild with these roles (``(id, name)`` pairs).

        With no organiser configured for Discord, the owner of a served guild is organiser
        (so a new community can set itself up); nobody else is by any permission.
        """
        pairs = list(roles)
        ids = {role_id for role_id, _ in pairs}
        names = {name for _, name in pairs}
        if (
            user_id in self.organiser_users
            or ids & self.organiser_roles
            or names & self.organiser_role_names
        ):
            return Role.ORGANISER
        if owns_served_guild and not self.organisers_configured:
            return Role.ORGANISER
        if (
            user_id in self.volunteer_users
            or ids & self.volunteer_roles
            or names & self.volunteer_role_names
        ):
            return Role.VOLUNTEER
        return Role.PARTICIPANT


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
        if isinstance(adapter, DiscordAdapter):
            custom_id = str(self.item.custom_id or "")
            await adapter.on_choice(interaction, custom_id, str(self.item.label or ""))


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


@dataclass
class _Answering:
    """The interaction (or message) whose answers are being sent right now."""

    user_id: str
    channel_id: str
    in_guild: bool
    locale: str | None
    interaction: discord.Interaction | None = None
    message: discord.Message | None = None
    ephemeral: bool = False
    thinking: bool = False
    answered: bool = False
    sent_privately: bool = False
    told_dm_closed: bool = False


@dataclass
class _Pacer:
    """Keeps the bot's REST requests below a rate, whoever makes them.

    discord.py keeps each route's bucket from its headers and waits out a 429, but
    it does not pace the global limit (50 requests a second per bot): it learns of
    it only from a 429. Every request through the bot's HTTP client passes here
    first, so a fan-out of DMs at any concurrency stays under it; interaction
    answers go through discord.py's webhook client and are not counted by Discord
    either. A sender that fell behind may catch up by ``burst`` requests, which
    stays below Discord's 50 a second with its own burst of 50.
    """

    rate: float
    burst: int = 4
    _next: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def wait(self) -> None:
        if self.rate <= 0:
            return
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.rate
        async with self._lock:
            now = loop.time()
            start = max(self._next, now - self.burst * interval)
            self._next = start + interval
            delay = start - now
        if delay > 0:
            await asyncio.sleep(delay)

    def pace(self, http: discord.http.HTTPClient) -> None:
        """Make every request of ``http`` wait its turn (once per client)."""
        if self.rate <= 0 or getattr(http, "_samvaer_paced", False):
            return
        request = http.request

        async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
            await self.wait()
            return await request(route, **kwargs)

        setattr(http, "request", paced)  # noqa: B010 - an instance's method, wrapped
        setattr(http, "_samvaer_paced", True)  # noqa: B010


@dataclass
class _LimitWatch:
    """Counts Discord's 429 answers and warns the operators once, with what to do.

    discord.py waits out each 429 and tries again, so nothing is lost, but many of
    them mean something else uses the same token (a second process or bot) or the
    pace is set above what Discord allows; Discord bans a bot that keeps at it.
    """

    rate: float = DEFAULT_RATE
    window: float = LIMITED_WINDOW
    warn_at: int = LIMITED_WARN_AT
    requests: int = 0
    limited: int = 0
    limited_total: int = 0
    warned: bool = False
    _started: float = 0.0

    def trace(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def on_end(
            session: aiohttp.ClientSession,
            context: Any,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            self.seen(params.response.status, params.response.headers)

        config.on_request_end.append(on_end)
        return config

    def seen(self, status: int, headers: Any = None) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._started > self.window:
            self._started, self.requests, self.limited = now, 0, 0
        self.requests += 1
        if status != 429:
            return
        self.limited += 1
        self.limited_total += 1
        if self.warned or self.limited < self.warn_at or self.limited * 100 < self.requests:
            return
        self.warned = True
        scope = headers.get("X-RateLimit-Scope", "") if headers is not None else ""
        pace = (
            f"lower [discord] requests_per_second (now {self.rate:g})"
            if self.rate > 0
            else "set [discord] requests_per_second (pacing is off)"
        )
        log.warning(
            "discord.rate_limited count=%d requests=%d seconds=%d scope=%s: Discord refused "
            "%d of the bot's last %d requests as too many (429). discord.py waits and tries "
            "again, and the outbox retries what still fails, so nothing is lost; but Discord "
            "bans bots that keep hitting its limits. Run one bot process per token (no second "
            "copy, no other program on the same token) and %s.",
            self.limited,
            self.requests,
            int(self.window),
            scope or "unknown",
            self.limited,
            self.requests,
            pace,
        )


class DiscordAdapter:
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

    def _log_unserved(self) -> None:
        if self._told_unserved:
            return
        self._told_unserved = True
        log.error(
            "discord.no_guild_ids: [discord] guild_ids is empty, so nobody is served; "
            "add the id of your community's server"
        )

    def _served(self, guild_id: int | None) -> bool:
        return guild_id is not None and guild_id in self.settings.guild_ids

    async def _leave_if_unknown(self, guild: discord.Guild) -> None:
        """Leave a server that is not one of the served guilds (the bot was added elsewhere)."""
        if not self.settings.guild_ids or self._served(guild.id):
            return  # with no guild_ids the bot serves nobody but stays where it was put
        log.warning("discord.left_unknown_guild guild=%s", guild.id)
        try:
            await guild.leave()
        except discord.HTTPException as error:
            log.warning("discord.leave_failed guild=%s status=%s", guild.id, error.status)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._leave_if_unknown(guild)

    async def served_members(
        self, user_id: int, known: discord.abc.User | None = None, *, fetch: bool = True
    ) -> list[discord.Member]:
        """The person's member objects in the served guilds (none: not in the community).

        ``known`` is a member object Discord just sent (an interaction's); it counts only
        when it belongs to a served guild. A guild whose member cache is incomplete is
        asked (``fetch``); a complete cache is trusted.
        """
        found: list[discord.Member] = []
        for guild_id in self.settings.guild_ids:
            guild = self.client.get_guild(guild_id)
            if guild is None:
                continue
            if isinstance(known, discord.Member) and known.guild.id == guild_id:
                found.append(known)
                continue
            member = guild.get_member(user_id)
            if member is None and fetch and not guild.chunked:
                try:
                    member = await guild.fetch_member(user_id)
                except discord.NotFound:
                    member = None
                except discord.HTTPException as error:
                    log.warning("discord.member_lookup_failed status=%s", error.status)
                    member = None
            if member is not None:
                found.append(member)
        return found

    def _role_from(self, user_id: int, members: Iterable[discord.Member]) -> Role | None:
        best: Role | None = None
        for member in members:
            pairs = [(str(r.id), r.name) for r in member.roles]
            owns = member.guild.owner_id == member.id
            role = self.roles.resolve(str(user_id), pairs, owns)
            best = role if best is None else max(best, role)
        return best

    async def role_of(self, user: discord.abc.User, *, fetch: bool = True) -> Role:
        """The user's role from their member objects in the served guilds and ``[roles]``."""
        members = await self.served_members(user.id, user, fetch=fetch)
        return self._role_from(user.id, members) or Role.PARTICIPANT

    async def current_role(self, user_id: str) -> Role | None:
        """The role someone holds now (asked before an alert goes out): participant for
        someone in no served guild; None while the served guilds are not known yet
        (starting up), so the message waits instead of being dropped."""
        if not _is_snowflake(user_id):
            return None
        if any(self.client.get_guild(g) is None for g in self.settings.guild_ids):
            return None
        members = await self.served_members(int(user_id))
        return self._role_from(int(user_id), members) or Role.PARTICIPANT

    async def admit(self, interaction: discord.Interaction) -> bool:
        """Whether an interaction comes from the community; refuses it politely if not.

        From a served guild: yes (Discord sends the member). From a DM: only a member of
        a served guild. From anywhere else: no.
        """
        if self._served(interaction.guild_id):
            return True
        if interaction.guild_id is None and await self.served_members(interaction.user.id):
            return True
        if not self.settings.guild_ids:
            self._log_unserved()
        else:
            log.info("discord.refused where=%s", "guild" if interaction.guild_id else "dm")
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
            elif not interaction.response.is_done():
                locale = str(interaction.locale.value) if interaction.locale else None
                await interaction.response.send_message(
                    self._text(locale, "discord.not_member"), ephemeral=True
                )
        except discord.HTTPException:
            log.info("discord.refusal_failed")
        return False

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

    # ------------------------------------------------------------ outgoing

    async def send(self, message: Outgoing) -> SendResult:
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

    # ------------------------------------------------------------ private spaces

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


def _channel_name(title: str) -> str:
    name = re.sub(r"[^\w-]+", "-", title.casefold()).strip("-")
    return (name or "samvaer")[:100]


def jitsi_link(name: str) -> str:
    """A Jitsi room for when the bot may not make a voice channel: a random name, so
    nobody can work it out from the meal's title (``name`` is not used in it)."""
    return f"https://meet.jit.si/Samvaer-{secrets.token_urlsafe(16)}"
