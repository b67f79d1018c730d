"""The texts and prompts of the impact measure, in the person's language."""

from __future__ import annotations

from datetime import datetime

from babel.lists import format_list
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.events import ChoicePrompt, Destination, Option, invoke
from bot.core.i18n import BABEL_LOCALES, format_local
from bot.impact import load
from bot.impact.models import ImpactPulse, ImpactRound
from bot.impact.rules import (
    HOURS_CHOICES,
    HOW_SCALE,
    ITEMS,
    SCALE,
    SKIP,
    SUPPORT_CHOICES,
)


def _t(services: Services, lang: str, key: str, **values: object) -> str:
    values.setdefault("community", services.config.community.name)
    values.setdefault("prefix", "!")
    return services.translator.text(lang, key, **values)


def labels(services: Services, lang: str, item: str) -> list[str]:
    """The answer labels of an item, from 1 upwards."""
    scale = "lonely" if item == "lonely" else "ucla"
    return [_t(services, lang, f"impact.{scale}_{n}") for n in range(1, SCALE[item] + 1)]


def question_text(services: Services, lang: str, item: str) -> str:
    number = ITEMS.index(item) + 1
    return _t(
        services,
        lang,
        "impact.question",
        number=number,
        total=len(ITEMS),
        question=_t(services, lang, f"impact.item_{item}"),
    )


def item_options(
    services: Services, lang: str, item: str, value_of: object = None
) -> list[tuple[str, str]]:
    """The answers of one item as (label, value): the value is typed into the dialog."""
    options = [(label, str(n)) for n, label in enumerate(labels(services, lang, item), start=1)]
    options.append((_t(services, lang, "impact.choice_skip_item"), SKIP))
    return options


def month_list(services: Services, lang: str) -> str:
    """The follow-up months as a list in the language: "1, 3 og 6"."""
    months = [str(m) for m in services.config.impact.follow_up_months]
    return format_list(months, locale=BABEL_LOCALES.get(lang, "en_GB")) if months else "-"


def invitation(services: Services, to: Destination, lang: str, volunteer: bool) -> ChoicePrompt:
    key = "impact.invite_volunteer" if volunteer else "impact.invite"
    platform = to.platform
    text = _t(
        services,
        lang,
        key,
        months=month_list(services, lang),
        prefix=services.prefix(platform),
    )
    return ChoicePrompt(
        to,
        text,
        (
            Option(_t(services, lang, "impact.choice_yes"), invoke("impact on")),
            Option(_t(services, lang, "impact.choice_no"), invoke("impact off")),
        ),
    )


def round_intro(services: Services, lang: str, row: ImpactRound) -> str:
    if row.month == 0:
        return _t(services, lang, "impact.round_intro_first")
    months = services.translator.plural(lang, "impact.months", row.month)
    return _t(services, lang, "impact.round_intro_follow_up", months=months)


def first_question(
    services: Services, to: Destination, lang: str, row: ImpactRound
) -> ChoicePrompt:
    """The round's first question with its answers as taps; each tap runs
    ``impact answer <round> <item> <value>`` and the rest follows as a short dialog."""
    item = ITEMS[0]
    text = "\n\n".join([round_intro(services, lang, row), question_text(services, lang, item)])
    options = [
        Option(label, invoke("impact answer", row.id, item, value))
        for label, value in item_options(services, lang, item)
    ]
    options.append(
        Option(_t(services, lang, "impact.choice_not_now"), invoke("impact skip", row.id))
    )
    return ChoicePrompt(to, text, tuple(options))


def how_labels(services: Services, lang: str) -> list[str]:
    return [_t(services, lang, f"impact.how_{n}") for n in range(1, HOW_SCALE + 1)]


async def pulse_question(
    services: Services,
    session: AsyncSession,
    to: Destination,
    lang: str,
    zone: str,
    row: ImpactPulse,
) -> ChoicePrompt:
    title, starts_at, months = await load.pulse_subject(session, row.ref)
    if row.programme == "buddies":
        text = _t(
            services,
            lang,
            "impact.pulse_buddy",
            months=services.translator.plural(lang, "impact.months", months),
        )
    else:
        when = format_local(
            starts_at or row.due_at, zone or services.config.community.timezone, lang, "short"
        )
        text = _t(services, lang, "impact.pulse_meal", title=title, when=when)
    options = [
        Option(label, invoke("impact pulse", row.id, str(n)))
        for n, label in enumerate(how_labels(services, lang), start=1)
    ]
    options.append(
        Option(
            _t(services, lang, "impact.choice_not_now"),
            invoke("impact pulse", row.id, "skip"),
        )
    )
    return ChoicePrompt(to, text, tuple(options))


def support_options(services: Services, lang: str) -> list[tuple[str, str]]:
    return [(_t(services, lang, f"impact.support_{c}"), c) for c in SUPPORT_CHOICES]


def hours_options(services: Services, lang: str) -> list[tuple[str, str]]:
    options = []
    for hours in HOURS_CHOICES:
        label = services.translator.plural(lang, "impact.hours", int(hours))
        options.append((label, f"{hours:g}"))
    options.append((_t(services, lang, "impact.choice_skip_item"), SKIP))
    return options


def when_text(services: Services, lang: str, zone: str, when: datetime) -> str:
    return format_local(when, zone, lang, "date")
