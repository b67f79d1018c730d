"""quiet [<from>-<to> | off | default]: the hours in which a person gets no reminders or
nudges as direct messages (see bot/core/quiet.py for what is held and what never is)."""

from __future__ import annotations

from typing import Annotated

from bot.core.answers import fold, table_words
from bot.core.context import Context
from bot.core.parsing import ArgumentError, Rest, echo
from bot.core.quiet import OFF, parse_quiet_hours, stored_quiet_hours
from bot.core.registry import CommandRegistry

OFF_MEANING = "off"  # words for "no quiet hours" ([setting] in answers.toml)
DEFAULT_MEANING = "default"  # words for "the community's"


def _means(text: str, meaning: str) -> bool:
    return meaning in table_words("setting").of(fold(text))


def community_quiet_hours(ctx: Context) -> str:
    return ctx.config.delivery.quiet_hours


def describe(ctx: Context, stored: str | None) -> str:
    """A person's quiet hours in words: theirs, the community's, or none."""
    default_text = community_quiet_hours(ctx)
    default = parse_quiet_hours(default_text) if default_text else None
    quiet = stored_quiet_hours(stored, default)
    if quiet is None:
        return ctx.t("quiet.none")
    hours = str(quiet).replace("-", "–")
    if stored in (None, ""):
        return ctx.t("quiet.community", hours=hours)
    return ctx.t("quiet.own", hours=hours)


def setup(registry: CommandRegistry) -> None:
    """Register ``quiet``."""

    @registry.command("quiet", private=True)
    async def quiet(ctx: Context, when: Annotated[str, Rest(max_length=40)] = "") -> None:
        text = when.strip()
        if not text:
            ctx.reply(describe(ctx, ctx.person.quiet_hours) + "\n" + ctx.t("quiet.how"))
            return
        if _means(text, OFF_MEANING):
            ctx.person.quiet_hours = OFF
            ctx.say("quiet.set_off")
            return
        if _means(text, DEFAULT_MEANING):
            ctx.person.quiet_hours = None
            ctx.reply(describe(ctx, None))
            return
        try:
            chosen = parse_quiet_hours(text)
        except ValueError:
            raise ArgumentError("quiet.bad", value=echo(text)) from None
        ctx.person.quiet_hours = str(chosen)
        ctx.reply(describe(ctx, ctx.person.quiet_hours))
