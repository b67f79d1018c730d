"""impact on|off, the loneliness questions and the volunteers' pulse; admin impact."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

from sqlalchemy import func, select

from bot.core.context import Context, OutboxWriter
from bot.core.events import Role
from bot.core.parsing import IntRange, OneOf
from bot.core.registry import CommandRegistry
from bot.core.signals import ProgrammeJoined
from bot.impact import jobs, load, privacy, render, service
from bot.impact.models import (
    ANSWERED,
    ASKED,
    DUE,
    SKIPPED,
    YES,
    ImpactPerson,
    ImpactPulse,
    ImpactRound,
)
from bot.impact.offline import period_start
from bot.impact.report import Words, files, summary
from bot.impact.rules import (
    ITEMS,
    SKIP,
    SUPPORT_CHOICES,
    AskState,
    may_ask,
    read_answer,
    read_hours,
)
from bot.people.service import display_name

ROUND_DIALOG = "impact_round"
PULSE_DIALOG = "impact_pulse"
ID = IntRange(1, 2_000_000_000, "impact.not_found")
ITEM = OneOf({item: () for item in ITEMS}, error="impact.not_found")
MONTHS = IntRange(1, 120, "impact.months_range")
DEFAULT_MONTHS = 12


def _skip_words(ctx: Context) -> frozenset[str]:
    translator = ctx.services.translator
    words = {SKIP}
    for lang in translator.catalogs:
        words.update(
            w.strip().casefold() for w in translator.text(lang, "impact.skip_words").split(",")
        )
        words.add(translator.text(lang, "impact.choice_skip_item").casefold())
    return frozenset(words)


def _ask_item(ctx: Context, item: str) -> None:
    ctx.prompt(
        render.question_text(ctx.services, ctx.lang, item),
        render.item_options(ctx.services, ctx.lang, item),
    )


async def _finish_round(ctx: Context, row: ImpactRound) -> None:
    ctx.end_dialog()
    answered = any(getattr(row, item) is not None for item in ITEMS)
    if not answered:
        row.status = SKIPPED
    upcoming = await service.next_round(ctx.session, ctx.person.id)
    if upcoming is None:
        ctx.say("impact.round_done_last")
    else:
        ctx.say(
            "impact.round_done",
            next=render.when_text(ctx.services, ctx.lang, ctx.timezone, upcoming.due_at),
        )


async def _after_item(ctx: Context, row: ImpactRound, item: str) -> None:
    index = ITEMS.index(item)
    if index + 1 >= len(ITEMS):
        await _finish_round(ctx, row)
        return
    following = ITEMS[index + 1]
    ctx.continue_dialog(ROUND_DIALOG, following, {"round": row.id})
    _ask_item(ctx, following)


def _ask_pulse_step(ctx: Context, step: str) -> None:
    if step == "support":
        ctx.prompt(ctx.t("impact.pulse_support"), render.support_options(ctx.services, ctx.lang))
    else:
        ctx.prompt(ctx.t("impact.pulse_hours"), render.hours_options(ctx.services, ctx.lang))


async def _start_now(ctx: Context) -> bool:
    """Right after a yes: the first round, when it is due and the weekly limit allows."""
    state = await ctx.session.get(ImpactPerson, ctx.person.id)
    if state is None or not may_ask(
        AskState(state.last_asked_at, state.paused_until),
        ctx.now,
        ctx.config.impact.min_days_between,
    ):
        return False
    found = await ctx.session.execute(
        select(ImpactRound).where(
            ImpactRound.person_id == ctx.person.id,
            ImpactRound.month == 0,
            ImpactRound.status == DUE,
        )
    )
    row = found.scalars().first()
    if row is None:
        return False
    row.status, row.asked_at = ASKED, ctx.now
    state.last_asked_at = ctx.now
    ctx.send(render.first_question(ctx.services, ctx.here, ctx.lang, row))
    return True


def setup(registry: CommandRegistry) -> None:
    """Register the impact commands, dialogs, timed work, listeners and personal data."""
    registry.group("impact", aliases=("effekt", "virkning"))

    @registry.command("impact", private=True)
    async def impact(ctx: Context) -> None:
        state = await ctx.session.get(ImpactPerson, ctx.person.id)
        if state is None or state.consent != YES:
            ctx.say("impact.status_off" if ctx.config.impact.enabled else "impact.not_used")
            return
        answered = await ctx.session.execute(
            select(func.count())
            .select_from(ImpactRound)
            .where(ImpactRound.person_id == ctx.person.id, ImpactRound.status == ANSWERED)
        )
        upcoming = await service.next_round(ctx.session, ctx.person.id)
        ctx.say("impact.status_on", answered=int(answered.scalar_one()))
        if upcoming is not None:
            ctx.say(
                "impact.status_next",
                next=render.when_text(ctx.services, ctx.lang, ctx.timezone, upcoming.due_at),
            )
        if state.paused_until is not None and state.paused_until > ctx.now:
            ctx.say("impact.status_paused")

    @registry.command("impact on", private=True, aliases=("til", "på", "ja", "yes"))
    async def impact_on(ctx: Context) -> None:
        if not ctx.config.impact.enabled:
            ctx.say("impact.not_used")
            return
        changed = await service.set_consent(ctx.session, ctx.config, ctx.person.id, True, ctx.now)
        if not changed:
            ctx.say("impact.consent_already_on")
            return
        if await service.is_participant(ctx.session, ctx.person.id):
            ctx.say("impact.consent_on")
            await _start_now(ctx)
        else:
            ctx.say("impact.consent_on_volunteer")

    @registry.command("impact off", private=True, aliases=("fra", "av", "nej", "nei", "no"))
    async def impact_off(ctx: Context) -> None:
        changed = await service.set_consent(ctx.session, ctx.config, ctx.person.id, False, ctx.now)
        ctx.say("impact.consent_off" if changed else "impact.consent_already_off")

    @registry.command("impact answer", private=True, aliases=("svar",))
    async def impact_answer(
        ctx: Context,
        round_id: Annotated[int, ID],
        item: Annotated[str, ITEM],
        value: str,
    ) -> None:
        row = await service.open_round(ctx.session, ctx.person.id, round_id)
        if row is None:
            ctx.say("impact.round_gone")
            return
        labels = render.labels(ctx.services, ctx.lang, item)
        answer = read_answer(value, item, labels, _skip_words(ctx))
        if answer == "":
            ctx.say("impact.not_an_answer")
            _ask_item(ctx, item)
            ctx.continue_dialog(ROUND_DIALOG, item, {"round": row.id})
            return
        if answer != SKIP:
            await service.save_item(row, item, int(answer), ctx.now)
        await _after_item(ctx, row, item)

    @registry.dialog(ROUND_DIALOG)  # after crisis words the round is set aside, not resumed
    async def round_step(ctx: Context, step: str, data: dict[str, Any], text: str) -> None:
        row = await service.open_round(ctx.session, ctx.person.id, int(data.get("round", 0)))
        if row is None or step not in ITEMS:
            ctx.end_dialog()
            ctx.say("impact.round_gone")
            return
        labels = render.labels(ctx.services, ctx.lang, step)
        answer = read_answer(text, step, labels, _skip_words(ctx))
        if answer == "":
            ctx.say("impact.not_an_answer")
            _ask_item(ctx, step)
            return
        if answer != SKIP:
            await service.save_item(row, step, int(answer), ctx.now)
        await _after_item(ctx, row, step)

    @registry.command("impact skip", private=True, aliases=("spring", "hopp", "later", "senere"))
    async def impact_skip(ctx: Context, round_id: Annotated[int, ID]) -> None:
        if await service.skip_round(ctx.session, ctx.person.id, round_id):
            ctx.say("impact.round_skipped")
        else:
            ctx.say("impact.round_gone")

    @registry.command("impact pulse", private=True, aliases=("puls",))
    async def impact_pulse(ctx: Context, pulse_id: Annotated[int, ID], how: str) -> None:
        row = await ctx.session.get(ImpactPulse, pulse_id)
        if row is None or row.person_id != ctx.person.id or row.status != ASKED:
            ctx.say("impact.round_gone")
            return
        if how.casefold() in _skip_words(ctx):
            row.status = SKIPPED
            ctx.say("impact.round_skipped")
            return
        if not how.isdigit() or not 1 <= int(how) <= 5:
            ctx.say("impact.not_an_answer")
            return
        row.how, row.status, row.answered_at = int(how), ANSWERED, ctx.now
        ctx.continue_dialog(PULSE_DIALOG, "support", {"pulse": row.id})
        _ask_pulse_step(ctx, "support")

    @registry.dialog(PULSE_DIALOG, ask=lambda ctx, step, data: _ask_pulse_step(ctx, step))
    async def pulse_step(ctx: Context, step: str, data: dict[str, Any], text: str) -> None:
        row = await ctx.session.get(ImpactPulse, int(data.get("pulse", 0)))
        if row is None or row.person_id != ctx.person.id:
            ctx.end_dialog()
            ctx.say("impact.round_gone")
            return
        word = text.casefold().strip(" .!")
        if step == "support":
            choices = dict(render.support_options(ctx.services, ctx.lang))
            by_label = {label.casefold(): value for label, value in choices.items()}
            choice = word if word in SUPPORT_CHOICES else by_label.get(word)
            if choice is None and word not in _skip_words(ctx):
                ctx.say("impact.not_an_answer")
                _ask_pulse_step(ctx, "support")
                return
            row.support = choice
            ctx.continue_dialog(PULSE_DIALOG, "hours", {"pulse": row.id})
            _ask_pulse_step(ctx, "hours")
            return
        if word not in _skip_words(ctx):
            hours = read_hours(word)
            if hours is None:
                ctx.say("impact.hours_not_understood")
                _ask_pulse_step(ctx, "hours")
                return
            row.hours = hours
        ctx.end_dialog()
        key = {"anon": "impact.pulse_done_anon", "named": "impact.pulse_done_named"}
        ctx.say(key.get(row.support or "", "impact.pulse_done"))

    # ------------------------------------------------------------ the report

    @registry.command(
        "admin impact",
        role=Role.ORGANISER,
        private=True,
        aliases=("effekt", "virkning"),
        long_running=True,
    )
    async def admin_impact(ctx: Context, months: Annotated[int, MONTHS] = DEFAULT_MONTHS) -> None:
        config = ctx.config
        since = period_start(ctx.now, months, config.community.timezone)
        until = ctx.now + timedelta(seconds=1)
        figures = await load.gather(
            ctx.session,
            since,
            until,
            follow_up_months=tuple(config.impact.follow_up_months),
            timezone=config.community.timezone,
            min_size=config.privacy.min_group_size,
            answer_window_days=config.impact.answer_window_days,
        )
        words = Words(
            ctx.services.translator,
            ctx.lang,
            ctx.timezone,
            config.community.name,
            config.privacy.min_group_size,
        )
        lines = summary(figures, words)
        if not config.impact.enabled:
            lines.insert(0, ctx.t("impact.admin_disabled"))
        ctx.reply("\n\n".join(lines))
        named = await load.named_support(ctx.session, since, until)
        if named:
            names = [await display_name(ctx.session, person_id) for person_id in named]
            ctx.say("impact.admin_named_support", names=", ".join(sorted(names)))
        made = await asyncio.to_thread(files, figures, words, ctx.now)
        stem = f"samvaer-impact-{ctx.now:%Y%m%d}-{months}m"
        ctx.send_file(
            f"{stem}.html",
            made["html"],
            "text/html",
            ctx.t("impact.admin_caption_html", months=months),
        )
        ctx.send_file(
            f"{stem}.pdf", made["pdf"], "application/pdf", ctx.t("impact.admin_caption_pdf")
        )
        ctx.send_file(
            f"{stem}-csv.zip", made["zip"], "application/zip", ctx.t("impact.admin_caption_csv")
        )

    # ------------------------------------------------------------ joining and crisis

    @registry.on_signal(ProgrammeJoined)
    async def joined(writer: OutboxWriter, signal: ProgrammeJoined) -> None:
        await service.programme_joined(writer, signal)

    @registry.on_crisis
    async def crisis(ctx: Context) -> None:
        # No loneliness questions for a while after crisis words; an open round is set
        # aside by the dispatcher (the dialog has no way to be asked again).
        await service.pause_for_crisis(
            ctx.session, ctx.person.id, ctx.now, ctx.config.impact.crisis_pause_days
        )

    # ------------------------------------------------------------ timed work and data

    registry.every("impact.pulses")(jobs.pulses)
    registry.every("impact.ask")(jobs.ask)
    registry.every("impact.retention")(jobs.retention)
    registry.personal_data(privacy.ImpactData())
