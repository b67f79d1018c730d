"""Commands about time in a pairing: pause until a date, the wished rhythm, whether to
go on after the agreed length, and the organisers' view of who has waited longest."""

from __future__ import annotations

from datetime import UTC, date

from bot.buddies import load, render, service, terms
from bot.buddies.models import ACTIVE, BuddyPair, BuddyProfile
from bot.buddies.profile import language_name
from bot.buddies.rules import other_side
from bot.core.clock import as_utc
from bot.core.context import Context, JobContext
from bot.core.events import invoke
from bot.core.parsing import ArgumentError, OneOf
from bot.core.words import word_table
from bot.people.service import display_name

YES_NO = OneOf(word_table("buddies.yes_no", ("yes", "no")), error="buddy.error.yes_no")
LONGEST_SHOWN = 5


def _job(ctx: Context) -> JobContext:
    return JobContext(ctx.services, ctx.session, ctx.now)


async def pause_until(ctx: Context, text: str) -> None:
    """``buddy pause until 2027-01-10``: no proposals or questions until that morning."""
    words = text.split()
    if words and words[0].casefold() in terms.UNTIL_WORDS:
        words = words[1:]
    if words and words[0].casefold() in terms.UNTIL_WORDS:  # "frem til", "fram til"
        words = words[1:]
    if not words:
        raise ArgumentError("buddy.error.pause_date", value=text)
    today = ctx.now.astimezone(ctx.zone).date()
    try:
        day = terms.parse_pause_date(" ".join(words), today)
    except terms.PastDate as past:
        meant = terms.pause_ends(date.fromisoformat(str(past.values["meant"])), ctx.timezone)
        ctx.prompt(
            ctx.t(
                "buddy.pause_past",
                value=past.values["value"],
                meant=render.long_date(meant, ctx.timezone, ctx.lang),
            ),
            [
                (
                    ctx.t("choice.yes"),
                    invoke("buddy pause", f"until {past.values['meant']}"),
                ),
                (ctx.t("choice.no"), invoke("buddy status")),
            ],
        )
        return
    profile = await load.profile_of(ctx.session, ctx.person.id)
    if profile is None:
        ctx.say("buddy.status_none")
        return
    ends = terms.pause_ends(day, ctx.timezone).astimezone(UTC)
    profile.paused = True
    profile.paused_until = ends
    profile.updated_at = ctx.now
    ctx.say("buddy.paused_until", until=render.long_date(ends, ctx.timezone, ctx.lang))


async def often(ctx: Context, text: str) -> None:
    """``buddy often weekly``: the rhythm shown to both sides of a proposal."""
    word = "-".join(text.casefold().split())
    how = terms.FREQUENCY_WORDS.get(word)
    if how is None:
        raise ArgumentError("buddy.error.frequency", value=text)
    profile = await load.profile_of(ctx.session, ctx.person.id)
    if profile is None:
        ctx.say("buddy.status_none")
        return
    profile.frequency = how
    profile.updated_at = ctx.now
    ctx.say("buddy.frequency_saved", how=ctx.t(f"buddy.frequency.{how}"))


async def extend(ctx: Context, answer: str, pair_id: int | None) -> None:
    """``buddy extend yes|no``: both must say yes to go on; a no is never passed on."""
    pairs = [
        p
        for p in await load.open_pairs(ctx.session, ctx.person.id)
        if p.status == ACTIVE and p.extension_asked_at is not None
    ]
    pair = _one(pairs, pair_id)
    if pair is None:
        ctx.say("buddy.extend_not_asked")
        return
    ends = as_utc(pair.term_ends_at) if pair.term_ends_at else ctx.now
    until = render.long_date(ends, ctx.timezone, ctx.lang)
    outcome = await service.answer_extension(_job(ctx), pair, ctx.person.id, answer)
    if outcome == "extend":
        ctx.say("buddy.extend_both")
    elif answer == "yes":
        ctx.say("buddy.extend_yes_waiting", until=until)
    else:
        ctx.say(
            "buddy.extend_no",
            until=until,
            name=await display_name(ctx.session, other_side(pair, ctx.person.id)),
        )


def _one(pairs: list[BuddyPair], pair_id: int | None) -> BuddyPair | None:
    if pair_id is not None:
        return next((p for p in pairs if p.id == pair_id), None)
    return pairs[0] if len(pairs) == 1 else None


async def longest_waiting_lines(ctx: Context) -> list[str]:
    """Who has waited longest, with the days and the reason the last round gave."""
    rows = await load.waiting_participants(ctx.session)
    if not rows:
        return []
    by_id = {row.person_id: row for row in rows}
    waits = {row.person_id: as_utc(row.waiting_since) for row in rows if row.waiting_since}
    lines = [ctx.t("buddy.longest_title")]
    for person_id, days in terms.longest_waiting(waits, ctx.now, LONGEST_SHOWN):
        row = by_id[person_id]
        reason = ""
        if row.waiting_reason:
            code, _, language = row.waiting_reason.partition(":")
            reason = ctx.t(
                # Organisers hear that a wish keeps someone waiting, not what it is.
                "buddy.waiting_reason_organiser.wish"
                if code.startswith("wish_")
                else f"buddy.waiting_reason.{code}",
                language=language_name(language, ctx.lang),
            )
        lines.append(
            ctx.t(
                "buddy.longest_line_paused" if row.paused else "buddy.longest_line",
                name=await display_name(ctx.session, person_id),
                days=ctx.tn("buddy.days", int(days)),
                reason=reason,
            )
        )
    return lines


async def status_lines(
    ctx: Context, profile: BuddyProfile | None, pairs: list[BuddyPair]
) -> list[str]:
    """What ``buddy status`` adds: the break's end, the rhythm, why they still wait and
    how long each pairing's agreed time runs."""
    lines = []
    if profile is not None:
        if profile.paused and profile.paused_until is not None:
            until = render.long_date(as_utc(profile.paused_until), ctx.timezone, ctx.lang)
            lines.append(ctx.t("buddy.status.paused_until", until=until))
        if profile.frequency:
            lines.append(
                ctx.t("buddy.status.frequency", how=ctx.t(f"buddy.frequency.{profile.frequency}"))
            )
        waiting = profile.seeking and not profile.paused and not pairs
        if waiting and profile.role == "participant" and profile.waiting_reason:
            code, _, language = profile.waiting_reason.partition(":")
            lines.append(
                ctx.t(f"buddy.waiting_reason.{code}", language=language_name(language, ctx.lang))
            )
    for pair in pairs:
        if pair.status == ACTIVE and pair.term_ends_at is not None:
            lines.append(
                ctx.t(
                    "buddy.status.term",
                    name=await display_name(ctx.session, other_side(pair, ctx.person.id)),
                    until=render.long_date(as_utc(pair.term_ends_at), ctx.timezone, ctx.lang),
                )
            )
    return lines
