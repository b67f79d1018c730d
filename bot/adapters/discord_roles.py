"""Roles and membership on Discord: who is served, and as what."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.adapters.discord_common import (
    log,
)
from bot.config import RolesConfig
from bot.core.events import (
    Role,
)

if TYPE_CHECKING:
    from bot.adapters.discord import SamvaerClient
    from bot.config import DiscordConfig


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


class _Membership:
    """Who gets in: the served guilds, their members and the roles they hold."""

    if TYPE_CHECKING:
        client: SamvaerClient
        settings: DiscordConfig
        roles: RoleRules
        _told_unserved: bool

        def _text(self, locale: str | None, key: str, /, **values: object) -> str: ...

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
