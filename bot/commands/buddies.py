"""buddy join/volunteer/accept/decline/status/pause/resume/leave/end/block/report and the
organisers' admin match/volunteers/reports/report close."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from bot.buddies import jobs, load, privacy, reports, rules, service, steady
from bot.buddies.models import ACTIVE, PROPOSED, BuddyPair, BuddyReport
from bot.buddies.profile import (
    COMMON_LANGUAGES,
    PARSERS,
    Profile,
    ProfileError,
    language_name,
    parse_arguments,
)
from bot.buddies.render import describe
from bot.buddies.scoring import CONTACT_MODES, KINDS, TIME_SLOTS
from bot.buddies.stats import buddy_statistics
from bot.core.context import Context, JobContext
from bot.core.dispatcher import command_option
from bot.core.events import Role
from bot.core.parsing import ArgumentError, IntRange, OneOf, Rest
from bot.core.registry import CommandRegistry
from bot.core.signals import ProgrammeJoined, announce
from bot.people.service import display_name, set_consent

PROFILE_DIALOG = "buddy_profile"
FEEDBACK = OneOf(
    {
        "good": ("godt", "god", "fint", "bra", "great"),
        "okay": ("ok", "okay", "nogenlunde", "sånn passe", "middels"),
        "not_working": ("not-working", "notworking", "dårligt", "dårlig", "virker-ikke", "bad"),
    },
    error="buddy.error.feedback",
)
NOW = OneOf({"now": ("nu", "nå", "no")}, error="buddy.error.now")
CLOSE = OneOf({"close": ("luk", "lukk", "closed")}, error="buddy.error.close")


def _job(ctx: Context) -> JobContext:
    return JobContext(ctx.services, ctx.session, ctx.now)


def _error(error: ProfileError, ctx: Context) -> str:
    values = dict(error.values)
    return ctx.t(error.key, **values, **_accepted(ctx))


def _accepted(ctx: Context) -> dict[str, str]:
    return {
        "languages": ", ".join(language_name(c, ctx.lang) for c in COMMON_LANGUAGES),
        "times": ", ".join(TIME_SLOTS),
        "contacts": ", ".join(CONTACT_MODES),
        "kinds": " | ".join(KINDS),
    }


def _ask(ctx: Context, step: str) -> None:
    """One question of the profile dialog, with choices where there are few answers."""
    skip = (ctx.t("buddy.choice.skip"), "-")
    options: dict[str, list[tuple[str, str]]] = {
        "languages": [(language_name(c, ctx.lang), c) for c in ("da", "no", "en", "ar", "uk")],
        "interests": [skip],
        "contact": [(ctx.t(f"buddy.contact.{m}"), m) for m in CONTACT_MODES]
        + [(ctx.t("buddy.choice.all"), "all")],
        "times": [
            (ctx.t("buddy.choice.weekday_evenings"), "weekday-evening"),
            (ctx.t("buddy.choice.weekday_days"), "weekday-morning,weekday-afternoon"),
            (ctx.t("buddy.choice.weekends"), "weekend"),
            (ctx.t("buddy.choice.anytime"), "all"),
        ],
        "kind": [(ctx.t(f"buddy.kind.{k}"), k) for k in KINDS],
        "about": [skip],
    }
    ctx.prompt(ctx.t(f"buddy.ask.{step}", **_accepted(ctx)), options[step])


def _pair_arg(text: str) -> tuple[int | None, str]:
    """``"#12 reason"`` → (12, "reason")."""
    words = text.split(maxsplit=1)
    if words and words[0].startswith("#") and words[0][1:].isdigit():
        return int(words[0][1:]), words[1] if len(words) > 1 else ""
    return None, text


async def _choose_pair(
    ctx: Context, pairs: list[BuddyPair], wanted: int | None, verb: str, none_key: str
) -> BuddyPair | None:
    """The one pair a command is about; asks with choices when there are several."""
    if wanted is not None:
        for pair in pairs:
            if pair.id == wanted:
                return pair
        ctx.say("buddy.no_such_pair", id=wanted)
        return None
    if not pairs:
        ctx.say(none_key)
        return None
    if len(pairs) == 1:
        return pairs[0]
    options = []
    for pair in pairs:
        other = rules.other_side(pair, ctx.person.id)
        label = (
            await display_name(ctx.session, other)
            if pair.status == ACTIVE
            else ctx.t("buddy.proposal_label", id=pair.id)
        )
        options.append((label, command_option(f"buddy {verb} #{pair.id}")))
    ctx.prompt(ctx.t("buddy.which"), options)
    return None


async def _start_profile(ctx: Context, role: str, args: str) -> None:
    """Shared by join and volunteer: consent, answers given at once, then the dialog."""
    max_capacity = ctx.config.buddies.max_capacity
    try:
        parsed = parse_arguments(args, max_capacity)
    except ProfileError as error:
        raise ArgumentError("buddy.error.wrapped", message=_error(error, ctx)) from None
    if parsed.capacity is not None and role != "volunteer":
        raise ArgumentError("buddy.error.capacity_participant")
    command = "join" if role == "participant" else "volunteer"
    if parsed.consent is False:
        ctx.say("buddy.consent_declined")
        return
    if parsed.consent:
        await set_consent(ctx.session, ctx.person, "buddies", True, ctx.now)
    if not ctx.person.consent_buddies:
        rest = f"{args} consent=yes".strip()
        ctx.prompt(
            ctx.t("buddy.ask_consent"),
            [
                (ctx.t("choice.yes"), command_option(f"buddy {command} {rest}")),
                (ctx.t("choice.no"), command_option(f"buddy {command} consent=no")),
            ],
        )
        return
    existing = await load.profile_of(ctx.session, ctx.person.id)
    capacity = parsed.capacity or (existing.capacity if existing and role == "volunteer" else 1)
    data: dict[str, Any] = {
        "role": role,
        "capacity": capacity,
        "profile": parsed.profile.to_data(),
        # Answers given at once: ask only what is still needed.
        "optional": not parsed.profile.answered,
    }
    await _next_question(ctx, data)


async def _next_question(ctx: Context, data: dict[str, Any]) -> None:
    profile = Profile.from_data(data["profile"])
    missing = profile.missing(
        volunteer=data["role"] == "volunteer", optional=bool(data.get("optional", True))
    )
    if missing:
        if not profile.answered and "intro_shown" not in data:
            data["intro_shown"] = True
            ctx.say("buddy.dialog_intro")
        ctx.continue_dialog(PROFILE_DIALOG, missing[0], data)
        _ask(ctx, missing[0])
        return
    ctx.end_dialog()
    await service.save_profile(
        ctx.session, ctx.person.id, data["role"], profile, int(data["capacity"]), ctx.now
    )
    await announce(ctx, ProgrammeJoined(ctx.person.id, "buddies", data["role"] == "volunteer"))
    if data["role"] == "volunteer":
        ctx.say(
            "buddy.volunteer_saved", capacity=data["capacity"], time=ctx.config.buddies.match_at
        )
    else:
        ctx.say("buddy.joined", time=ctx.config.buddies.match_at)


def setup(registry: CommandRegistry) -> None:
    """Register the buddy commands, dialog, timed work, hooks and providers."""
    registry.group("buddy", aliases=("makker", "venn", "ven", "buddies"))
    registry.group("admin", aliases=("adm", "arrangør", "arrangor", "organiser"))

    @registry.command("buddy join", private=True, aliases=("tilmeld", "bli-med", "meld-på"))
    async def join(ctx: Context, args: Annotated[str, Rest(max_length=600)] = "") -> None:
        if ctx.role >= Role.VOLUNTEER:
            ctx.say("buddy.join_is_for_participants")
            return
        await _start_profile(ctx, "participant", args)

    @registry.command("buddy volunteer", private=True, aliases=("frivillig", "hjælp", "hjelp"))
    async def volunteer(ctx: Context, args: Annotated[str, Rest(max_length=600)] = "") -> None:
        if ctx.role < Role.VOLUNTEER:
            ctx.say("buddy.volunteer_is_for_volunteers")
            return
        await _start_profile(ctx, "volunteer", args)

    @registry.dialog(PROFILE_DIALOG, ask=lambda ctx, step, data: _ask(ctx, step))
    async def profile_step(ctx: Context, step: str, data: dict[str, Any], text: str) -> None:
        try:
            value = PARSERS[step](text)
        except ProfileError as error:
            ctx.reply(_error(error, ctx))
            _ask(ctx, step)
            return
        data["profile"] = Profile.from_data(data["profile"]).with_answer(step, value).to_data()
        await _next_question(ctx, data)

    @registry.command("buddy accept", private=True, aliases=("ja", "accepter", "godta", "yes"))
    async def accept(ctx: Context, pair_id: int | None = None) -> None:
        pairs = [
            p
            for p in await load.open_pairs(ctx.session, ctx.person.id)
            if rules.awaiting_answer(p, ctx.person.id)
        ]
        pair = await _choose_pair(ctx, pairs, pair_id, "accept", "buddy.no_proposal")
        if pair is None:
            return
        if await service.accept(_job(ctx), pair, ctx.person.id):
            ctx.say("buddy.accepted_both")
        else:
            ctx.say("buddy.accepted_waiting")

    @registry.command("buddy decline", private=True, aliases=("nej", "nei", "afslå", "avslå"))
    async def decline(ctx: Context, pair_id: int | None = None) -> None:
        pairs = [
            p for p in await load.open_pairs(ctx.session, ctx.person.id) if p.status == PROPOSED
        ]
        pair = await _choose_pair(ctx, pairs, pair_id, "decline", "buddy.no_proposal")
        if pair is None:
            return
        await service.decline(_job(ctx), pair, ctx.person.id)
        ctx.say("buddy.declined")

    @registry.command("buddy status", private=True, aliases=("stilling", "hvordan"))
    async def status(ctx: Context) -> None:
        profile = await load.profile_of(ctx.session, ctx.person.id)
        pairs = await load.open_pairs(ctx.session, ctx.person.id)
        if profile is None and not pairs:
            ctx.say("buddy.status_none")
            return
        lines = []
        if profile is not None:
            state = "paused" if profile.paused else "seeking" if profile.seeking else "resting"
            lines.append(
                ctx.t(
                    f"buddy.status.{profile.role}_{state}",
                    since=ctx.local(profile.waiting_since or ctx.now, "date"),
                )
            )
            shown = {
                "languages": profile.languages,
                "times": profile.times,
                "contact": profile.contact,
                "interests": profile.interests,
            }
            lines.append(describe(_job(ctx), ctx.lang, shown, profile.about))
            if profile.role == "volunteer":
                active = sum(1 for p in pairs if p.partner_id == ctx.person.id)
                lines.append(ctx.t("buddy.status.capacity", used=active, capacity=profile.capacity))
        for pair in pairs:
            if pair.status == ACTIVE:
                name = await display_name(ctx.session, rules.other_side(pair, ctx.person.id))
                lines.append(
                    ctx.t(
                        "buddy.status.active",
                        name=name,
                        since=ctx.local(pair.matched_at or ctx.now, "date"),
                    )
                )
            else:
                lines.append(
                    ctx.t("buddy.status.proposed", id=pair.id, until=ctx.local(pair.expires_at))
                )
        lines.extend(await steady.status_lines(ctx, profile, pairs))
        ctx.reply("\n".join(line for line in lines if line))

    async def _set_pause(ctx: Context, paused: bool) -> None:
        if not await service.set_paused(ctx.session, ctx.person.id, paused, ctx.now):
            ctx.say("buddy.status_none")
            return
        ctx.say("buddy.paused" if paused else "buddy.resumed")

    @registry.command("buddy pause", private=True, aliases=("hvil",))
    async def pause(ctx: Context, until: Annotated[str, Rest(max_length=40)] = "") -> None:
        if until:
            await steady.pause_until(ctx, until)
            return
        await _set_pause(ctx, True)

    @registry.command(
        "buddy resume", private=True, aliases=("genoptag", "fortsæt", "fortsett", "gjenoppta")
    )
    async def resume(ctx: Context) -> None:
        await _set_pause(ctx, False)

    @registry.command("buddy leave", private=True, aliases=("forlad", "forlat", "afmeld", "avmeld"))
    async def leave(ctx: Context) -> None:
        left = await service.leave_pool(_job(ctx), ctx.person.id)
        if left is None:
            ctx.say("buddy.not_in_pool")
            return
        ctx.say("buddy.left_keep_active" if left.still_active else "buddy.left")

    @registry.command("buddy end", private=True, aliases=("afslut", "slut", "avslutt", "stop"))
    async def end(ctx: Context, reason: Annotated[str, Rest(max_length=300)] = "") -> None:
        wanted, _reason = _pair_arg(reason)
        pairs = await load.open_pairs(ctx.session, ctx.person.id)
        pair = await _choose_pair(ctx, pairs, wanted, "end", "buddy.no_pair")
        if pair is None:
            return
        await service.end_pair(_job(ctx), pair, ctx.person.id, "ended")
        ctx.say("buddy.ended")

    @registry.command("buddy rematch", private=True, aliases=("ny", "new", "igen", "igjen"))
    async def rematch(ctx: Context, which: Annotated[str, Rest(max_length=20)] = "") -> None:
        wanted, _ = _pair_arg(which)
        pairs = [p for p in await load.open_pairs(ctx.session, ctx.person.id) if p.status == ACTIVE]
        pair = await _choose_pair(ctx, pairs, wanted, "rematch", "buddy.no_pair")
        if pair is None:
            return
        await service.end_pair(_job(ctx), pair, ctx.person.id, "not_working")
        await service.seek_again(ctx.session, ctx.person.id, ctx.now)
        ctx.say("buddy.rematch", time=ctx.config.buddies.match_at)

    @registry.command("buddy block", private=True, aliases=("bloker", "blokker", "blokér"))
    async def block(ctx: Context, which: Annotated[str, Rest(max_length=20)] = "") -> None:
        wanted, _ = _pair_arg(which)
        pairs = await load.open_pairs(ctx.session, ctx.person.id)
        pair = await _choose_pair(ctx, pairs, wanted, "block", "buddy.no_pair")
        if pair is None:
            return
        await service.block(_job(ctx), pair, ctx.person.id)
        ctx.say("buddy.blocked")

    @registry.command(
        "buddy report",
        private=True,
        aliases=("rapporter", "rapportér", "indberet", "meld-fra", "si-fra"),
    )
    async def report(ctx: Context, text: Annotated[str, Rest(max_length=2000)]) -> None:
        limit = ctx.config.buddies.reports_per_day
        if await reports.filed_today(ctx.session, ctx.person.id, ctx.now) >= limit:
            ctx.say("buddy.report_limit", count=limit)
            return
        pairs = [p for p in await load.open_pairs(ctx.session, ctx.person.id) if p.status == ACTIVE]
        filed = await reports.file_report(_job(ctx), ctx.person.id, text, pairs)
        ctx.say("buddy.report_receipt", ref=filed.id)

    @registry.command("buddy feedback", private=True, aliases=("svar",))
    async def feedback(
        ctx: Context, answer: Annotated[str, FEEDBACK], pair_id: int | None = None
    ) -> None:
        pairs = [p for p in await load.open_pairs(ctx.session, ctx.person.id) if p.status == ACTIVE]
        pair = await _choose_pair(ctx, pairs, pair_id, f"feedback {answer}", "buddy.no_pair")
        if pair is None:
            return
        await service.record_feedback(_job(ctx), pair, ctx.person.id, answer)
        if answer == "not_working":
            ctx.prompt(
                ctx.t("buddy.feedback_not_working"),
                [
                    (ctx.t("buddy.choice.new_match"), command_option(f"buddy rematch #{pair.id}")),
                    (ctx.t("buddy.choice.keep"), command_option("buddy status")),
                ],
            )
        else:
            ctx.say(f"buddy.feedback_thanks_{answer}")

    @registry.command(
        "buddy extend", private=True, aliases=("forlæng", "forleng", "fortsæt-sammen")
    )
    async def extend(
        ctx: Context, answer: Annotated[str, steady.YES_NO], pair_id: int | None = None
    ) -> None:
        await steady.extend(ctx, answer, pair_id)

    @registry.command("buddy often", private=True, aliases=("hyppighed", "hyppighet", "hvor-ofte"))
    async def often(ctx: Context, how: Annotated[str, Rest(max_length=40)]) -> None:
        await steady.often(ctx, how)

    # ------------------------------------------------------------ organisers

    @registry.command("admin match", role=Role.ORGANISER, aliases=("match", "par"))
    async def admin_match(ctx: Context, when: Annotated[str, NOW]) -> None:
        summary = await service.run_round(_job(ctx))
        lines = [ctx.t("buddy.round_result", proposed=summary.proposed, waiting=summary.waiting)]
        for (reason, language), count in sorted(summary.reasons.items(), key=lambda i: -i[1]):
            lines.append(
                "• "
                + ctx.t(
                    f"buddy.why.{reason}", count=count, language=language_name(language, ctx.lang)
                )
            )
        ctx.reply("\n".join(lines))

    @registry.command(
        "admin volunteers", role=Role.ORGANISER, private=True, aliases=("frivillige",)
    )
    async def admin_volunteers(ctx: Context) -> None:
        rows = await load.volunteer_profiles(ctx.session)
        if not rows:
            ctx.say("buddy.no_volunteers")
            if longest := await steady.longest_waiting_lines(ctx):
                ctx.reply("\n".join(longest))
            return
        used = await load.open_pairs_per_partner(ctx.session)
        lines = [ctx.t("buddy.volunteers_title")]
        for row in rows:
            state = "paused" if row.paused else "offering" if row.seeking else "resting"
            lines.append(
                ctx.t(
                    f"buddy.volunteer_line_{state}",
                    name=await display_name(ctx.session, row.person_id),
                    used=used.get(row.person_id, 0),
                    capacity=row.capacity,
                    free=max(row.capacity - used.get(row.person_id, 0), 0),
                )
            )
        lines.extend(await steady.longest_waiting_lines(ctx))
        ctx.reply("\n".join(lines))

    @registry.command("admin reports", role=Role.ORGANISER, private=True, aliases=("rapporter",))
    async def admin_reports(ctx: Context) -> None:
        rows = await reports.open_reports(ctx.session)
        if not rows:
            ctx.say("buddy.no_reports")
            return
        lines = [ctx.t("buddy.reports_title", count=len(rows))]
        for row in rows:
            lines.append(
                ctx.t(
                    "buddy.report_line",
                    ref=row.id,
                    when=ctx.local(row.created_at, "short"),
                    reporter=await display_name(ctx.session, row.reporter_id),
                    text=row.text,
                )
            )
        ctx.reply("\n".join(lines))

    @registry.command("admin report", role=Role.ORGANISER, private=True, aliases=("rapport",))
    async def admin_report(
        ctx: Context,
        action: Annotated[str, CLOSE],
        report_id: Annotated[int, IntRange(1, 2**31 - 1, "buddy.error.report_id")],
        note: Annotated[str, Rest(max_length=1000)] = "",
    ) -> None:
        row = await ctx.session.get(BuddyReport, report_id)
        if row is None:
            raise ArgumentError("buddy.error.no_report", ref=report_id)
        if row.status == "closed":
            ctx.say("buddy.report_already_closed", ref=report_id)
            return
        await reports.close_report(_job(ctx), row, ctx.person.id, note)
        ctx.say("buddy.report_closed", ref=report_id)

    # ------------------------------------------------------------ timed work and hooks

    @registry.every("buddies.match")
    async def match_daily(job: JobContext) -> datetime | None:
        return await jobs.scheduled_round(job)

    @registry.every("buddies.housekeeping")
    async def housekeeping(job: JobContext) -> datetime | None:
        return await jobs.housekeeping(job)

    @registry.every("buddies.retention")
    async def retention(job: JobContext) -> datetime | None:
        return await jobs.retention(job)

    @registry.on_delivered("buddy_space")
    async def space_opened(job: JobContext, message: Any, result: Any) -> None:
        await service.space_delivered(job, message, result.value)

    registry.stats("buddies")(buddy_statistics)  # type: ignore[arg-type]
    registry.personal_data(privacy.BuddyData())
