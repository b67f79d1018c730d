"""privacy, mydata and forget: every user sees, exports and erases what is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.answers import YES, vocabulary
from bot.core.context import Context
from bot.core.events import ForgetFiles
from bot.core.registry import CommandRegistry
from bot.core.steps import Finish, Outcome, Step, StepDialog
from bot.people.service import accounts_of
from bot.privacy.data import erase_person, export_person
from bot.privacy.summary import explained_json, summary

# Every way of saying yes (bot/locales/<lang>/answers.toml), and the value of a "yes" option.
YES_WORDS = frozenset(
    {"yes", *(phrase for phrase, meanings in vocabulary().meanings.items() if YES in meanings)}
)
FORGET_DIALOG = "forget_confirm"


def setup(registry: CommandRegistry) -> None:
    """Register the privacy commands."""

    @registry.command("privacy", private=True)
    async def privacy(ctx: Context) -> None:
        retention = ctx.config.privacy.retention_days
        state = {True: ctx.t("consent.state_on"), False: ctx.t("consent.state_off")}
        ctx.say(
            "privacy.summary",
            checkin_values=retention.checkin_values,
            checkin_notes=retention.checkin_notes,
            meals=retention.meals,
            buddies=retention.buddies,
            reports=retention.reports,
            consent_checkins=state[ctx.person.consent_checkins],
            consent_share=state[ctx.person.consent_share],
            consent_buddies=state[ctx.person.consent_buddies],
        )

    @registry.command("mydata", private=True)
    async def mydata(ctx: Context) -> None:
        data = await export_person(ctx.session, ctx.person.id, ctx.services.registry.data_providers)
        data["exported_at"] = ctx.now.isoformat()

        def has(key: str) -> bool:
            return ctx.services.translator.has(key, ctx.lang)

        def day(when: datetime) -> str:
            return ctx.local(when, "d MMMM y" if ctx.lang == "en" else "d. MMMM y")

        # What is kept, since when and who sees it, in words; then all of it as a file.
        ctx.reply(summary(data, ctx.t, has, day, shared=ctx.person.consent_share))
        content = explained_json(data, ctx.t, has)
        filename = f"samvaer-mydata-{ctx.now:%Y%m%d}.json"
        ctx.send_file(filename, content, "application/json", ctx.t("mydata.caption"))

    @registry.command("forget", private=True)
    async def forget(ctx: Context) -> None:
        accounts = await accounts_of(ctx.session, ctx.person.id)
        forgetting.begin(ctx, {"accounts": len(accounts)})

    def confirm(ctx: Context, data: dict[str, Any]) -> None:
        accounts = int(data.get("accounts", 1))
        ctx.prompt(
            ctx.t("forget.confirm", accounts=ctx.tn("count.accounts", accounts)),
            [(ctx.t("choice.yes_erase"), "yes"), (ctx.t("choice.no_keep"), "no")],
        )

    async def forget_confirm(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
        ctx.end_dialog()
        if text.casefold().strip(" .!") not in YES_WORDS:
            ctx.say("forget.kept")
            return Finish()
        identities = await erase_person(
            ctx.session, ctx.person.id, ctx.services.registry.data_providers, ctx.now
        )
        # Files an adapter wrote for them (the console's exports) go too.
        for identity in identities:
            ctx.send(ForgetFiles(identity.platform, identity.external_id))
        ctx.say("forget.done")
        return Finish()

    forgetting = StepDialog(FORGET_DIALOG, {"confirm": Step(confirm, forget_confirm)}, "confirm")
    registry.steps(forgetting)
