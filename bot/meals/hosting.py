"""What a host (or an organiser) does with a meal: cancel it, change it, see who is
coming and note who came. Each asks before it changes something others will hear
about, and a typed answer works as well as a tap.

Cancelling and changing are declared dialogs (:data:`CANCEL`, :data:`EDIT`): a
question with choices (``choose``) and, when changing, the new value asked for
(``title``, ``time``, ``capacity``, ``link``). The work itself returns what comes
next — :class:`Next` (ask), :class:`Finish` (done) or None (the dialog stays as it
is) — whether a command or an answer started it.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from functools import partial

from bot.core.codec import COMMAND_OPTION, decode_action, encode_action
from bot.core.context import Context
from bot.core.events import Action, Invoke, Role, invoke
from bot.core.parsing import ArgumentError, tokenize
from bot.core.steps import Data, Finish, Next, Outcome, Retry, Step, StepDialog
from bot.core.words import word_set, word_table
from bot.meals import answers, editing, load, planning, render, service
from bot.meals.models import CANCELLED, Meal, MealOccurrence
from bot.meals.rules import (
    CAPACITY_RANGE,
    MAX_DAYS_AHEAD,
    check_title,
    is_link,
    is_occurrence_date,
    local_day,
    local_start,
    meal_time,
    meal_zone,
    parse_time,
    read_date,
)
from bot.meals.scheduling import limits, today, when

# The names and steps are kept in dialog rows: they stay as they are.
CANCEL_DIALOG = "meal_cancel"
EDIT_DIALOG = "meal_edit"
CHOOSE = "choose"
# The words are data (bot/locales/<lang>/words.toml).
KEEP_WORDS = word_set("meals.keep")
FIELD_WORDS = word_table("meals.edit_field", ("title", "time", "capacity", "link"))
EDIT_FIELDS = tuple(FIELD_WORDS)
ATTEND_BUTTONS = 20
# What the work on a meal leaves the dialog: ask next, done, or as it was.
Then = Next | Finish | None


def may_host(ctx: Context, meal: Meal) -> bool:
    return meal.host_person_id == ctx.person.id or ctx.role >= Role.ORGANISER


async def occurrence_for(
    ctx: Context, meal: Meal, which: str, *, create: bool = True
) -> MealOccurrence | None:
    """The date a person means: one they typed, else the next one. Says why if none.

    A typed date must lie within the planning horizon; with ``create`` False a
    date never planned is not made (nothing to leave there).
    """
    if not which:
        occurrence = await load.next_occurrence(ctx.session, meal, ctx.now)
        if occurrence is None:
            ctx.say("meal.is_cancelled" if meal.cancelled_at else "meal.is_past", title=meal.title)
        return occurrence
    day, guessed = read_date(which, today(ctx))
    if guessed:
        # A day and month that have passed this year: never a date a year away unasked.
        ctx.say(
            "meal.date_guess_typed",
            guess=render.day_text(day, ctx.timezone, ctx.lang),
            example=f"{day.day}/{day.month}/{day.year}",
        )
        return None
    latest = ctx.now + timedelta(days=MAX_DAYS_AHEAD)
    start = local_start(day, meal_time(meal), meal_zone(meal))
    if start > latest:
        raise ArgumentError("meal.date_far", days=MAX_DAYS_AHEAD)
    occurrence = await planning.occurrence_on(ctx.session, meal, day, latest=latest, create=create)
    if occurrence is None and not create and start > ctx.now:
        valid = is_occurrence_date(date.fromisoformat(meal.first_date), meal.every_weeks, day)
        if valid and meal.cancelled_at is None:
            ctx.say("meal.not_joined", title=meal.title, code=meal.code, when=when(ctx, start))
            return None
    if occurrence is None:
        ctx.say("meal.no_such_date", code=meal.code, title=meal.title)
        return None
    if occurrence.status == CANCELLED:
        ctx.say("meal.date_cancelled", title=meal.title, when=when(ctx, occurrence.starts_at))
        return None
    if occurrence.starts_at <= ctx.now:
        ctx.say("meal.is_past", title=meal.title)
        return None
    return occurrence


def _split_confirm(which: str) -> tuple[str, bool, bool]:
    """(the date or "all", confirmed, kept) from what follows the meal's id."""
    words = [t.text for t in tokenize(which)]
    confirmed = bool(words) and answers.is_yes(words[-1])
    kept = bool(words) and answers.plain(words[-1]) in KEEP_WORDS
    if confirmed or kept:
        words = words[:-1]
    return " ".join(words), confirmed, kept


# ---------------------------------------------------------------- cancelling


