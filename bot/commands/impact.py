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
from bot.core.steps import Finish, Next, Outcome, Retry, Step, StepDialog
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
from bot.impact.report import Words, summary
from bot.impact.report_files import files
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
# Each question's short name as the slash command shows it (``word.<item>``) is accepted too.
ITEM_WORDS = {
    "companionship": ("selskab", "selskap"),
    "left_out": ("udenfor", "utenfor"),
    "isolated": ("isoleret", "isolert"),
    "lonely": ("ensom",),
}
ITEM = OneOf({item: ITEM_WORDS.get(item, ()) for item in ITEMS}, error="impact.not_found")
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


async def _after_item(ctx: Context, row: ImpactRound, item: str) -> Outcome:
    index = ITEMS.index(item)
    if index + 1 >= len(ITEMS):
        await _finish_round(ctx, row)
        return Finish()
    return Next(ITEMS[index + 1], {"round": row.id})


def _round_item(item: str) -> Step:
    """One question of a round; after the last the round is done."""

    def ask(ctx: Context, data: dict[str, Any]) -> None:
        _ask_item(ctx, item)

    async def answer(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
        row = await service.open_round(ctx.session, ctx.person.id, int(data.get("round", 0)))
        if row is None:
            ctx.say("impact.round_gone")
            return Finish()
        labels = render.labels(ctx.services, ctx.lang, item)
        answer = read_answer(text, item, labels, _skip_words(ctx))
        if answer == "":
            return Retry("impact.not_an_answer")
        if answer != SKIP:
            await service.save_item(row, item, int(answer), ctx.now)
        return await _after_item(ctx, row, item)

    return Step(ask, answer)


# A round's questions, one item at a time; after crisis words it is set aside.
ROUND = StepDialog(
    ROUND_DIALOG, {item: _round_item(item) for item in ITEMS}, first=ITEMS[0], resumes=False
)


def _ask_support(ctx: Context, data: dict[str, Any]) -> None:
    ctx.prompt(ctx.t("impact.pulse_support"), render.support_options(ctx.services, ctx.lang))


def _ask_hours(ctx: Context, data: dict[str, Any]) -> None:
    ctx.prompt(ctx.t("impact.pulse_hours"), render.hours_options(ctx.services, ctx.lang))


async def _pulse(ctx: Context, data: dict[str, Any]) -> ImpactPulse | None:
    row = await ctx.session.get(ImpactPulse, int(data.get("pulse", 0)))
    if row is None or row.person_id != ctx.person.id:
        ctx.say("impact.round_gone")
        return None
    return row


async def _support(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
    row = await _pulse(ctx, data)
    if row is None:
        return Finish()
    word = text.casefold().strip(" .!")
    choices = dict(render.support_options(ctx.services, ctx.lang))
    by_label = {label.casefold(): value for label, value in choices.items()}
    choice = word if word in SUPPORT_CHOICES else by_label.get(word)
    if choice is None and word not in _skip_words(ctx):
        return Retry("impact.not_an_answer")
    row.support = choice
    return Next("hours", {"pulse": row.id})


async def _hours(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
    row = await _pulse(ctx, data)
    if row is None:
        return Finish()
    word = text.casefold().strip(" .!")
    if word not in _skip_words(ctx):
        hours = read_hours(word)
        if hours is None:
            return Retry("impact.hours_not_understood")
        row.hours = hours
    key = {"anon": "impact.pulse_done_anon", "named": "impact.pulse_done_named"}
    ctx.say(key.get(row.support or "", "impact.pulse_done"))
    return Finish()


# A volunteer's pulse, after how it went: whether they want support, then the hours.
PULSE = StepDialog(
    PULSE_DIALOG,
    {"support": Step(_ask_support, _support), "hours": Step(_ask_hours, _hours)},
    first="support",
)


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
    registry.group("impact")

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

    @registry.command("impact on", private=True)
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

    @registry.command("impact off", private=True)
    async def impact_off(ctx: Context) -> None:
        changed = await service.set_consent(ctx.session, ctx.config, ctx.person.id, False, ctx.now)
        ctx.say("impact.consent_off" if changed else "impact.consent_already_off")

    @registry.command("impact answer", private=True)
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
            ROUND.begin(ctx, {"round": row.id}, step=item)
            return
        if answer != SKIP:
            await service.save_item(row, item, int(answer), ctx.now)
        following = await _after_item(ctx, row, item)
        if isinstance(following, Next):
            ROUND.begin(ctx, following.data, step=following.step)

    registry.steps(ROUND)

    @registry.command("impact skip", private=True)
    async def impact_skip(ctx: Context, round_id: Annotated[int, ID]) -> None:
        if await service.skip_round(ctx.session, ctx.person.id, round_id):
            ctx.say("impact.round_skipped")
        else:
            ctx.say("impact.round_gone")

    @registry.command("impact pulse", private=True)
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
        PULSE.begin(ctx, {"pulse": row.id})

    registry.steps(PULSE)

    # ------------------------------------------------------------ the report

    @registry.command("admin impact", role=Role.ORGANISER, private=True, long_running=True)
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
