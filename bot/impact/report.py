"""The impact report: a plain-language summary first, charts, tables and a methods
section, drawn from one set of figures to text (chat), HTML, PDF and a CSV pack with a
data dictionary. Only aggregates: no names, no single answers."""

from __future__ import annotations

import base64
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

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


def chart(figures: Figures, w: Words) -> bytes:
    """Two panels: the mean change at each follow-up with its 95 % interval, by
    programme; and new participants per month."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.8), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    left = figure.add_subplot(1, 2, 1)
    colours = {"all": "#333333", "buddies": "#4c72b0", "meals": "#dd8452"}
    months = list(figures.follow_up_months)
    drawn = False
    for offset, programme in enumerate(PROGRAMMES):
        xs, ys, below, above = [], [], [], []
        for index, month in enumerate(months):
            o = figures.outcome(programme, month)
            if o is None or o.change.mean is None or o.change.low is None:
                continue
            xs.append(index + (offset - 1) * 0.18)
            ys.append(o.change.mean)
            below.append(o.change.mean - o.change.low)
            above.append((o.change.high or o.change.mean) - o.change.mean)
        if xs:
            drawn = True
            left.errorbar(
                xs,
                ys,
                yerr=[below, above],
                fmt="o",
                capsize=4,
                color=colours[programme],
                label=w.programme(programme),
            )
    left.axhline(0, color="#999999", linewidth=0.8)
    left.set_xticks(range(len(months)), [w.n("months", m) for m in months])
    left.set_xlim(-0.6, max(len(months) - 0.4, 0.6))
    left.set_title(w.t("chart_change"), fontsize=10)
    left.set_ylabel(w.t("chart_change_axis"), fontsize=9)
    if drawn:
        left.legend(fontsize=8, loc="best")
    else:
        left.text(
            0.5,
            0.5,
            w.t("chart_too_few", min=figures.min_size),
            ha="center",
            va="center",
            transform=left.transAxes,
            fontsize=9,
            wrap=True,
        )
    right = figure.add_subplot(1, 2, 2)
    labels = list(figures.reach.months)
    bottom = [0.0] * len(labels)
    for programme in PROGRAMMES[1:]:
        cells = figures.reach.rows.get(programme, [])[: len(labels)]
        heights = [float(c) if c is not None else 0.0 for c in cells]
        right.bar(
            range(len(labels)),
            heights,
            bottom=bottom,
            color=colours[programme],
            label=w.programme(programme),
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    step = max(1, len(labels) // 8)
    right.set_xticks(range(0, len(labels), step), labels[::step], fontsize=8, rotation=30)
    right.set_title(w.t("chart_reach"), fontsize=10)
    right.legend(fontsize=8, loc="best")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# ---------------------------------------------------------------- HTML

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 62em;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
h3 { font-size: 1em; margin: 1em 0 0.3em; }
p.meta { color: #555; margin-top: 0; }
.summary { background: #f4f6fa; border-left: 4px solid #4c72b0; padding: 0.6em 1em; }
.summary p { margin: 0.4em 0; }
table { border-collapse: collapse; margin: 0.3em 0 0.4em; font-size: 0.88em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
p.note { font-size: 0.85em; color: #555; margin-top: 0; }
img { max-width: 100%; height: auto; }
section, table, figure { break-inside: avoid; page-break-inside: avoid; }
h2, h3 { break-after: avoid; page-break-after: avoid; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  .summary { background: none; border-left: 2px solid #000; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 16mm 15mm; }
"""


def _is_number(cell: str) -> bool:
    """Right-aligned: figures, and the mark of a hidden one."""
    return cell == "–" or (bool(cell) and (cell[0].isdigit() or cell[0] in "-−<"))


