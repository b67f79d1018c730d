"""help, start, language and consent."""

from __future__ import annotations

from typing import Annotated, Any

from bot.core.context import Context
from bot.core.dispatcher import ROLE_KEYS
from bot.core.parsing import ON_OFF, OneOf, Rest, echo
from bot.core.registry import CommandRegistry
from bot.core.steps import Finish, Next, Outcome, Retry, Step, StepDialog
from bot.core.words import word_table
from bot.people.service import set_consent

# The words are data (bot/locales/<lang>/words.toml).
LANGUAGE = OneOf(word_table("language_name", ("da", "nb", "en")), error="language.unknown")
CONSENT = OneOf(
    word_table("consent_kind", ("checkins", "buddies", "share")), error="consent.unknown"
)


START_DIALOG = "start"


async def _set_consent(ctx: Context, what: str, given: bool) -> bool:
    """Give or withdraw a consent (sharing needs check-ins; no check-ins, no sharing)."""
    if what == "share" and given and not ctx.person.consent_checkins:
        await set_consent(ctx.session, ctx.person, "checkins", True, ctx.now)
    changed = await set_consent(ctx.session, ctx.person, what, given, ctx.now)
    if what == "checkins" and not given and ctx.person.consent_share:
        await set_consent(ctx.session, ctx.person, "share", False, ctx.now)
    return changed


def setup(registry: CommandRegistry) -> None:
    """Register the basic commands."""

    @registry.command("help")
    async def help_command(ctx: Context, topic: Annotated[str, Rest()] = "") -> None:
        reg = ctx.services.registry
        if topic:
            head = reg.canonical(topic.split()[0].lstrip(ctx.prefix))
            if head is None:
                ctx.say("help.unknown_topic", topic=echo(topic))
                return
            lines = [ctx.t("help.topic_title", command=reg.name_in(ctx.lang, head))]
            for command in reg.subcommands(head):
                if ctx.role >= command.role:
                    usage = ctx.prefix + ctx.t("usage." + command.key)
                    lines.append(f"{usage}\n    {ctx.t('help.' + command.key)}")
            ctx.reply("\n".join(lines))
            return
        lines = [ctx.t("help.intro")]
        # In the order of the reader's names for them.
        for head in sorted(reg.heads(), key=lambda h: reg.name_in(ctx.lang, h)):
            commands = [c for c in reg.subcommands(head) if ctx.role >= c.role]
            if not commands:
                continue
            first = reg.commands.get(head) or commands[0]
            usage = ctx.t("usage." + first.key).split(" ")[0]
            lines.append(f"• {ctx.prefix}{usage} — {ctx.t('help.' + first.key)}")
        lines.append(ctx.t("help.outro"))
        ctx.reply("\n".join(lines))

    def start_question(what: str, then: str | None) -> Step:
        """Consent to ``what`` (yes or no), then the question ``then`` or the end."""

        def ask(ctx: Context, data: dict[str, Any]) -> None:
            ctx.prompt(
                ctx.t(f"start.ask_{what}"),
                [(ctx.t("choice.yes"), "yes"), (ctx.t("choice.no"), "no")],
            )

        async def answer(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
            if text not in ("yes", "no"):
                return Retry("question.not_an_option", {"count": 2})
            await _set_consent(ctx, what, text == "yes")
            # The answer to a question is confirmed as such, changed or not.
            ctx.say(f"consent.{what}_{'on' if text == 'yes' else 'off'}")
            if then is not None:
                return Next(then)
            ctx.say("start.more")
            return Finish()

        return Step(ask, answer)

    # One question at a time: check-ins first, then the buddy profile.
    welcome = StepDialog(
        START_DIALOG,
        {
            "checkins": start_question("checkins", then="buddies"),
            "buddies": start_question("buddies", then=None),
        },
        first="checkins",
    )
    registry.steps(welcome)

    @registry.command("start", private=True)
    async def start(ctx: Context) -> None:
        if ctx.person.started_at is None:
            ctx.person.started_at = ctx.now
        ctx.say("start.welcome")
        welcome.begin(ctx)

    @registry.command("language")
    async def language(ctx: Context, code: Annotated[str, LANGUAGE]) -> None:
        ctx.person.language = code
        ctx.lang = code
        ctx.say("language.set")

    @registry.command("consent", private=True)
    async def consent(
        ctx: Context, what: Annotated[str, CONSENT], state: Annotated[str, ON_OFF]
    ) -> None:
        changed = await _set_consent(ctx, what, state == "on")
        key = f"consent.{what}_{state}"
        ctx.say(key if changed else "consent.unchanged")

    @registry.command("whoami")
    async def whoami(ctx: Context) -> None:
        ctx.say("whoami", name=ctx.sender.display_name, role=ctx.t(ROLE_KEYS[ctx.role]))
