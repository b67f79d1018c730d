"""plan: a personal safety plan, written in a short private dialog and shown on request
and first in the crisis reply."""

from __future__ import annotations

from typing import Any

from bot.commands.privacy import YES_WORDS
from bot.core.context import Context
from bot.core.dispatcher import CANCEL_WORDS
from bot.core.registry import CommandRegistry
from bot.people.service import set_consent
from bot.safety.models import PLAN_PARTS
from bot.safety.plan import PART_MAX_LENGTH, SafetyPlanData, delete_plan, plan_of, save_plan

PLAN_DIALOG = "safety_plan"
SKIP_WORDS = frozenset(
    {"-", "skip", "spring over", "hopp over", "videre", "next", "næste", "neste"}
)


def _ask(ctx: Context, step: str, data: dict[str, Any]) -> None:
    """One question of the plan, with a way to skip it."""
    ctx.prompt(ctx.t(f"plan.ask.{step}"), [(ctx.t("plan.skip"), "-")])


def _show(ctx: Context, parts: list[tuple[str, str]]) -> None:
    shown = "\n".join(f"*{ctx.t('plan.heading.' + part)}*\n{answer}" for part, answer in parts)
    ctx.reply(ctx.t("plan.yours", plan=shown))


def setup(registry: CommandRegistry) -> None:
    """Register the safety-plan commands and dialog."""
    registry.group("plan", aliases=("sikkerhedsplan", "sikkerhetsplan", "safetyplan"))

    @registry.command("plan", private=True)
    async def plan(ctx: Context) -> None:
        existing = await plan_of(ctx.session, ctx.person.id)
        if existing is not None and existing.parts():
            _show(ctx, existing.parts())
            ctx.say("plan.how_to_change", prefix=ctx.prefix)
            return
        await _start(ctx)

    @registry.command("plan edit", private=True, aliases=("ret", "endre", "skriv", "skrive"))
    async def plan_edit(ctx: Context) -> None:
        await _start(ctx)

    @registry.command("plan delete", private=True, aliases=("slet", "slett", "fjern"))
    async def plan_delete(ctx: Context) -> None:
        if await delete_plan(ctx.session, ctx.person.id):
            ctx.say("plan.deleted")
        else:
            ctx.say("plan.none")

    async def _start(ctx: Context) -> None:
        if not ctx.person.consent_checkins:
            # A plan is health data: kept only with the same consent as check-ins.
            ctx.prompt(
                ctx.t("plan.ask_consent"),
                [(ctx.t("choice.yes"), "yes"), (ctx.t("choice.no"), "no")],
            )
            ctx.continue_dialog(PLAN_DIALOG, "consent", {})
            return
        ctx.say("plan.intro")
        ctx.continue_dialog(PLAN_DIALOG, PLAN_PARTS[0], {"answers": {}})
        _ask(ctx, PLAN_PARTS[0], {})

    def ask_again(ctx: Context, step: str, data: dict[str, Any]) -> None:
        if step == "consent":
            ctx.prompt(
                ctx.t("plan.ask_consent"),
                [(ctx.t("choice.yes"), "yes"), (ctx.t("choice.no"), "no")],
            )
            return
        _ask(ctx, step, data)

    @registry.dialog(PLAN_DIALOG, ask=ask_again)
    async def plan_step(ctx: Context, step: str, data: dict[str, Any], text: str) -> None:
        answer = text.strip()
        if step == "consent":
            if answer.casefold().strip(" .!") in YES_WORDS:
                await set_consent(ctx.session, ctx.person, "checkins", True, ctx.now)
                ctx.say("plan.intro")
                ctx.continue_dialog(PLAN_DIALOG, PLAN_PARTS[0], {"answers": {}})
                _ask(ctx, PLAN_PARTS[0], data)
            else:
                ctx.end_dialog()
                ctx.say("plan.not_kept")
            return
        if answer.casefold() in CANCEL_WORDS:
            ctx.end_dialog()
            ctx.say("dialog.cancelled")
            return
        if len(answer) > PART_MAX_LENGTH:
            ctx.say("plan.too_long", limit=PART_MAX_LENGTH, length=len(answer))
            _ask(ctx, step, data)
            return
        answers = dict(data.get("answers", {}))
        answers[step] = "" if answer.casefold() in SKIP_WORDS else answer
        position = PLAN_PARTS.index(step)
        if position + 1 < len(PLAN_PARTS):
            following = PLAN_PARTS[position + 1]
            ctx.continue_dialog(PLAN_DIALOG, following, {"answers": answers})
            _ask(ctx, following, data)
            return
        ctx.end_dialog()
        saved = await save_plan(ctx.session, ctx.person.id, answers, ctx.now)
        if not saved.parts():
            await delete_plan(ctx.session, ctx.person.id)
            ctx.say("plan.empty")
            return
        _show(ctx, saved.parts())
        ctx.say("plan.saved", prefix=ctx.prefix)

    registry.personal_data(SafetyPlanData())
