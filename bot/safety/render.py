"""The crisis reply's text, in the person's language, with the lines of their country."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.config import Config
from bot.core.i18n import Translator
from bot.safety.lines import LineNow, lines_in_order


def line_row(translator: Translator, lang: str, state: LineNow) -> str:
    """One line of the list: name, number and whether it is open now."""
    line = state.line
    name = line.name or translator.text(lang, "safety.emergency_name")
    if state.always_open:
        key = "safety.line_always_open"
    elif state.open_now:
        key = "safety.line_open"
    else:
        key = "safety.line_closed"
    return translator.text(
        lang, key, name=name, number=line.number, opens=line.opens, closes=line.closes
    )


def crisis_rows(translator: Translator, config: Config, lang: str, now: datetime) -> list[str]:
    """The crisis lines for someone speaking ``lang``, one row each, open ones first."""
    states = lines_in_order(config.crisis_lines_for(lang), now)
    return [line_row(translator, lang, state) for state in states]


def crisis_text(
    translator: Translator,
    config: Config,
    lang: str,
    now: datetime,
    plan: Sequence[tuple[str, str]] = (),
) -> str:
    """The crisis reply: the person's own safety plan first when they have one, then the
    lines of their country (open ones first when one is closed right now)."""
    rows = [
        line_row(translator, lang, s) for s in lines_in_order(config.crisis_lines_for(lang), now)
    ]
    lines = "\n".join(rows)
    if not plan:
        return translator.text(lang, "safety.crisis", lines=lines)
    shown = "\n".join(
        f"*{translator.text(lang, 'plan.heading.' + part)}*\n{answer}" for part, answer in plan
    )
    return translator.text(lang, "safety.crisis_with_plan", plan=shown, lines=lines)
