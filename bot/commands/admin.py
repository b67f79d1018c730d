"""Organisers' commands (rooms, roles, statistics, export) and linking accounts."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Context, JobContext
from bot.core.dispatcher import ROLE_KEYS
from bot.core.events import ChoicePrompt, Direct, Option, Role, Room, TextMessage, invoke
from bot.core.parsing import ON_OFF, ArgumentError, IntRange, OneOf, Rest
from bot.core.registry import CommandRegistry
from bot.core.steps import Finish, Outcome, Step, StepDialog
from bot.core.words import word_set, word_table
from bot.db.models import Account, Person, RoomBinding
from bot.organising.linking import (
    CODE_VALID_FOR,
    LinkOutcome,
    claim_code,
    claim_waiting,
    complete_link,
    issue_code,
    issuer_account,
    looks_like_code,
    redeem,
    unlink_account,
)
from bot.organising.models import OrgLinkAttempt, OrgLinkCode
from bot.organising.retention import RUN_EVERY, purge
from bot.organising.stats import collect, period
from bot.organising.views import StatsView
from bot.people.service import accounts_of
from bot.rooms.service import FEATURES, configured_rooms

FEATURE = OneOf(
    word_table(
        "organising.feature", ("announcements", "meals", "volunteers", "organisers", "checkins")
    ),
    error="admin.feature_unknown",
)
STATS_DAYS = IntRange(1, 3660, "admin.days_range")
DEFAULT_STATS_DAYS = 30
DEFAULT_EXPORT_DAYS = 365


def _view(ctx: Context) -> StatsView:
    config = ctx.config
    return StatsView(
        ctx.services.translator,
        ctx.lang,
        ctx.timezone,
        config.community.name,
        config.privacy.min_group_size,
    )


def _feature_name(ctx: Context, feature: str) -> str:
    return ctx.t(f"admin.feature.{feature}")


def _room_text(room: Room) -> str:
    return f"{room.platform}:{room.room_id}"


def _accounts_text(accounts: list[Account]) -> str:
    return ", ".join(f"{a.platform} ({a.display_name or a.external_id})" for a in accounts)


YES_WORDS = word_set("organising.link_yes_no.yes")
NO_WORDS = word_set("organising.link_yes_no.no")
LINK_DIALOG = "link_confirm"


def _name_of(account: Account | None) -> str:
    if account is None:
        return "?"
    return account.display_name or account.external_id


def _t(ctx: Context, lang: str, platform: str, key: str, /, **values: object) -> str:
    """A message for someone else (another account), in their language and prefix."""
    values.setdefault("prefix", ctx.services.prefix(platform))
    values.setdefault("community", ctx.config.community.name)
    return ctx.services.translator.text(lang, key, **values)


async def _language_of(ctx: Context, person_id: int) -> str:
    person = await ctx.session.get(Person, person_id)
    return (person.language if person else None) or ctx.config.community.language


async def _own_account(ctx: Context) -> Account:
    return (
        await ctx.session.execute(
            select(Account).where(
                Account.platform == ctx.sender.platform,
                Account.external_id == ctx.sender.user_id,
            )
        )
    ).scalar_one()


def _config_entry(entries: tuple[str, ...], account: Account) -> str | None:
    """The ``[roles]`` entry that names this account, if any."""
    names = {
        account.external_id,
        f"{account.platform}:{account.external_id}",
        f"{account.platform}-user:{account.external_id}",
    }
    return next((entry for entry in entries if entry in names), None)


class LinkingData:
    """Link codes and wrong tries are personal data too: shown in mydata, erased by forget."""

    name = "linking"

    async def export(self, session: AsyncSession, person_id: int) -> Any:
        codes = await session.execute(
            select(OrgLinkCode.platform, OrgLinkCode.created_at, OrgLinkCode.expires_at).where(
                OrgLinkCode.person_id == person_id
            )
        )
        tries = await session.execute(
            select(OrgLinkAttempt.at).where(OrgLinkAttempt.person_id == person_id)
        )
        return {
            "open_codes": [
                {"platform": p, "created_at": c.isoformat(), "expires_at": e.isoformat()}
                for p, c, e in codes.all()
            ],
            "wrong_tries": [at.isoformat() for at in tries.scalars()],
        }

    async def erase(self, session: AsyncSession, person_id: int, now: datetime) -> None:
        await session.execute(delete(OrgLinkCode).where(OrgLinkCode.person_id == person_id))
        await session.execute(delete(OrgLinkAttempt).where(OrgLinkAttempt.person_id == person_id))


def setup(registry: CommandRegistry) -> None:
    """Register the organisers' commands, linking and the daily purge."""
    registry.group("admin")

    # ------------------------------------------------------------ rooms

    @registry.command("admin room", role=Role.ORGANISER)
    async def admin_room(
        ctx: Context, feature: Annotated[str, FEATURE], state: Annotated[str, ON_OFF]
    ) -> None:
        if ctx.is_direct:
            ctx.say("admin.room_needs_room")
            return
        room = ctx.room
        name = _feature_name(ctx, feature)
        in_config = room in configured_rooms(ctx.config, feature)
        key = (room.platform, room.room_id, feature)
        existing = await ctx.session.get(RoomBinding, key)
        if state == "on":
            if in_config:
                ctx.say("admin.room_on_in_config", feature=name)
            elif existing is not None:
                ctx.say("admin.room_already_on", feature=name)
            else:
                ctx.session.add(
                    RoomBinding(
                        platform=room.platform,
                        room_id=room.room_id,
                        feature=feature,
                        bound_by=ctx.person.id,
                        bound_at=ctx.now,
                    )
                )
                ctx.say("admin.room_on", feature=name)
            return
        if existing is not None:
            await ctx.session.delete(existing)
        if in_config:
            ctx.say("admin.room_off_config_wins", feature=name)
        elif existing is not None:
            ctx.say("admin.room_off", feature=name)
        else:
            ctx.say("admin.room_already_off", feature=name)

    @registry.command("admin rooms", role=Role.ORGANISER)
    async def admin_rooms(ctx: Context) -> None:
        result = await ctx.session.execute(
            select(RoomBinding).order_by(RoomBinding.feature, RoomBinding.bound_at)
        )
        bound: dict[str, list[RoomBinding]] = {}
        for binding in result.scalars():
            bound.setdefault(binding.feature, []).append(binding)
        lines = [ctx.t("admin.rooms_title")]
        for feature in FEATURES:
            entries = []
            from_config = configured_rooms(ctx.config, feature)
            for room in from_config:
                entries.append(ctx.t("admin.rooms_from_config", room=_room_text(room)))
            for binding in bound.get(feature, []):
                room = Room(binding.platform, binding.room_id)
                if room in from_config:
                    continue
                entries.append(
                    ctx.t(
                        "admin.rooms_from_command",
                        room=_room_text(room),
                        date=ctx.local(binding.bound_at, "date"),
                    )
                )
            here = ctx.room in from_config or any(
                Room(b.platform, b.room_id) == ctx.room for b in bound.get(feature, [])
            )
            mark = " " + ctx.t("admin.rooms_this_room") if here and not ctx.is_direct else ""
            listed = "; ".join(entries) if entries else ctx.t("admin.rooms_none")
            lines.append(f"• {_feature_name(ctx, feature)}: {listed}{mark}")
        lines.append(ctx.t("admin.rooms_howto"))
        ctx.reply("\n".join(lines))

    # ------------------------------------------------------------ roles

    @registry.command("admin roles", role=Role.ORGANISER, private=True)
    async def admin_roles(ctx: Context) -> None:
        roles = ctx.config.roles
        none = ctx.t("admin.roles_none")
        lines = [
            ctx.t("admin.roles_title"),
            ctx.t("admin.roles_config_organisers", entries=", ".join(roles.organisers) or none),
            ctx.t("admin.roles_config_volunteers", entries=", ".join(roles.volunteers) or none),
        ]
        result = await ctx.session.execute(
            select(Account)
            .where(Account.role >= int(Role.VOLUNTEER))
            .order_by(Account.role.desc(), Account.display_name, Account.id)
        )
        people = list(result.scalars())
        if people:
            lines.append(ctx.t("admin.roles_people"))
        for account in people:
            role = Role(account.role)
            entries = roles.organisers if role == Role.ORGANISER else roles.volunteers
            entry = _config_entry(entries, account)
            why = (
                ctx.t("admin.roles_why_config", entry=entry)
                if entry
                else ctx.t("admin.roles_why_platform")
            )
            seen = ctx.local(account.last_seen_at, "date") if account.last_seen_at else "–"
            lines.append(
                ctx.t(
                    "admin.roles_person",
                    name=account.display_name or account.external_id,
                    platform=account.platform,
                    role=ctx.t(ROLE_KEYS[role]),
                    why=why,
                    seen=seen,
                )
            )
        participants = await ctx.session.execute(
            select(func.count()).select_from(Account).where(Account.role < int(Role.VOLUNTEER))
        )
        lines.append(
            ctx.t(
                "admin.roles_participants",
                accounts=ctx.tn("count.accounts", int(participants.scalar_one())),
            )
        )
        lines.append(ctx.t("admin.roles_note"))
        ctx.reply("\n".join(lines))

    # ------------------------------------------------------------ statistics

    @registry.command("admin stats", role=Role.ORGANISER, private=True, long_running=True)
    async def admin_stats(
        ctx: Context, days: Annotated[int, STATS_DAYS] = DEFAULT_STATS_DAYS
    ) -> None:
        since, until = period(ctx.now, days)
        tables = await collect(
            ctx.session,
            ctx.services.registry.statistics,
            since,
            until,
            ctx.config.privacy.min_group_size,
        )
        view = _view(ctx)
        ctx.reply(view.summary(tables, since, until))
        # Drawing takes a second or more: off the event loop, like the history chart.
        chart = await asyncio.to_thread(view.chart, tables, since, until)
        ctx.send_file(
            f"samvaer-stats-{until:%Y%m%d}-{days}d.png",
            chart,
            "image/png",
            ctx.t("admin.stats_chart_caption", days=ctx.tn("stats.days", days)),
        )

    @registry.command("admin export", role=Role.ORGANISER, private=True, long_running=True)
    async def admin_export(
        ctx: Context, days: Annotated[int, STATS_DAYS] = DEFAULT_EXPORT_DAYS
    ) -> None:
        since, until = period(ctx.now, days)
        min_size = ctx.config.privacy.min_group_size
        tables = await collect(
            ctx.session, ctx.services.registry.statistics, since, until, min_size
        )
        content = await asyncio.to_thread(_view(ctx).export, tables, since, until)
        if not any(table.rows for table in tables):
            ctx.say("admin.export_empty", days=ctx.tn("stats.days", days))
        ctx.send_file(
            f"samvaer-export-{until:%Y%m%d}-{days}d.zip",
            content,
            "application/zip",
            ctx.t(
                "admin.export_caption",
                days=ctx.tn("stats.days", days),
                files=ctx.tn("stats.csv_files", len(tables) + 2),
                min=min_size,
            ),
        )

    # ------------------------------------------------------------ linking

    @registry.command("link", private=True)
    async def link(ctx: Context, code: Annotated[str, Rest(max_length=40)] = "") -> None:
        if not code:
            made = await issue_code(ctx.session, ctx.person.id, ctx.sender.platform, ctx.now)
            minutes = int(CODE_VALID_FOR.total_seconds() // 60)
            ctx.say("link.code", code=made, minutes=minutes)
            return
        answer = code.casefold().strip(" .!")
        if answer in YES_WORDS or answer in NO_WORDS:
            await _issuer_answers(ctx, answer in YES_WORDS)
            return
        if not looks_like_code(code):
            raise ArgumentError("link.bad_format")
        result = await redeem(ctx.session, ctx.person.id, ctx.sender.platform, code, ctx.now)
        if result.outcome is LinkOutcome.LOCKED:
            assert result.retry_at is not None
            ctx.say("link.locked", time=ctx.local(result.retry_at, "HH:mm"))
        elif result.outcome is LinkOutcome.WRONG:
            ctx.say("link.wrong", left=result.tries_left)
        elif result.outcome is LinkOutcome.OWN_CODE:
            ctx.say("link.own_code")
        elif result.outcome is LinkOutcome.SAME_PLATFORM:
            ctx.say("link.same_platform", platform=result.platform)
        else:
            # Nothing is joined yet: show whose account this is and ask for a yes.
            assert result.code_id is not None
            found = await ctx.session.get(OrgLinkCode, result.code_id)
            assert found is not None
            issuer = await issuer_account(ctx.session, found)
            linking.begin(
                ctx, {"code_id": found.id, "platform": found.platform, "name": _name_of(issuer)}
            )

    def ask_link(ctx: Context, data: dict[str, Any]) -> None:
        ctx.prompt(
            ctx.t("link.confirm_redeemer", platform=data["platform"], name=data["name"]),
            [(ctx.t("choice.yes"), "yes"), (ctx.t("choice.no"), "no")],
        )

    async def link_confirm(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
        ctx.end_dialog()
        if text.casefold().strip(" .!") not in YES_WORDS:
            ctx.say("link.not_joined")
            return Finish()
        account = await _own_account(ctx)
        claimed = await claim_code(
            ctx.session, int(data["code_id"]), ctx.person.id, account.id, ctx.now
        )
        issuer = None if claimed is None else await issuer_account(ctx.session, claimed)
        if claimed is None or issuer is None:
            ctx.say("link.claim_gone")
            return Finish()
        minutes = int(CODE_VALID_FOR.total_seconds() // 60)
        ctx.say("link.waiting", platform=issuer.platform, name=_name_of(issuer), minutes=minutes)
        # The code's maker is asked on the account the code was made on.
        issuer_lang = await _language_of(ctx, issuer.person_id)
        ctx.send(
            ChoicePrompt(
                Direct(issuer.platform, issuer.external_id),
                _t(
                    ctx,
                    issuer_lang,
                    issuer.platform,
                    "link.confirm_issuer",
                    platform=account.platform,
                    name=_name_of(account),
                ),
                (
                    Option(
                        _t(ctx, issuer_lang, issuer.platform, "choice.yes"),
                        invoke("link", "yes"),
                    ),
                    Option(
                        _t(ctx, issuer_lang, issuer.platform, "choice.no"),
                        invoke("link", "no"),
                    ),
                ),
            )
        )
        return Finish()

    # Joining two accounts: the one who typed the code says yes; after crisis words the
    # question is set aside.
    linking = StepDialog(
        LINK_DIALOG, {"confirm": Step(ask_link, link_confirm)}, "confirm", resumes=False
    )
    registry.steps(linking)

    async def _issuer_answers(ctx: Context, yes: bool) -> None:
        """The code's maker answers a join someone asked for with their code."""
        waiting = await claim_waiting(ctx.session, ctx.person.id, ctx.now)
        if waiting is None or waiting.claimed_account_id is None:
            ctx.say("link.nothing_to_confirm")
            return
        other = await ctx.session.get(Account, waiting.claimed_account_id)
        assert other is not None
        other_to = Direct(other.platform, other.external_id)
        other_lang = await _language_of(ctx, other.person_id)
        if not yes:
            await ctx.session.delete(waiting)
            ctx.say("link.refused")
            ctx.send(
                TextMessage(other_to, _t(ctx, other_lang, other.platform, "link.refused_other"))
            )
            return
        result = await complete_link(ctx.session, waiting)
        assert result.person_id is not None
        joined = await ctx.session.get(Person, result.person_id)
        assert joined is not None
        ctx.person = joined
        accounts = _accounts_text(await accounts_of(ctx.session, joined.id))
        ctx.say("link.linked", accounts=accounts)
        # Both accounts are told.
        ctx.send(
            TextMessage(
                other_to, _t(ctx, ctx.lang, other.platform, "link.linked", accounts=accounts)
            )
        )

    @registry.command("unlink", private=True)
    async def unlink(ctx: Context) -> None:
        person_id = ctx.person.id
        split = await unlink_account(
            ctx.session, person_id, ctx.sender.platform, ctx.sender.user_id, ctx.now
        )
        if split is None:
            ctx.say("unlink.nothing")
            return
        mine, theirs = split
        others = await accounts_of(ctx.session, theirs.id)
        ctx.person = mine
        ctx.say("unlink.done", platform=ctx.sender.platform, accounts=_accounts_text(others))

    registry.personal_data(LinkingData())

    # ------------------------------------------------------------ retention

    @registry.every("organising.retention")
    async def retention(job: JobContext) -> datetime:
        await purge(job.session, job.config, job.now)
        return job.now + RUN_EVERY
