"""Who is coming to a meal, and who came: for the host and the organisers only.

Names are shown as the platform shows them; attendance noted here counts in the
statistics like a person's own "meal here".
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import invoke
from bot.core.parsing import tokenize
from bot.meals import answers, load, service
from bot.meals.hosting import may_host, occurrence_for
from bot.meals.models import GUEST, JOINED, MAYBE, OFFERED, WAITING, Meal, MealOccurrence
from bot.meals.rules import FEEDBACK_WINDOW, HERE_EARLY, ends_at
from bot.meals.scheduling import when

ATTEND_BUTTONS = 20


async def attendance_of(
    ctx: Context, meal: Meal, which: str, *, now_or_latest: bool
) -> MealOccurrence | None:
    """The date a host means: a typed one, the one on now (or just over), else the next."""
    if which:
        return await occurrence_for(ctx, meal, which, create=False)
    started = await load.latest_occurrence(ctx.session, meal, ctx.now, started=True)
    if started is not None and ends_at(meal, started) + FEEDBACK_WINDOW < ctx.now:
        started = None  # too long ago to note anything
    if started is not None and ends_at(meal, started) >= ctx.now:
        return started  # on now
    upcoming = await load.next_occurrence(ctx.session, meal, ctx.now)
    if now_or_latest:
        if upcoming is not None and upcoming.starts_at - HERE_EARLY <= ctx.now:
            return upcoming
        if started is None:
            ctx.say("meal.attend_no_meal", title=meal.title)
        return started
    if upcoming is None and started is None:
        ctx.say("meal.is_cancelled" if meal.cancelled_at else "meal.is_past", title=meal.title)
    return upcoming or started


def _plus(companions: int) -> str:
    """ "Anna +1": the companions someone brings, who have no account and no name here."""
    return f" +{companions}" if companions else ""


async def who(ctx: Context, meal: Meal, which: str) -> None:
    """``meal who <id> [date]``: the names as the platform shows them, seats, waiting list."""
    if not may_host(ctx, meal):
        ctx.say("meal.who_not_allowed", title=meal.title)
        return
    occurrence = await attendance_of(ctx, meal, which, now_or_latest=False)
    if occurrence is None:
        return
    rsvps = await load.rsvps_at(ctx.session, occurrence.id)
    names = await load.display_names(ctx.session, [r.person_id for r in rsvps])
    seated = [r for r in rsvps if r.status in (JOINED, GUEST)]
    waiting = [r for r in rsvps if r.status == WAITING]
    lines = [
        ctx.t(
            "meal.who_header",
            title=meal.title,
            code=meal.code,
            when=when(ctx, occurrence.starts_at),
            taken=occurrence.taken,
            seats=ctx.tn("meal.seats", occurrence.capacity),
        )
    ]
    if not seated:
        lines.append(ctx.t("meal.who_nobody"))
    for n, rsvp in enumerate(seated, 1):
        marks = ""
        if rsvp.is_volunteer:
            marks += ctx.t("meal.who_volunteer")
        if rsvp.status == GUEST:
            marks += ctx.t("meal.who_guest")
        if rsvp.attended_at is not None:
            marks += " ✓"
        lines.append(f"{n}. {names.get(rsvp.person_id, '?')}{_plus(rsvp.companions)}{marks}")
    if waiting:
        lines.append(ctx.t("meal.who_waiting"))
        lines += [
            f"{n}. {names.get(r.person_id, '?')}{_plus(r.companions)}"
            for n, r in enumerate(waiting, 1)
        ]
    offered = [r for r in rsvps if r.status == OFFERED]
    if offered:
        lines.append(ctx.t("meal.who_offered"))
        lines += [f"• {names.get(r.person_id, '?')}{_plus(r.companions)}" for r in offered]
    maybe = [r for r in rsvps if r.status == MAYBE]
    if maybe:  # counted apart: they hold no seat
        lines.append(ctx.tn("meal.who_maybe", len(maybe)))
        lines += [f"• {names.get(r.person_id, '?')}" for r in maybe]
    ctx.reply("\n".join(lines))


async def attended(ctx: Context, meal: Meal, people: str) -> None:
    """``meal attended <id> [number|name|all …]``: note who came, for the statistics;
    without names, a list of those who joined to tap."""
    if not may_host(ctx, meal):
        ctx.say("meal.who_not_allowed", title=meal.title)
        return
    occurrence = await attendance_of(ctx, meal, "", now_or_latest=True)
    if occurrence is None:
        return
    rsvps = [r for r in await load.rsvps_at(ctx.session, occurrence.id) if r.status != WAITING]
    names = await load.display_names(ctx.session, [r.person_id for r in rsvps])
    shown = when(ctx, occurrence.starts_at)
    if not rsvps:
        ctx.say("meal.attend_nobody", title=meal.title, when=shown)
        return
    words = [t.text for t in tokenize(people)]
    if not words:
        options = [
            (
                f"{names.get(r.person_id, '?')}{' ✓' if r.attended_at else ''}",
                invoke("meal attended", meal.code, str(n)),
            )
            for n, r in enumerate(rsvps, 1)
        ][:ATTEND_BUTTONS]
        options.append((ctx.t("meal.attend_everyone"), invoke("meal attended", meal.code, "all")))
        ctx.prompt(
            ctx.t("meal.attend_prompt", title=meal.title, when=shown, code=meal.code), options
        )
        return
    chosen: list[int] = []
    everyone = {answers.plain(w) for w in answers.ALL_WORDS}
    for word in words:
        folded = answers.plain(word)
        if folded in everyone:
            chosen = list(range(len(rsvps)))
            break
        if folded.isdigit() and 1 <= int(folded) <= len(rsvps):
            chosen.append(int(folded) - 1)
            continue
        found = [
            i
            for i, r in enumerate(rsvps)
            if answers.plain(names.get(r.person_id, "")).startswith(folded)
        ]
        if len(found) != 1:
            listing = "\n".join(
                f"{n}. {names.get(r.person_id, '?')}" for n, r in enumerate(rsvps, 1)
            )
            ctx.reply(ctx.t("meal.attend_unknown", name=word, code=meal.code) + "\n" + listing)
            return
        chosen.append(found[0])
    noted = []
    for index in dict.fromkeys(chosen):
        rsvp = rsvps[index]
        await service.mark_here(ctx.session, occurrence, rsvp.person_id, rsvp.is_volunteer, ctx.now)
        noted.append(names.get(rsvp.person_id, "?"))
    ctx.say("meal.attend_saved", title=meal.title, names=", ".join(noted))
