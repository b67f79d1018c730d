"""The numbers of the impact report, computed from plain records: no I/O.

Mean change with a 95 % t-interval, share improved, response rates, and the activity of
each programme. Small groups are suppressed: a count of fewer than ``min_size`` people is
hidden, and so is enough of its neighbours that it can't be worked out from the total
(complementary suppression).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.impact.rules import ucla_score

PROGRAMMES = ("all", "buddies", "meals")
END_REASONS = ("ended", "not_working", "left", "blocked")
LEVEL = 0.95


@dataclass(frozen=True)
class MeanCI:
    """A mean with its confidence interval (None when there are too few values)."""

    n: int
    mean: float | None
    low: float | None
    high: float | None


def mean_ci(values: Sequence[float], level: float = LEVEL) -> MeanCI:
    """The mean and its t-interval: mean ± t(level, n−1) · s/√n."""
    n = len(values)
    if n == 0:
        return MeanCI(0, None, None, None)
    mean = statistics.fmean(values)
    if n < 2:
        return MeanCI(n, mean, None, None)
    spread = statistics.stdev(values) / math.sqrt(n)
    # Imported here: scipy/networkx cost seconds at start-up, and this runs once a day.
    from scipy import stats as scipy_stats  # type: ignore[import-untyped]

    t = float(scipy_stats.t.ppf((1 + level) / 2, n - 1))
    return MeanCI(n, mean, mean - t * spread, mean + t * spread)


def suppress(counts: Sequence[int], min_size: int) -> list[int | None]:
    """Counts with every cell of 1 to ``min_size − 1`` hidden (None), shown next to their
    total. Complementary suppression: when one cell alone is hidden, or the hidden cells
    add up to fewer than ``min_size``, the next smallest cells are hidden too, so no
    hidden cell can be worked out from the total by subtraction."""
    shown: list[int | None] = list(counts)
    hidden = {i for i, c in enumerate(counts) if 0 < c < min_size}

    def exposed() -> bool:
        total = sum(counts[i] for i in hidden)
        return bool(hidden) and (len(hidden) == 1 or total < min_size)

    while exposed():
        candidates = sorted((c, i) for i, c in enumerate(counts) if i not in hidden and c > 0)
        if not candidates:
            break
        hidden.add(candidates[0][1])
    for i in hidden:
        shown[i] = None
    return shown


def shown_count(count: int, min_size: int) -> int | None:
    """A lone count: hidden when it is 1 to ``min_size − 1``."""
    return None if 0 < count < min_size else count


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class RoundRecord:
    """One round of one person, as stored."""

    month: int
    status: str
    due_at: datetime
    answered_at: datetime | None
    ucla: int | None
    lonely: int | None


@dataclass(frozen=True)
class PersonRecord:
    """Someone who said yes: the programmes they joined as a participant, and their rounds."""

    programmes: frozenset[str]
    rounds: tuple[RoundRecord, ...]

    def round(self, month: int) -> RoundRecord | None:
        return next((r for r in self.rounds if r.month == month), None)


def record(
    programmes: frozenset[str],
    rows: Sequence[tuple[int, str, datetime, datetime | None, dict[str, int | None]]],
) -> PersonRecord:
    """A person's record from (month, status, due_at, answered_at, answers) rows."""
    return PersonRecord(
        programmes,
        tuple(
            RoundRecord(
                month, status, due_at, answered_at, ucla_score(answers), answers.get("lonely")
            )
            for month, status, due_at, answered_at, answers in rows
        ),
    )


# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    """Change from joining to one follow-up, for one programme."""

    programme: str
    month: int
    due: int  # follow-ups due in the period (people who said yes)
    answered: int  # of those, answered
    paired: int  # answered with a scored first round too
    baseline: MeanCI
    follow_up: MeanCI
    change: MeanCI  # follow-up minus first round: below zero is less lonely
    improved: int | None  # people whose score fell (None: suppressed)
    same: int | None
    worse: int | None
    lonely_change: MeanCI  # the direct question, 1–5
    suppressed: bool = False

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.due if self.due else None

    @property
    def share_improved(self) -> float | None:
        if self.improved is None or not self.paired:
            return None
        return self.improved / self.paired


