"""buddy join/volunteer/accept/decline/status/pause/resume/leave/end/block/report and the
organisers' admin match/volunteers/reports/report close."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from bot.buddies import jobs, load, pool, privacy, questionnaire, reports, rules, service, steady
from bot.buddies.models import ACTIVE, PROPOSED, BuddyReport
from bot.buddies.profile import (
    FIELDS,
    PARSERS,
    Profile,
    ProfileError,
    canonical_key,
    language_name,
    parse_arguments,
)
from bot.buddies.render import describe
from bot.buddies.stats import buddy_statistics
from bot.buddies.together import active_pairs_among
from bot.core.context import Context, JobContext
from bot.core.events import Role, invoke
from bot.core.parsing import ArgumentError, IntRange, OneOf, Rest
from bot.core.registry import CommandRegistry
from bot.core.words import word_table
from bot.people.service import display_name

# The words are data (bot/locales/<lang>/words.toml).
FEEDBACK = OneOf(
    word_table("buddies.feedback", ("good", "okay", "not_working")), error="buddy.error.feedback"
)
NOW = OneOf(word_table("buddies.now", ("now",)), error="buddy.error.now")
CLOSE = OneOf(word_table("buddies.close", ("close",)), error="buddy.error.close")


def setup(registry: CommandRegistry) -> None:
    """Register the buddy commands, dialog, timed work, hooks and providers."""
    registry.group("buddy")
    registry.group("admin")
    registry.pairs_source(active_pairs_among)  # buddies sit at one table at a meal

    @registry.command("buddy join", private=True)
    async def join(ctx: Context, args: Annotated[str, Rest(max_length=600)] = "") -> None:
        if ctx.role >= Role.VOLUNTEER:
            ctx.say("buddy.join_is_for_participants")
            return
        await questionnaire.start_profile(ctx, "participant", args)

    @registry.command("buddy volunteer", private=True)
    async def volunteer(ctx: Context, args: Annotated[str, Rest(max_length=600)] = "") -> None:
        if ctx.role < Role.VOLUNTEER:
            ctx.say("buddy.volunteer_is_for_volunteers")
            return
        await questionnaire.start_profile(ctx, "volunteer", args)

    registry.steps(questionnaire.PROFILE)

    @registry.command("buddy profile", private=True)
    async def profile(ctx: Context, args: Annotated[str, Rest(max_length=600)] = "") -> None:
        row = await load.profile_of(ctx.session, ctx.person.id)
        if row is None:
            ctx.say("buddy.profile_none")
            return
        words = args.split(maxsplit=1)
        if not words:
            # What it says now, and which part to change.
            ctx.say("buddy.profile_shown", profile=questionnaire.describe_profile(ctx, row))
            fields = [f for f in questionnaire.CHANGEABLE if questionnaire.changeable(row, f)]
            ctx.prompt(
                ctx.t("buddy.ask_field"),
                [(ctx.t(f"buddy.field.{f}"), invoke("buddy profile", f)) for f in fields],
            )
            return
        if "=" in args:
            try:
                parsed = parse_arguments(args, ctx.config.buddies.max_capacity)
            except ProfileError as error:
                raise ArgumentError(
                    "buddy.error.wrapped", message=questionnaire.error_text(error, ctx)
                ) from None
            if parsed.capacity is not None and row.role != "volunteer":
                raise ArgumentError("buddy.error.capacity_participant")
            await questionnaire.change(ctx, parsed.profile, parsed.capacity)
            return
        field = canonical_key(words[0])
        if field not in questionnaire.CHANGEABLE or not questionnaire.changeable(row, field):
            names = ", ".join(
                ctx.t(f"buddy.field.{f}")
                for f in questionnaire.CHANGEABLE
                if questionnaire.changeable(row, f)
            )
            raise ArgumentError("buddy.error.field", fields=names)
        value = words[1] if len(words) > 1 else ""
        if field == "capacity":
            try:
                parsed = parse_arguments(f"capacity {value}", ctx.config.buddies.max_capacity)
            except ProfileError as error:
                raise ArgumentError(
                    "buddy.error.wrapped", message=questionnaire.error_text(error, ctx)
                ) from None
            await questionnaire.change(ctx, Profile(), parsed.capacity)
            return
        if not value:
            # Ask just this one question, with the answer it has now to keep.
            stored = questionnaire.stored(row)
            data: dict[str, Any] = {
                "role": row.role,
                "capacity": row.capacity,
                "profile": {**stored, "answered": [f for f in FIELDS if f != field]},
                "current": stored,
                "single": field,
            }
            questionnaire.PROFILE.begin(ctx, data, step=field)
            return
        try:
            answer = PARSERS[field](value)
        except ProfileError as error:
            raise ArgumentError(
                "buddy.error.wrapped", message=questionnaire.error_text(error, ctx)
            ) from None
        await questionnaire.change(ctx, Profile().with_answer(field, answer), None)

    @registry.command("buddy accept", private=True)
    async def accept(ctx: Context, pair_id: int | None = None) -> None:
        pairs = [
            p
            for p in await load.open_pairs(ctx.session, ctx.person.id)
            if rules.awaiting_answer(p, ctx.person.id)
        ]
        pair = await questionnaire.choose_pair(ctx, pairs, pair_id, "accept", "buddy.no_proposal")
        if pair is None:
            return
        if await service.accept(questionnaire.job_of(ctx), pair, ctx.person.id):
            ctx.say("buddy.accepted_both")
        else:
            ctx.say("buddy.accepted_waiting")

    @registry.command("buddy decline", private=True)
    async def decline(ctx: Context, pair_id: int | None = None) -> None:
        pairs = [
            p for p in await load.open_pairs(ctx.session, ctx.person.id) if p.status == PROPOSED
        ]
        pair = await questionnaire.choose_pair(ctx, pairs, pair_id, "decline", "buddy.no_proposal")
        if pair is None:
            return
        await service.decline(questionnaire.job_of(ctx), pair, ctx.person.id)
        ctx.say("buddy.declined")

    @registry.command("buddy status", private=True)
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
            lines.append(describe(questionnaire.job_of(ctx), ctx.lang, shown, profile.about))
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
        if not await pool.set_paused(ctx.session, ctx.person.id, paused, ctx.now):
            ctx.say("buddy.status_none")
            return
        ctx.say("buddy.paused" if paused else "buddy.resumed")

    @registry.command("buddy pause", private=True)
    async def pause(ctx: Context, until: Annotated[str, Rest(max_length=40)] = "") -> None:
        if until:
            await steady.pause_until(ctx, until)
            return
        await _set_pause(ctx, True)

    @registry.command("buddy resume", private=True)
    async def resume(ctx: Context) -> None:
        await _set_pause(ctx, False)

    @registry.command("buddy leave", private=True)
    async def leave(ctx: Context) -> None:
        left = await service.leave_pool(questionnaire.job_of(ctx), ctx.person.id)
        if left is None:
            ctx.say("buddy.not_in_pool")
            return
        ctx.say("buddy.left_keep_active" if left.still_active else "buddy.left")

    @registry.command("buddy end", private=True)
    async def end(ctx: Context, reason: Annotated[str, Rest(max_length=300)] = "") -> None:
        wanted, _reason = questionnaire.pair_arg(reason)
        pairs = await load.open_pairs(ctx.session, ctx.person.id)
        pair = await questionnaire.choose_pair(ctx, pairs, wanted, "end", "buddy.no_pair")
        if pair is None:
            return
        await service.end_pair(questionnaire.job_of(ctx), pair, ctx.person.id, "ended")
        ctx.say("buddy.ended")

    @registry.command("buddy rematch", private=True)
    async def rematch(ctx: Context, which: Annotated[str, Rest(max_length=20)] = "") -> None:
        wanted, _ = questionnaire.pair_arg(which)
        pairs = [p for p in await load.open_pairs(ctx.session, ctx.person.id) if p.status == ACTIVE]
        pair = await questionnaire.choose_pair(ctx, pairs, wanted, "rematch", "buddy.no_pair")
        if pair is None:
            return
        await service.end_pair(questionnaire.job_of(ctx), pair, ctx.person.id, "not_working")
        await pool.seek_again(ctx.session, ctx.person.id, ctx.now)
        ctx.say("buddy.rematch", time=ctx.config.buddies.match_at)

    @registry.command("buddy block", private=True)
    async def block(ctx: Context, which: Annotated[str, Rest(max_length=20)] = "") -> None:
        wanted, _ = questionnaire.pair_arg(which)
        pairs = await load.open_pairs(ctx.session, ctx.person.id)
        pair = await questionnaire.choose_pair(ctx, pairs, wanted, "block", "buddy.no_pair")
        if pair is None:
            return
        await service.block(questionnaire.job_of(ctx), pair, ctx.person.id)
        ctx.say("buddy.blocked")

    @registry.command("buddy report", private=True)
    async def report(ctx: Context, text: Annotated[str, Rest(max_length=2000)]) -> None:
        limit = ctx.config.buddies.reports_per_day
        if await reports.filed_today(ctx.session, ctx.person.id, ctx.now) >= limit:
            ctx.say("buddy.report_limit", count=limit)
            return
        pairs = [p for p in await load.open_pairs(ctx.session, ctx.person.id) if p.status == ACTIVE]
        filed = await reports.file_report(questionnaire.job_of(ctx), ctx.person.id, text, pairs)
        ctx.say("buddy.report_receipt", ref=filed.id)

    @registry.command("buddy feedback", private=True)
    async def feedback(
        ctx: Context, answer: Annotated[str, FEEDBACK], pair_id: int | None = None
    ) -> None:
        pairs = [p for p in await load.open_pairs(ctx.session, ctx.person.id) if p.status == ACTIVE]
        pair = await questionnaire.choose_pair(
            ctx, pairs, pair_id, f"feedback {answer}", "buddy.no_pair"
        )
        if pair is None:
            return
        await service.record_feedback(questionnaire.job_of(ctx), pair, ctx.person.id, answer)
        if answer == "not_working":
            ctx.prompt(
                ctx.t("buddy.feedback_not_working"),
                [
                    (ctx.t("buddy.choice.new_match"), invoke("buddy rematch", f"#{pair.id}")),
                    (ctx.t("buddy.choice.keep"), invoke("buddy status")),
                ],
            )
        else:
            ctx.say(f"buddy.feedback_thanks_{answer}")

    @registry.command("buddy extend", private=True)
    async def extend(
        ctx: Context, answer: Annotated[str, steady.YES_NO], pair_id: int | None = None
    ) -> None:
        await steady.extend(ctx, answer, pair_id)

    @registry.command("buddy often", private=True)
    async def often(ctx: Context, how: Annotated[str, Rest(max_length=40)]) -> None:
        await steady.often(ctx, how)

    # ------------------------------------------------------------ organisers

    @registry.command("admin match", role=Role.ORGANISER)
    async def admin_match(ctx: Context, when: Annotated[str, NOW]) -> None:
        summary = await service.run_round(questionnaire.job_of(ctx))
        lines = [ctx.t("buddy.round_result", proposed=summary.proposed, waiting=summary.waiting)]
        wishes = 0
        for (reason, language), count in sorted(summary.reasons.items(), key=lambda i: -i[1]):
            if reason.startswith("wish_"):
                wishes += count  # one line, no language, no gender or age named
                continue
            lines.append(
                "• "
                + ctx.t(
                    f"buddy.why.{reason}", count=count, language=language_name(language, ctx.lang)
                )
            )
        if wishes:
            smallest = ctx.config.privacy.min_group_size
            few = wishes < smallest
            key = "buddy.why.wish_few" if few else "buddy.why.wish"
            lines.append("• " + ctx.t(key, count=wishes, smallest=smallest))
        ctx.reply("\n".join(lines))

    @registry.command("admin volunteers", role=Role.ORGANISER, private=True)
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

    @registry.command("admin reports", role=Role.ORGANISER, private=True)
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

    @registry.command("admin report", role=Role.ORGANISER, private=True)
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
        await reports.close_report(questionnaire.job_of(ctx), row, ctx.person.id, note)
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
