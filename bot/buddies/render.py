"""The buddy texts for other people: one translator (the job's), in the reader's language.

Command replies are rendered by the commands with their context; everything here is
for messages that go through the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.buddies.profile import language_name
from bot.buddies.rules import icebreaker_number
from bot.core.context import JobContext
from bot.core.events import Action, ChoicePrompt, Destination, Option, TextMessage
from bot.core.i18n import format_local


def text_for(job: JobContext, lang: str, to: Destination, key: str, **values: object) -> str:
    values.setdefault("prefix", job.services.prefix(to.platform))
    return job.t(lang, key, **values)


def message(
    job: JobContext,
    lang: str,
    to: Destination,
    key: str,
    options: Sequence[tuple[str, Action]] | None,
    values: dict[str, object],
) -> TextMessage | ChoicePrompt:
    """A private text, with choices when there are options (label key, value)."""
    body = text_for(job, lang, to, key, **values)
    if options:
        labelled = tuple(Option(text_for(job, lang, to, label), value) for label, value in options)
        return ChoicePrompt(to, body, labelled)
    return TextMessage(to, body)


def describe(
    job: JobContext, lang: str, data: dict[str, Any], about: str = "", rhythm: str = ""
) -> str:
    """What two people share, one line each, in ``lang``."""
    lines = []
    if data.get("languages"):
        names = ", ".join(language_name(code, lang) for code in data["languages"])
        lines.append(job.t(lang, "buddy.share.languages", items=names))
    if data.get("times"):
        slots = ", ".join(job.t(lang, f"buddy.time.{slot}") for slot in data["times"])
        lines.append(job.t(lang, "buddy.share.times", items=slots))
    if data.get("contact"):
        modes = ", ".join(job.t(lang, f"buddy.contact.{mode}") for mode in data["contact"])
        lines.append(job.t(lang, "buddy.share.contact", items=modes))
    if data.get("interests"):
        lines.append(job.t(lang, "buddy.share.interests", items=", ".join(data["interests"])))
    lines.extend(wish_lines(job, lang, data))
    if about:
        lines.append(job.t(lang, "buddy.share.about", about=about))
    if rhythm:
        lines.append(rhythm)
    return "\n".join(f"• {line}" for line in lines)


def wish_lines(job: JobContext, lang: str, data: dict[str, Any]) -> list[str]:
    """One's own gender and age band and the wish for the buddy's, for one's own
    profile only (what two people share never holds them)."""
    lines = []
    if data.get("gender"):
        lines.append(
            job.t(
                lang, "buddy.profile.gender", gender=job.t(lang, f"buddy.gender.{data['gender']}")
            )
        )
    if data.get("age"):
        lines.append(job.t(lang, "buddy.profile.age", age=data["age"]))
    if data.get("wish_gender"):
        wished = ", ".join(job.t(lang, f"buddy.wish.{g}") for g in data["wish_gender"])
        lines.append(job.t(lang, "buddy.profile.wish_gender", genders=wished))
    if data.get("wish_age"):
        lines.append(job.t(lang, "buddy.profile.wish_age", ages=", ".join(data["wish_age"])))
    return lines


def introduction(
    job: JobContext,
    langs: Iterable[str],
    first: str,
    second: str,
    pair_id: int,
    shared: dict[str, Any],
    platform: str,
    abouts: Iterable[tuple[str, str]] = (),
) -> str:
    """The first message in a new pair's private space, once in each of their languages,
    with each one's "about me" line (name, line) under what they share."""
    abouts = list(abouts)

    def shared_and_abouts(lang: str) -> str:
        lines = [describe(job, lang, shared)]
        lines += [
            "• " + job.t(lang, "buddy.intro_about", name=name, about=about)
            for name, about in abouts
        ]
        return "\n".join(line for line in lines if line)

    return "\n\n".join(
        job.t(
            lang,
            "buddy.intro",
            first=first,
            second=second,
            shared=shared_and_abouts(lang),
            icebreaker=job.t(lang, f"buddy.icebreaker.{icebreaker_number(pair_id)}"),
            prefix=job.services.prefix(platform),
        )
        for lang in dict.fromkeys(langs)
    )


def long_date(when: datetime, zone: str, lang: str) -> str:
    """A day written out: "10. januar 2027", "10 January 2027"."""
    return format_local(when, zone, lang, "d MMMM yyyy" if lang == "en" else "d. MMMM yyyy")


def frequencies(job: JobContext, lang: str, mine: str | None, theirs: str | None) -> str:
    """Each side's wished rhythm, as a line for a proposal; empty when neither said."""
    if not mine and not theirs:
        return ""
    unsaid = job.t(lang, "buddy.frequency.unsaid")
    return job.t(
        lang,
        "buddy.share.frequency",
        mine=job.t(lang, f"buddy.frequency.{mine}") if mine else unsaid,
        theirs=job.t(lang, f"buddy.frequency.{theirs}") if theirs else unsaid,
    )


def space_title(job: JobContext, lang: str, first: str, second: str) -> str:
    return job.t(lang, "buddy.space_title", first=first, second=second)