async def cancel(ctx: Context, meal: Meal, which: str) -> None:
    """``meal cancel <id> [date|all] [yes]``: asks which dates and confirms, then tells
    everyone who joined or waits."""
    _follow(ctx, CANCEL, await _cancel(ctx, meal, which))


async def _cancel(ctx: Context, meal: Meal, which: str) -> Then:
    if not may_host(ctx, meal):
        ctx.say("meal.cancel_not_allowed", title=meal.title)
        return None
    target, confirmed, kept = _split_confirm(which)
    if kept:
        ctx.end_dialog()
        ctx.say("meal.cancel_kept", title=meal.title)
        return Finish()
    if meal.cancelled_at is not None:
        ctx.say("meal.is_cancelled", title=meal.title)
        return None
    every = answers.plain(target) in {answers.plain(w) for w in answers.ALL_WORDS}
    if meal.every_weeks == 0 and not confirmed:
        # A meal held once: its one date is the meal.
        occurrence = await occurrence_for(ctx, meal, "")
        if occurrence is None:
            return None
        return _ask_cancel(ctx, meal, occurrence, series=False)
    if every or meal.every_weeks == 0:
        if confirmed:
            ctx.end_dialog()
            told = await service.cancel_series(ctx.session, ctx.services, meal, ctx.now)
            ctx.say("meal.cancelled_series", title=meal.title, told=told)
            return Finish()
        return _ask_cancel(ctx, meal, None, series=True)
    occurrence = await occurrence_for(ctx, meal, target)
    if occurrence is None:
        return None
    if confirmed:
        ctx.end_dialog()
        told = await service.cancel_occurrence(ctx.session, ctx.services, meal, occurrence, ctx.now)
        ctx.say(
            "meal.cancelled_date", title=meal.title, when=when(ctx, occurrence.starts_at), told=told
        )
        return Finish()
    return _ask_cancel(ctx, meal, occurrence, series=meal.every_weeks > 0 and not target)


def _ask_cancel(
    ctx: Context, meal: Meal, occurrence: MealOccurrence | None, *, series: bool
) -> Next:
    code = meal.code
    keep = (ctx.t("meal.option_keep"), invoke("meal cancel", code, "keep"))
    if occurrence is not None and series:
        # A series without a date: this date, or every date?
        day = when(ctx, occurrence.starts_at, "date")
        text = ctx.t("meal.cancel_which", title=meal.title, when=when(ctx, occurrence.starts_at))
        options = [
            (
                ctx.t("meal.option_only_date", date=day),
                invoke("meal cancel", code, f"{local_day(meal, occurrence)} yes"),
            ),
            (ctx.t("meal.option_every_date"), invoke("meal cancel", code, "all yes")),
            keep,
        ]
    elif occurrence is not None:
        text = ctx.t(
            "meal.cancel_confirm_date", title=meal.title, when=when(ctx, occurrence.starts_at)
        )
        which = "all" if meal.every_weeks == 0 else local_day(meal, occurrence)
        options = [
            (ctx.t("meal.option_cancel_yes"), invoke("meal cancel", code, f"{which} yes")),
            keep,
        ]
    else:
        text = ctx.t("meal.cancel_confirm_series", title=meal.title)
        options = [
            (ctx.t("meal.option_cancel_yes"), invoke("meal cancel", code, "all yes")),
            keep,
        ]
    return _choice(code, text, options)


def _choice(code: str, question: str, options: list[tuple[str, Invoke]]) -> Next:
    """The ``choose`` step with its question and choices, kept as the dialog's data
    (``lines``: each choice's action as the codec writes it)."""
    data: Data = {
        "code": code,
        "question": question,
        "labels": [label for label, _action in options],
        "lines": [encode_action(action) for _label, action in options],
    }
    return Next(CHOOSE, data)


def _ask_choice(ctx: Context, data: Data) -> None:
    """Show the question with its choices (a row kept from before holds no question:
    it was shown then, and is never asked again from here)."""
    question = data.get("question")
    if question is None:
        return
    actions = [decode_action(line) for line in data.get("lines", [])]
    ctx.prompt(str(question), list(zip(data.get("labels", []), actions, strict=True)))


def _follow(ctx: Context, machine: StepDialog, then: Then) -> None:
    """After a command: ask what comes next (what is done has ended the dialog)."""
    if isinstance(then, Next):
        machine.follow(ctx, then)


def _line(action: Action) -> str:
    """An option's action as the words of its command (``meal cancel K7 all yes``); a
    question stored before actions were typed holds ``cmd:`` and those words."""
    if isinstance(action, Invoke):
        return " ".join([action.command, *(str(arg) for arg in action.args)])
    return action.removeprefix(COMMAND_OPTION)


