"""The impact report: a plain-language summary first, charts, tables and a methods
section, drawn from one set of figures to text (chat), HTML, PDF and a CSV pack with a
data dictionary. Only aggregates: no names, no single answers.

This module holds the words and the figures as text (the summary, the tables, the
methods); :mod:`bot.impact.report_pages` draws the chart, HTML and PDF,
:mod:`bot.impact.report_csv` the CSV pack, and :mod:`bot.impact.report_files` puts
them together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

from bot.core.i18n import BABEL_LOCALES, Translator, format_local
from bot.impact.rules import UCLA_MAX, UCLA_MIN
from bot.impact.stats import PROGRAMMES, Figures, MeanCI, Outcome

Cell = str


@dataclass(frozen=True)
class Words:
    """The report's language: texts, numbers and dates."""

    translator: Translator
    lang: str
    timezone: str
    community: str
    min_size: int = 5

    def t(self, key: str, /, **values: object) -> str:
        values.setdefault("community", self.community)
        values.setdefault("prefix", "!")
        return self.translator.text(self.lang, f"impact.report.{key}", **values)

    def n(self, key: str, count: int) -> str:
        return self.translator.plural(self.lang, f"impact.{key}", count)

    @property
    def locale(self) -> str:
        return BABEL_LOCALES.get(self.lang, "en_GB")

    def number(self, value: float | int | None, digits: int = 1) -> Cell:
        if value is None:
            return self.hidden
        if isinstance(value, int):
            return format_decimal(value, locale=self.locale)
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(round(value, digits), format=pattern, locale=self.locale)

    def count(self, value: int | None) -> Cell:
        return self.hidden if value is None else self.number(value)

    def percent(self, value: float | None) -> Cell:
        if value is None:
            return self.hidden
        return format_percent(value, format="#,##0 %", locale=self.locale)

    def interval(self, ci: MeanCI) -> Cell:
        if ci.low is None or ci.high is None:
            return self.hidden
        return self.t("interval", low=self.number(ci.low, 2), high=self.number(ci.high, 2))

    def span(self, ci: MeanCI) -> Cell:
        """The interval in a table cell: "-1.02 to -0.92"."""
        if ci.low is None or ci.high is None:
            return self.hidden
        return self.t("span", low=self.number(ci.low, 2), high=self.number(ci.high, 2))

    def words(self, value: int | None) -> str:
        """A count in a sentence: a hidden one reads "fewer than 5"."""
        if value is None:
            return self.t("fewer_than", min=self.min_size)
        return self.number(value)

    @property
    def hidden(self) -> Cell:
        return "–"

    def day(self, when: datetime) -> str:
        return format_local(
            when, self.timezone, self.lang, "d. MMMM y" if self.lang != "en" else "d MMMM y"
        )

    def programme(self, name: str) -> str:
        return self.t(f"programme_{name}")


# ---------------------------------------------------------------- the summary


def summary(figures: Figures, w: Words) -> list[str]:
    """The plain-language summary: what a funder reads first."""
    lines = [w.t("period", since=w.day(figures.since), until=w.day(figures.until))]
    consent = figures.consent
    if consent.invited:
        lines.append(
            w.t("summary_consent", invited=w.count(consent.invited), yes=w.count(consent.yes))
        )
    head = figures.headline
    if head is None or head.change.mean is None:
        lines.append(w.t("summary_too_few", min=figures.min_size))
    else:
        lines.append(
            w.t(
                "summary_change",
                people=w.number(head.paired),
                months=w.n("months", head.month),
                before=w.number(head.baseline.mean),
                after=w.number(head.follow_up.mean),
                change=w.number(head.change.mean, 2),
                interval=w.interval(head.change),
            )
        )
        if head.share_improved is not None:
            lines.append(w.t("summary_improved", share=w.percent(head.share_improved)))
        low, high = head.change.low, head.change.high
        if high is not None and high < 0:
            lines.append(w.t("summary_clear_fall"))
        elif low is not None and low > 0:
            lines.append(w.t("summary_clear_rise"))
        else:
            lines.append(w.t("summary_unclear"))
        lines.append(w.t("summary_no_control"))
    reach_total = sum(row[-1] for row in figures.reach.rows.values() if row and row[-1] is not None)
    lines.append(w.t("summary_reach", new=w.number(reach_total)))
    buddies, meals, volunteers = figures.buddies, figures.meals, figures.volunteers
    if buddies.matched != 0:
        if buddies.median_days_to_match is None:
            lines.append(w.t("summary_matched", matched=w.words(buddies.matched)))
        else:
            lines.append(
                w.t(
                    "summary_matched_wait",
                    matched=w.words(buddies.matched),
                    days=w.number(buddies.median_days_to_match),
                )
            )
    if meals.held:
        lines.append(w.t("summary_meals", held=w.number(meals.held), came=w.words(meals.came)))
    if volunteers.active != 0:
        key = "summary_volunteers" if volunteers.hours is not None else "summary_volunteers_only"
        lines.append(
            w.t(key, volunteers=w.words(volunteers.active), hours=w.number(volunteers.hours))
        )
    return lines