def html(figures: Figures, w: Words, png: bytes, generated: datetime) -> str:
    """The report as one printable HTML file, chart embedded."""
    title = w.t("title", community=w.community)
    made = w.t("generated", when=w.day(generated), min=figures.min_size)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(w.lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(made)}</p>',
        f'<section><h2>{escape(w.t("summary_title"))}</h2><div class="summary">',
        *(f"<p>{escape(line)}</p>" for line in summary(figures, w)),
        "</div></section>",
        f"<section><h2>{escape(w.t('charts_title'))}</h2>",
        f'<figure><img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" '
        f'alt="{escape(w.t("chart_alt"))}"></figure></section>',
        f"<h2>{escape(w.t('tables_title'))}</h2>",
    ]
    for table in tables(figures, w):
        head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f'<td class="n">{escape(c)}</td>'
                if i and _is_number(c)
                else f"<td>{escape(c)}</td>"
                for i, c in enumerate(row)
            )
            + "</tr>"
            for row in table.rows
        )
        parts.append(
            f"<section><h3>{escape(table.title)}</h3><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )
        if table.note:
            parts.append(f'<p class="note">{escape(table.note)}</p>')
        parts.append("</section>")
    parts.append(f"<h2>{escape(w.t('methods_title'))}</h2>")
    for heading, text in methods(figures, w):
        parts.append(f"<section><h3>{escape(heading)}</h3><p>{escape(text)}</p></section>")
    parts.append(f'<p class="note">{escape(w.t("footer", min=figures.min_size))}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------- PDF


def _fonts() -> tuple[str, str]:
    """DejaVu Sans (shipped with matplotlib) for every letter of da, nb and en."""
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    if "ImpactSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("ImpactSans", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("ImpactSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    return "ImpactSans", "ImpactSans-Bold"


OUTCOME_WIDTHS = (20, 14, 12, 16, 15, 14, 13, 14, 14, 22, 13, 13)  # millimetres, 180 in all


def _widths(table: Table, mm: float) -> list[float]:
    """Column widths on A4 (180 mm of text width): the outcomes fill the page, a
    measure/value table keeps its figures close to their labels."""
    if table.key == "outcomes":
        return [width * mm for width in OUTCOME_WIDTHS]
    if len(table.columns) == 2:
        return [120 * mm, 40 * mm]
    return [40 * mm] + [35 * mm] * (len(table.columns) - 1)


def pdf(figures: Figures, w: Words, png: bytes, generated: datetime) -> bytes:
    """The same report as an A4 PDF."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import Table as PdfTable

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, spaceAfter=3)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor="#555555")
    cell = ParagraphStyle("cell", parent=body, fontSize=7, leading=8.5, spaceAfter=0)
    number = ParagraphStyle("number", parent=cell, alignment=TA_RIGHT)
    h1 = ParagraphStyle("h1", parent=body, fontName=bold, fontSize=16, leading=20)
    h2 = ParagraphStyle(
        "h2", parent=body, fontName=bold, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4
    )
    h3 = ParagraphStyle(
        "h3", parent=body, fontName=bold, fontSize=10, leading=13, spaceBefore=6, spaceAfter=2
    )

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    story: list[object] = [
        para(w.t("title", community=w.community), h1),
        para(w.t("generated", when=w.day(generated), min=figures.min_size), small),
        para(w.t("summary_title"), h2),
        *(para(line) for line in summary(figures, w)),
        para(w.t("charts_title"), h2),
        Image(io.BytesIO(png), width=180 * mm, height=180 * mm * 3.8 / 10),
        para(w.t("tables_title"), h2),
    ]
    for table in tables(figures, w):
        data = [[para(c, cell) for c in table.columns]]
        data += [
            [para(c, number if i and _is_number(c) else cell) for i, c in enumerate(row)]
            for row in table.rows
        ]
        grid = PdfTable(data, repeatRows=1, hAlign="LEFT", colWidths=_widths(table, mm))
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        parts: list[object] = [para(table.title, h3), grid]
        if table.note:
            parts.append(para(table.note, small))
        story.append(KeepTogether(parts))
    for index, (heading, text) in enumerate(methods(figures, w)):
        # The section's title stays with its first part.
        first = [para(w.t("methods_title"), h2)] if index == 0 else []
        story.append(KeepTogether([*first, para(heading, h3), para(text)]))
    story += [Spacer(1, 6), para(w.t("footer", min=figures.min_size), small)]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=w.t("title", community=w.community),
        author=w.community,
    )
    document.build(story)
    return buffer.getvalue()


# ---------------------------------------------------------------- CSV pack

DICTIONARY: dict[str, tuple[str, ...]] = {
    "outcomes.csv": (
        "programme",
        "follow_up_month",
        "due",
        "answered",
        "response_rate",
        "paired",
        "first_mean",
        "follow_up_mean",
        "change_mean",
        "change_ci_low",
        "change_ci_high",
        "improved",
        "same",
        "worse",
        "lonely_change_mean",
        "lonely_change_ci_low",
        "lonely_change_ci_high",
        "suppressed",
    ),
    "reach.csv": ("programme", "month", "new_participants"),
    "buddies.csv": ("measure", "value"),
    "meals.csv": ("measure", "value"),
    "volunteers.csv": ("measure", "value"),
    "consent.csv": ("measure", "value"),
}


def _plain(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else f"{value:.{digits}f}"


def csv_files(figures: Figures, w: Words) -> dict[str, str]:
    """The CSV files (plain numbers, empty where suppressed) and the data dictionary."""
    files: dict[str, list[list[str]]] = {}
    files["outcomes.csv"] = [list(DICTIONARY["outcomes.csv"])]
    for o in figures.outcomes:
        files["outcomes.csv"].append(
            [
                o.programme,
                str(o.month),
                str(o.due),
                str(o.answered),
                _plain(o.response_rate),
                str(o.paired) if not o.suppressed else "",
                _plain(o.baseline.mean),
                _plain(o.follow_up.mean),
                _plain(o.change.mean),
                _plain(o.change.low),
                _plain(o.change.high),
                _plain(o.improved),
                _plain(o.same),
                _plain(o.worse),
                _plain(o.lonely_change.mean),
                _plain(o.lonely_change.low),
                _plain(o.lonely_change.high),
                "yes" if o.suppressed else "no",
            ]
        )
    files["reach.csv"] = [list(DICTIONARY["reach.csv"])]
    for programme, cells in figures.reach.rows.items():
        for month, value in zip([*figures.reach.months, "total"], cells, strict=True):
            files["reach.csv"].append([programme, month, _plain(value)])
    b, m, v, c = figures.buddies, figures.meals, figures.volunteers, figures.consent
    files["buddies.csv"] = [
        ["measure", "value"],
        ["pairs_matched", _plain(b.matched)],
        ["median_days_to_match", _plain(b.median_days_to_match)],
        ["pairs_ended", _plain(b.ended)],
        ["median_days_together", _plain(b.median_days_together)],
        ["pairs_active_at_end", _plain(b.active_at_end)],
        *([f"ended_{reason}", _plain(count)] for reason, count in b.end_reasons.items()),
    ]
    files["meals.csv"] = [
        ["measure", "value"],
        ["meals_held", _plain(m.held)],
        ["seats_taken", _plain(m.seats_taken)],
        ["came", _plain(m.came)],
        ["no_shows", _plain(m.no_shows)],
        ["people_who_came", _plain(m.people)],
        ["came_twice_or_more", _plain(m.came_again)],
        ["feedback_mean", _plain(m.feedback.mean)],
    ]
    files["volunteers.csv"] = [
        ["measure", "value"],
        ["active_volunteers", _plain(v.active)],
        ["median_load", _plain(v.median_load)],
        ["pulses_answered", _plain(v.pulses)],
        ["hours_given", _plain(v.hours)],
        ["how_it_went_mean", _plain(v.how.mean)],
        ["asked_for_support", _plain(v.support)],
    ]
    files["consent.csv"] = [
        ["measure", "value"],
        ["invited", _plain(c.invited)],
        ["said_yes", _plain(c.yes)],
        ["said_no", _plain(c.no)],
        ["no_answer", _plain(c.no_answer)],
    ]
    dictionary = [["file", "column", "meaning"]]
    for name, columns in DICTIONARY.items():
        for column in columns:
            key = (
                f"dict_{column}"
                if column in ("measure", "value")
                else (f"dict_{name[:-4]}_{column}")
            )
            dictionary.append([name, column, w.t(key, min=figures.min_size)])
    for name in ("buddies", "meals", "volunteers", "consent"):
        for row in files[f"{name}.csv"][1:]:
            measure = row[0]
            key = "ended_reason" if measure.startswith("ended_") else measure
            dictionary.append(
                [f"{name}.csv", measure, w.t(f"dict_measure_{key}", reason=measure[6:])]
            )
    files["data_dictionary.csv"] = dictionary
    out = {}
    for name, rows in files.items():
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        out[name] = buffer.getvalue()
    return out


def csv_zip(figures: Figures, w: Words) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in csv_files(figures, w).items():
            archive.writestr(name, text)
        archive.writestr("README.txt", w.t("csv_readme", min=figures.min_size) + "\n")
    return buffer.getvalue()


def files(figures: Figures, w: Words, generated: datetime) -> dict[str, bytes]:
    """The HTML, the PDF and the CSV pack; drawing takes a second or two (use a thread)."""
    png = chart(figures, w)
    return {
        "html": html(figures, w, png, generated).encode("utf-8"),
        "pdf": pdf(figures, w, png, generated),
        "zip": csv_zip(figures, w),
    }