def outcomes(
    people: Sequence[PersonRecord],
    months: Sequence[int],
    since: datetime,
    until: datetime,
    min_size: int,
) -> list[Outcome]:
    """For each programme and follow-up month: the follow-ups due in the period, and the
    change in the UCLA score (3–9) among people with a scored first round and follow-up."""
    found = []
    for programme in PROGRAMMES:
        members = [p for p in people if programme == "all" or programme in p.programmes]
        for month in months:
            due = answered = 0
            firsts: list[float] = []
            laters: list[float] = []
            changes: list[float] = []
            lonely: list[float] = []
            for person in members:
                later = person.round(month)
                if later is None or not since <= later.due_at < until:
                    continue
                if later.status in ("due",):
                    continue  # not yet asked: the weekly limit or a pause held it back
                due += 1
                if later.status != "answered":
                    continue
                answered += 1
                first = person.round(0)
                if first is None:
                    continue
                if first.ucla is not None and later.ucla is not None:
                    firsts.append(first.ucla)
                    laters.append(later.ucla)
                    changes.append(later.ucla - first.ucla)
                if first.lonely is not None and later.lonely is not None:
                    lonely.append(later.lonely - first.lonely)
            tally = Counter((c > 0) - (c < 0) for c in changes)
            outcome = Outcome(
                programme=programme,
                month=month,
                due=due,
                answered=answered,
                paired=len(changes),
                baseline=mean_ci(firsts),
                follow_up=mean_ci(laters),
                change=mean_ci(changes),
                improved=tally[-1],
                same=tally[0],
                worse=tally[1],
                lonely_change=mean_ci(lonely),
            )
            found.append(_suppressed(outcome, min_size))
    return found


def _suppressed(outcome: Outcome, min_size: int) -> Outcome:
    """Below ``min_size`` people with both rounds only the counts due and answered are
    shown; otherwise improved/same/worse are suppressed with complementary cells."""
    if outcome.paired >= min_size:
        improved, same, worse = suppress(
            [outcome.improved or 0, outcome.same or 0, outcome.worse or 0], min_size
        )
        return replace(outcome, improved=improved, same=same, worse=worse)
    empty = MeanCI(0, None, None, None)
    return replace(
        outcome,
        baseline=empty,
        follow_up=empty,
        change=empty,
        improved=None,
        same=None,
        worse=None,
        lonely_change=empty,
        suppressed=True,
    )


# ---------------------------------------------------------------- activity


@dataclass(frozen=True)
class ConsentFigures:
    """People asked in the period, and what they said (None: suppressed)."""

    invited: int | None
    yes: int | None
    no: int | None
    no_answer: int | None


@dataclass(frozen=True)
class Reach:
    """New participants per month and programme (counts suppressed with their total)."""

    months: tuple[str, ...]  # "2026-11"
    rows: dict[str, list[int | None]] = field(default_factory=dict)  # programme → per month + total


def reach(joined: Sequence[tuple[str, str]], months: Sequence[str], min_size: int) -> Reach:
    """``joined``: (programme, "YYYY-MM") per new participant."""
    table = Reach(tuple(months))
    counts = Counter(joined)
    for programme in PROGRAMMES[1:]:
        cells = [counts[(programme, m)] for m in months]
        total = sum(cells)
        shown = suppress(cells, min_size)
        table.rows[programme] = [*shown, shown_count(total, min_size)]
    return table


@dataclass(frozen=True)
class BuddyFigures:
    matched: int | None
    median_days_to_match: float | None
    ended: int | None
    median_days_together: float | None
    active_at_end: int | None
    end_reasons: dict[str, int | None]


def buddy_figures(
    waits: Sequence[float],
    durations: Sequence[float],
    reasons: Sequence[str],
    active: int,
    min_size: int,
) -> BuddyFigures:
    counted = Counter(r if r in END_REASONS else "other" for r in reasons)
    names = [r for r in (*END_REASONS, "other") if counted[r]]
    shown = suppress([counted[n] for n in names], min_size)
    return BuddyFigures(
        matched=shown_count(len(waits), min_size),
        median_days_to_match=_median(waits) if len(waits) >= min_size else None,
        ended=shown_count(len(durations), min_size),
        median_days_together=_median(durations) if len(durations) >= min_size else None,
        active_at_end=shown_count(active, min_size),
        end_reasons=dict(zip(names, shown, strict=True)),
    )