async def _answer_choice(ctx: Context, data: Data, text: str) -> Outcome:
    """A typed answer to a cancel or edit question with choices: its number, its label,
    yes (when only one choice changes something), no, or "all"."""
    labels: list[str] = data.get("labels", [])
    lines = [_line(decode_action(line)) for line in data.get("lines", [])]
    choice = answers.pick(text, labels)
    word = answers.plain(text)
    acting = [i for i, line in enumerate(lines) if not line.endswith(" keep")]
    if choice is None and answers.is_yes(text) and len(acting) == 1:
        choice = acting[0]
    elif choice is None and (answers.is_no(text) or word in KEEP_WORDS):
        keep = [i for i, line in enumerate(lines) if line.endswith(" keep")]
        if not keep:  # a question about what to change: no means nothing changes
            ctx.say("meal.nothing_changed")
            return Finish()
        choice = keep[0]
    elif choice is None and word in {answers.plain(w) for w in answers.ALL_WORDS}:
        choice = next((i for i, line in enumerate(lines) if " all " in f"{line} "), None)
    if choice is None:
        numbered = "\n".join(f"{n}) {label}" for n, label in enumerate(labels, 1))
        ctx.reply(ctx.t("meal.choose_again") + "\n" + numbered)
        return Retry(ask_again=False)  # the choices were just listed
    ctx.end_dialog()  # unless the choice asks something more
    # The chosen line is one this dialog made: "meal <cancel|edit> <id> rest…".
    _meal_word, sub, code, *rest = lines[choice].split(" ", 3)
    meal = await load.find_meal(ctx.session, code)
    if meal is None:
        ctx.say("meal.unknown_id", code=code)
        return Finish()
    try:
        then = await (_cancel if sub == "cancel" else _edit)(ctx, meal, rest[0] if rest else "")
    except ArgumentError as error:
        ctx.reply(ctx.t(error.key or "meal.step_again", **error.values))
        return Finish()
    return then if isinstance(then, Next) else Finish()


# ---------------------------------------------------------------- changing


def field_of(word: str) -> str | None:
    folded = answers.plain(word)
    return next((f for f, words in FIELD_WORDS.items() if folded in words), None)


async def edit(ctx: Context, meal: Meal, rest: str) -> None:
    """``meal edit <id> [title|time|seats|link] [value] [date|all]``: asks for what is
    missing, then changes it and tells everyone who joined."""
    _follow(ctx, EDIT, await _edit(ctx, meal, rest))


async def _edit(ctx: Context, meal: Meal, rest: str) -> Then:
    if not may_host(ctx, meal):
        ctx.say("meal.edit_not_allowed", title=meal.title)
        return None
    if meal.cancelled_at is not None:
        ctx.say("meal.is_cancelled", title=meal.title)
        return None
    words = rest.split()
    field = field_of(words[0]) if words else None
    if words and field is None:
        raise ArgumentError("meal.edit_bad_field", code=meal.code, value=words[0])
    if field is None:
        options = [
            (ctx.t(f"meal.edit_{f}"), invoke("meal edit", meal.code, f)) for f in EDIT_FIELDS
        ]
        return _choice(meal.code, ctx.t("meal.edit_what", title=meal.title), options)
    if field == "title":
        value = rest.split(None, 1)[1] if len(words) > 1 else ""
        if not value:
            return _value_wanted(meal, field)
        title = check_title(value.strip('"“”„'), limits(ctx))
        ctx.end_dialog()
        told = await editing.change_title(ctx.session, ctx.services, meal, title, ctx.now)
        ctx.say("meal.edited_title", title=title)
        _told(ctx, told)
        return Finish()
    if len(words) < 2:
        return _value_wanted(meal, field)
    return await _edit_dates(ctx, meal, field, words[1], " ".join(words[2:]))


def _value_wanted(meal: Meal, field: str) -> Next:
    """The step asking for a new ``field`` (a row kept from before holds only the code)."""
    return Next(field, {"code": meal.code, "title": meal.title})


def _ask_value(field: str, ctx: Context, data: Data) -> None:
    limit = ctx.config.meals.title_max_length
    ctx.say(f"meal.edit_ask_{field}", title=data.get("title", ""), limit=limit)


