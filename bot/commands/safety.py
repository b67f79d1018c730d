"""plan: a personal safety plan, written in a short private dialog and shown on request
and first in the crisis reply."""

from __future__ import annotations

from typing import Any

from bot.commands.privacy import YES_WORDS
from bot.core.context import Context
from bot.core.dispatcher import CANCEL_WORDS
from bot.core.registry import CommandRegistry
from bot.core.steps import Finish, Next, Outcome, Retry, Step, StepDialog
from bot.core.words import word_set
from bot.people.service import set_consent
from bot.safety.models import PLAN_PARTS
from bot.safety.plan import PART_MAX_LENGTH, SafetyPlanData, delete_plan, plan_of, save_plan

PLAN_DIALOG = "safety_plan"
SKIP_WORDS = word_set("safety.skip")  # data: bot/locales/<lang>/words.toml


def _ask(ctx: Context, step: str, data: dict[str, Any]) -> None:
    """One question of the plan, with a way to skip it."""
    ctx.prompt(ctx.t(f"plan.ask.{step}"), [(ctx.t("plan.skip"), "-")])


def _show(ctx: Context, parts: list[tuple[str, str]]) -> None:
    shown = "\n".join(f"*{ctx.t('plan.heading.' + part)}*\n{answer}" for part, answer in parts)
    ctx.reply(ctx.t("plan.yours", plan=shown))


def _ask_consent(ctx: Context, data: dict[str, Any]) -> None:
    ctx.prompt(
        ctx.t("plan.ask_consent"),
        [(ctx.t("choice.yes"), "yes"), (ctx.t("choice.no"), "no")],
    )


async def _consent(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
    if text.strip().casefold().strip(" .!") not in YES_WORDS:
        ctx.say("plan.not_kept")
        return Finish()
    await set_consent(ctx.session, ctx.person, "checkins", True, ctx.now)
    ctx.say("plan.intro")
    return Next(PLAN_PARTS[0], {"answers": {}})


def _part(part: str) -> Step:
    """The question of one part of the plan; the last one saves it."""

    def ask(ctx: Context, data: dict[str, Any]) -> None:
        _ask(ctx, part, data)

    async def answer(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
        answer = text.strip()
        if answer.casefold() in CANCEL_WORDS:
            ctx.say("dialog.cancelled")
            return Finish()
        if len(answer) > PART_MAX_LENGTH:
            return Retry("plan.too_long", {"limit": PART_MAX_LENGTH, "length": len(answer)})
        answers = dict(data.get("answers", {}))
        answers[part] = "" if answer.casefold() in SKIP_WORDS else answer
        position = PLAN_PARTS.index(part)
        if position + 1 < len(PLAN_PARTS):
            return Next(PLAN_PARTS[position + 1], {"answers": answers})
        saved = await save_plan(ctx.session, ctx.person.id, answers, ctx.now)
        if not saved.parts():
            await delete_plan(ctx.session, ctx.person.id)
            ctx.say("plan.empty")
            return Finish()
        _show(ctx, saved.parts())
        ctx.say("plan.saved", prefix=ctx.prefix)
        return Finish()

    return Step(ask, answer)


# The plan's questions: consent first where it is missing, then each part in turn.
PLAN = StepDialog(
    PLAN_DIALOG,
    {"consent": Step(_ask_consent, _consent), **{part: _part(part) for part in PLAN_PARTS}},
    first=PLAN_PARTS[0],
)


def setup(registry: CommandRegistry) -> None:
    """Register the safety-plan commands and dialog."""
    registry.group("plan")

    @registry.command("plan", private=True)
    async def plan(ctx: Context) -> None:
        existing = await plan_of(ctx.session, ctx.person.id)
        if existing is not None and existing.parts():
            _show(ctx, existing.parts())
            ctx.say("plan.how_to_change", prefix=ctx.prefix)
            return
        await _start(ctx)

    @registry.command("plan edit", private=True)
    async def plan_edit(ctx: Context) -> None:
        await _start(ctx)

    @registry.command("plan delete", private=True)
    async def plan_delete(ctx: Context) -> None:
        if await delete_plan(ctx.session, ctx.person.id):
            ctx.say("plan.deleted")
        else:
            ctx.say("plan.none")

    async def _start(ctx: Context) -> None:
        if not ctx.person.consent_checkins:
            # A plan is health data: kept only with the same consent as check-ins.
            PLAN.begin(ctx, step="consent")
            return
        ctx.say("plan.intro")
        PLAN.begin(ctx, {"answers": {}})

    registry.steps(PLAN)
    registry.personal_data(SafetyPlanData())
