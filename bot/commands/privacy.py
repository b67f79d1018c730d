"""privacy, mydata and forget: every user sees, exports and erases what is stored."""

from __future__ import annotations

import json
from typing import Any

from bot.core.context import Context
from bot.core.events import ForgetFiles
from bot.core.registry import CommandRegistry
from bot.people.service import accounts_of
from bot.privacy.data import erase_person, export_person

YES_WORDS = frozenset({"yes", "ja", "y", "j", "jo", "ok", "okay"})
FORGET_DIALOG = "forget_confirm"


def setup(registry: CommandRegistry) -> None:
    """Register the privacy commands."""

    @registry.command("privacy", aliases=("privatliv", "personvern", "gdpr"), private=True)
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

    @registry.command("mydata", aliases=("mine data", "minedata", "data"), private=True)
    async def mydata(ctx: Context) -> None:
        data = await export_person(ctx.session, ctx.person.id, ctx.services.registry.data_providers)
        data["exported_at"] = ctx.now.isoformat()
        content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
        filename = f"samvaer-mydata-{ctx.now:%Y%m%d}.json"
        ctx.send_file(filename, content, "application/json", ctx.t("mydata.caption"))

    @registry.command("forget", aliases=("glem", "glemmeg", "slet"), private=True)
    async def forget(ctx: Context) -> None:
        accounts = await accounts_of(ctx.session, ctx.person.id)
        _confirm(ctx, len(accounts))
        ctx.continue_dialog(FORGET_DIALOG, "confirm", {"accounts": len(accounts)})

    def _confirm(ctx: Context, accounts: int) -> None:
        ctx.prompt(
            ctx.t("forget.confirm", accounts=ctx.tn("count.accounts", accounts)),
            [(ctx.t("choice.yes_erase"), "yes"), (ctx.t("choice.no_keep"), "no")],
        )

    @registry.dialog(
        FORGET_DIALOG, ask=lambda ctx, step, data: _confirm(ctx, data.get("accounts", 1))
    )
    async def forget_confirm(ctx: Context, step: str, data: dict[str, Any], text: str) -> None:
        ctx.end_dialog()
        if text.casefold().strip(" .!") not in YES_WORDS:
            ctx.say("forget.kept")
            return
        identities = await erase_person(
            ctx.session, ctx.person.id, ctx.services.registry.data_providers, ctx.now
        )
        # Files an adapter wrote for them (the console's exports) go too.
        for identity in identities:
            ctx.send(ForgetFiles(identity.platform, identity.external_id))
        ctx.say("forget.done")