@dataclass(frozen=True)
class MealFigures:
    held: int
    seats_taken: int | None
    came: int | None
    no_shows: int | None
    people: int | None  # different people who came
    came_again: int | None  # of those, came twice or more
    feedback: MeanCI

    @property
    def repeat_share(self) -> float | None:
        if not self.people or self.came_again is None:
            return None
        return self.came_again / self.people


def meal_figures(
    held: int,
    seats: Sequence[tuple[int, bool]],
    ratings: Sequence[int],
    min_size: int,
) -> MealFigures:
    """``seats``: (person, came) for every seat taken at a meal held in the period."""
    came_by = Counter(person for person, came in seats if came)
    people = len(came_by)
    again = sum(1 for n in came_by.values() if n >= 2)
    came = sum(came_by.values())
    came_shown, no_show_shown = suppress([came, len(seats) - came], min_size)
    once, twice = suppress([people - again, again], min_size)
    feedback = mean_ci([float(r) for r in ratings])
    return MealFigures(
        held=held,
        seats_taken=shown_count(len(seats), min_size),
        came=came_shown,
        no_shows=no_show_shown,
        people=shown_count(people, min_size) if once is not None else None,
        came_again=twice,
        feedback=feedback if feedback.n >= min_size else MeanCI(feedback.n, None, None, None),
    )


@dataclass(frozen=True)
class VolunteerFigures:
    active: int | None
    median_load: float | None  # buddies plus meals hosted, per active volunteer
    pulses: int | None
    hours: float | None
    how: MeanCI
    support: int | None  # asked for support (with or without their name)


def volunteer_figures(
    load: Sequence[int],
    pulses: Sequence[tuple[int | None, str | None, float | None]],
    min_size: int,
) -> VolunteerFigures:
    """``load``: buddies plus meals hosted in the period, per active volunteer;
    ``pulses``: (how, support, hours) of each pulse answered in the period."""
    active = len(load)
    hows = [float(h) for h, _s, _h in pulses if h is not None]
    support = sum(1 for _h, s, _x in pulses if s in ("anon", "named"))
    hours = sum(h for _x, _s, h in pulses if h is not None)
    enough = len(pulses) >= min_size
    how = mean_ci(hows)
    return VolunteerFigures(
        active=shown_count(active, min_size),
        median_load=_median([float(n) for n in load]) if active >= min_size else None,
        pulses=shown_count(len(pulses), min_size),
        hours=round(hours, 1) if enough else None,
        how=how if len(hows) >= min_size else MeanCI(len(hows), None, None, None),
        support=shown_count(support, min_size) if enough else None,
    )


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


@dataclass(frozen=True)
class Figures:
    """Everything in the impact report for one period; counts already suppressed."""

    since: datetime
    until: datetime
    follow_up_months: tuple[int, ...]
    min_size: int
    consent: ConsentFigures
    outcomes: list[Outcome]
    reach: Reach
    buddies: BuddyFigures
    meals: MealFigures
    volunteers: VolunteerFigures
    answer_window_days: int = 21

    def outcome(self, programme: str, month: int) -> Outcome | None:
        return next(
            (o for o in self.outcomes if o.programme == programme and o.month == month), None
        )

    @property
    def headline(self) -> Outcome | None:
        """The longest follow-up with enough people in it, for everyone together."""
        usable = [o for o in self.outcomes if o.programme == "all" and not o.suppressed]
        return max(usable, key=lambda o: o.month) if usable else None


def consent_figures(states: Sequence[str], min_size: int) -> ConsentFigures:
    counted = Counter(states)
    yes, no, open_ = suppress([counted["yes"], counted["no"], counted["invited"]], min_size)
    return ConsentFigures(shown_count(len(states), min_size), yes, no, open_)
