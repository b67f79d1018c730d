"""The check-in prompts: the five mood answers as choices, in the person's language."""

from __future__ import annotations

from bot.checkins.rules import MOOD_HIGH, MOOD_LOW
from bot.core.context import Services
from bot.core.events import ChoicePrompt, Destination, Invoke, Option, invoke


def mood_options(services: Services, lang: str) -> list[tuple[str, Invoke]]:
    """The five answers as (label, value) pairs; picking one runs ``checkin N``."""
    translator = services.translator
    return [
        (translator.text(lang, f"checkin.mood_{n}"), invoke("checkin", n))
        for n in range(MOOD_LOW, MOOD_HIGH + 1)
    ]


def mood_prompt(services: Services, to: Destination, lang: str, text: str) -> ChoicePrompt:
    options = tuple(Option(label, value) for label, value in mood_options(services, lang))
    return ChoicePrompt(to, text, options)
