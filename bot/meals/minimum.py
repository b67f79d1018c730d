"""A meal's minimum size as the host sets it and answers about it:
``meal minimum <id> <N>`` (0: none), and the answers to "too few have joined":
``meal minimum <id> merge|go <date>``. Cancelling goes through ``meal cancel``.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.parsing import ArgumentError, tokenize
from bot.core.words import word_set
from bot.meals import hosting
from bot.meals.models import Meal
from bot.meals.rules import parse_minimum
from bot.meals.scheduling import when

MERGE_WORDS = word_set("meals.minimum_answer.merge")
GO_WORDS = word_set("meals.minimum_answer.go")


async def minimum(ctx: Context, meal: Meal, rest: str) -> None:
    """Set a meal's minimum, or answer the question asked when too few have joined."""
    if not hosting.may_host(ctx, meal):
        ctx.say("meal.edit_not_allowed", title=meal.title)
        return
    words = [t.text for t in tokenize(rest)]
    if not words:
        ctx.say("meal.minimum_is", title=meal.title, minimum=meal.minimum, code=meal.code)
        return
    first = words[0].casefold()
    if first in MERGE_WORDS or first in GO_WORDS:
        occurrence = await hosting.occurrence_for(ctx, meal, " ".join(words[1:]))
        if occurrence is None:
            return
        values = {"title": meal.title, "when": when(ctx, occurrence.starts_at)}
        if first in MERGE_WORDS:
            occurrence.one_table = True
            ctx.say("meal.minimum_merged", **values)
        else:
            ctx.say("meal.minimum_go", **values)
        return
    if meal.cancelled_at is not None:
        ctx.say("meal.is_cancelled", title=meal.title)
        return
    if not words[0].strip(".").isdigit():
        raise ArgumentError("meal.bad_minimum", low=0, high=meal.capacity)
    meal.minimum = parse_minimum(words[0], meal.capacity)
    if meal.minimum:
        ctx.say("meal.minimum_set", title=meal.title, minimum=meal.minimum)
    else:
        ctx.say("meal.minimum_removed", title=meal.title)