# ---------------------------------------------------------------- tables


@dataclass(frozen=True)
class Table:
    """A titled table of already formatted cells; ``key`` names its CSV file."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""


def _outcome_row(o: Outcome, w: Words, min_size: int) -> list[Cell]:
    return [
        w.programme(o.programme),
        w.n("months", o.month),
        w.count(o.due),
        w.count(o.answered),
        w.percent(o.response_rate),
        w.count(o.paired) if not o.suppressed or not o.paired else w.t("fewer_than", min=min_size),
        w.number(o.baseline.mean),
        w.number(o.follow_up.mean),
        w.number(o.change.mean, 2),
        w.span(o.change),
        w.percent(o.share_improved),
        w.number(o.lonely_change.mean, 2),
    ]


def tables(figures: Figures, w: Words) -> list[Table]:
    """Every table of the report, in its order."""
    found = [
        Table(
            "outcomes",
            w.t("table_outcomes"),
            [
                w.t(f"col_{c}")
                for c in (
                    "programme",
                    "after",
                    "due",
                    "answered",
                    "response",
                    "paired",
                    "first",
                    "follow_up",
                    "change",
                    "ci",
                    "improved",
                    "lonely_change",
                )
            ],
            [
                _outcome_row(o, w, figures.min_size)
                for o in figures.outcomes
                if o.due or o.programme == "all"
            ],
            w.t("table_outcomes_note", low=UCLA_MIN, high=UCLA_MAX, min=figures.min_size),
        )
    ]
    months = list(figures.reach.months)
    found.append(
        Table(
            "reach",
            w.t("table_reach"),
            [w.t("col_month"), *(w.programme(p) for p in PROGRAMMES[1:])],
            [
                [label, *(w.count(figures.reach.rows[p][i]) for p in PROGRAMMES[1:])]
                for i, label in enumerate([*months, w.t("col_total")])
            ],
        )
    )
    b = figures.buddies
    buddy_rows = [
        [w.t("row_matched"), w.count(b.matched)],
        [w.t("row_days_to_match"), w.number(b.median_days_to_match)],
        [w.t("row_ended"), w.count(b.ended)],
        [w.t("row_days_together"), w.number(b.median_days_together)],
        [w.t("row_active_pairs"), w.count(b.active_at_end)],
    ]
    buddy_rows += [
        [w.t("row_end_reason", reason=w.t(f"reason_{reason}")), w.count(count)]
        for reason, count in b.end_reasons.items()
    ]
    found.append(
        Table("buddies", w.programme("buddies"), [w.t("col_measure"), w.t("col_value")], buddy_rows)
    )
    m = figures.meals
    found.append(
        Table(
            "meals",
            w.programme("meals"),
            [w.t("col_measure"), w.t("col_value")],
            [
                [w.t("row_meals_held"), w.number(m.held)],
                [w.t("row_seats"), w.count(m.seats_taken)],
                [w.t("row_came"), w.count(m.came)],
                [w.t("row_no_shows"), w.count(m.no_shows)],
                [w.t("row_repeat"), w.percent(m.repeat_share)],
                [w.t("row_feedback"), w.number(m.feedback.mean)],
            ],
        )
    )
    v = figures.volunteers
    found.append(
        Table(
            "volunteers",
            w.t("table_volunteers"),
            [w.t("col_measure"), w.t("col_value")],
            [
                [w.t("row_active_volunteers"), w.count(v.active)],
                [w.t("row_load"), w.number(v.median_load)],
                [w.t("row_pulses"), w.count(v.pulses)],
                [w.t("row_hours"), w.number(v.hours)],
                [w.t("row_how"), w.number(v.how.mean)],
                [w.t("row_support"), w.count(v.support)],
            ],
        )
    )
    c = figures.consent
    found.append(
        Table(
            "consent",
            w.t("table_consent"),
            [w.t("col_measure"), w.t("col_value")],
            [
                [w.t("row_invited"), w.count(c.invited)],
                [w.t("row_yes"), w.count(c.yes)],
                [w.t("row_no"), w.count(c.no)],
                [w.t("row_no_answer"), w.count(c.no_answer)],
            ],
        )
    )
    return found


def methods(figures: Figures, w: Words) -> list[tuple[str, str]]:
    """The methods section: (heading, paragraph)."""
    months = format_list([str(m) for m in figures.follow_up_months] or ["-"], locale=w.locale)
    return [
        (w.t("methods_instrument_title"), w.t("methods_instrument")),
        (
            w.t("methods_timing_title"),
            w.t("methods_timing", months=months, days=figures.answer_window_days),
        ),
        (w.t("methods_analysis_title"), w.t("methods_analysis")),
        (w.t("methods_missing_title"), w.t("methods_missing")),
        (w.t("methods_limits_title"), w.t("methods_limits")),
        (w.t("methods_privacy_title"), w.t("methods_privacy", min=figures.min_size)),
    ]


# ---------------------------------------------------------------- charts
