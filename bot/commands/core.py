"""help, start, language and consent."""

from __future__ import annotations

from typing import Annotated

from bot.core.context import Context
from bot.core.dispatcher import ROLE_KEYS, command_option
from bot.core.parsing import ON_OFF, OneOf, Rest, echo
from bot.core.registry import CommandRegistry
from bot.people.service import set_consent

LANGUAGE = OneOf(
    {
        "da": ("dansk", "danish", "dk", "danmark"),
        "nb": ("norsk", "bokmål", "bokmal", "norwegian", "no", "nn", "norge"),
        "en": ("english", "engelsk", "eng", "uk", "gb"),
    },
    error="language.unknown",
)
CONSENT = OneOf(
    {
        "checkins": ("checkin", "tjekind", "innsjekk"),
        "buddies": ("buddy", "makker", "venn"),
        "share": ("del", "deling", "dele"),
    },
    error="consent.unknown",
)


def setup(registry: CommandRegistry) -> None:
    """Register the basic commands."""

    @registry.command("help", aliases=("hjælp", "hjelp", "?"))
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

    @registry.command("start", aliases=("begynd", "kom i gang"), private=True)
    async def start(ctx: Context) -> None:
        if ctx.person.started_at is None:
            ctx.person.started_at = ctx.now
        ctx.say("start.welcome")
        ctx.prompt(
            ctx.t("start.ask_checkins"),
            [
                (ctx.t("choice.yes"), command_option("consent checkins on")),
                (ctx.t("choice.no"), command_option("consent checkins off")),
            ],
        )
        ctx.prompt(
            ctx.t("start.ask_buddies"),
            [
                (ctx.t("choice.yes"), command_option("consent buddies on")),
                (ctx.t("choice.no"), command_option("consent buddies off")),
            ],
        )
        ctx.say("start.more")

    @registry.command("language", aliases=("sprog", "språk", "lang"))
    async def language(ctx: Context, code: Annotated[str, LANGUAGE]) -> None:
        ctx.person.language = code
        ctx.lang = code
        ctx.say("language.set")

    @registry.command("consent", aliases=("samtykke",), private=True)
    async def consent(
        ctx: Context, what: Annotated[str, CONSENT], state: Annotated[str, ON_OFF]
    ) -> None:
        given = state == "on"
        if what == "share" and given and not ctx.person.consent_checkins:
            await set_consent(ctx.session, ctx.person, "checkins", True, ctx.now)
        changed = await set_consent(ctx.session, ctx.person, what, given, ctx.now)
        if what == "checkins" and not given and ctx.person.consent_share:
            await set_consent(ctx.session, ctx.person, "share", False, ctx.now)
        key = f"consent.{what}_{state}"
        ctx.say(key if changed else "consent.unchanged")

    @registry.command("whoami", aliases=("hvem",))
    async def whoami(ctx: Context) -> None:
        ctx.say("whoami", name=ctx.sender.display_name, role=ctx.t(ROLE_KEYS[ctx.role]))