def _check_value(ctx: Context, field: str, value: str) -> str:
    """The value as it will be kept; wrong input raises with what to type instead."""
    if field == "time":
        return parse_time(value.removeprefix("kl.").removeprefix("kl").strip()).strftime("%H:%M")
    if field == "capacity":
        return str(answers.read_number(value, *CAPACITY_RANGE, "meal.bad_capacity"))
    if not is_link(value.strip()):
        raise ArgumentError("meal.bad_link", value=value)
    return value.strip()


async def _edit_dates(ctx: Context, meal: Meal, field: str, raw: str, which: str) -> Then:
    value = _check_value(ctx, field, raw)
    target, _confirmed, _kept = _split_confirm(which)
    every = answers.plain(target) in {answers.plain(w) for w in answers.ALL_WORDS}
    if every or meal.every_weeks == 0:
        dates = await editing.future_dates(ctx.session, meal, ctx.now)
        if meal.every_weeks == 0:
            dates = dates[:1]
        every = True
    else:
        occurrence = await occurrence_for(ctx, meal, target)
        if occurrence is None:
            return None
        if not target:
            # A series: this date, or every date from now on?
            day = when(ctx, occurrence.starts_at, "date")
            change = f"{field} {value}"
            options = [
                (
                    ctx.t("meal.option_only_date", date=day),
                    invoke("meal edit", meal.code, f"{change} {local_day(meal, occurrence)}"),
                ),
                (ctx.t("meal.option_every_date"), invoke("meal edit", meal.code, f"{change} all")),
            ]
            question = ctx.t(
                "meal.edit_scope", title=meal.title, when=when(ctx, occurrence.starts_at)
            )
            return _choice(meal.code, question, options)
        dates = [occurrence]
    if not dates:
        ctx.say("meal.is_past", title=meal.title)
        return None
    ctx.end_dialog()
    await _apply(ctx, meal, field, value, dates, every_date=every)
    return Finish()


async def _apply(
    ctx: Context,
    meal: Meal,
    field: str,
    value: str,
    dates: list[MealOccurrence],
    *,
    every_date: bool,
) -> None:
    session, services, now = ctx.session, ctx.services, ctx.now
    if field == "time":
        at = time.fromisoformat(value)
        first = editing.moved_start(meal, dates[0], at)
        if first <= now:
            raise ArgumentError("meal.date_past")
        told = await editing.change_time(
            session, services, meal, dates, at, now, every_date=every_date
        )
        key = "meal.edited_time_all" if every_date and meal.every_weeks else "meal.edited_time"
        ctx.say(key, title=meal.title, when=when(ctx, dates[0].starts_at), time=value)
        _told(ctx, told)
    elif field == "capacity":
        moved = await editing.change_capacity(
            session, services, meal, dates, int(value), now, every_date=every_date
        )
        ctx.say("meal.edited_capacity", title=meal.title, seats=ctx.tn("meal.seats", int(value)))
        if moved:
            ctx.reply(ctx.tn("meal.edit_moved", moved))
    else:
        told = await editing.change_link(
            session, services, meal, dates, value, now, every_date=every_date
        )
        ctx.say("meal.edited_link", title=meal.title, link=value)
        _told(ctx, told)


def _told(ctx: Context, told: int) -> None:
    ctx.reply(ctx.tn("meal.edit_told", told) if told else ctx.t("meal.edit_told_none"))


async def _answer_value(field: str, ctx: Context, data: Data, text: str) -> Outcome:
    """A typed answer to "what is the new …?": the change, or what to type instead."""
    meal = await load.find_meal(ctx.session, str(data.get("code", "")))
    if meal is None:
        ctx.say("meal.unknown_id", code=data.get("code", ""))
        return Finish()
    try:
        if field == "title":
            then = await _edit(ctx, meal, f"title {text}")
        else:
            then = await _edit(ctx, meal, f"{field} {_check_value(ctx, field, text)}")
    except ArgumentError as error:
        # The question stays (asked again with the meal's title as it is now); say
        # what to type instead.
        ctx.reply(ctx.t(error.key or "meal.step_again", **error.values))
        return _value_wanted(meal, field)
    # None: nothing was changed (a date gone, say) and the question still stands.
    return Retry(ask_again=False) if then is None else then


_CHOOSE_STEP = Step(_ask_choice, _answer_choice)
CANCEL = StepDialog(CANCEL_DIALOG, {CHOOSE: _CHOOSE_STEP}, first=CHOOSE, resumes=False)
EDIT = StepDialog(
    EDIT_DIALOG,
    {
        CHOOSE: _CHOOSE_STEP,
        **{f: Step(partial(_ask_value, f), partial(_answer_value, f)) for f in EDIT_FIELDS},
    },
    first=CHOOSE,
    resumes=False,  # after the crisis lines these questions are set aside, as they were
)
