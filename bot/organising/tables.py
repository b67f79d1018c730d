"""The one renderer of statistics tables: chat text, CSV, a data dictionary, HTML, a chart.

Every word comes from the catalogs in the reader's language: a table's title is
``stats.<table>``, a column's name ``stats.column.<key>`` and its explanation
``stats.about.<key>``, a word inside a cell ``stats.term.<word>``. Numbers are
written the reader's way (``4,25`` in Danish) except in CSV, which keeps the
plain machine form (``4.25``) so spreadsheets and scripts read it. A hidden
count is ``<5``; a mean with no answers yet is ``—`` in tables and "no answers
yet" in sentences, never 0.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from babel.numbers import format_decimal, format_percent

from bot.core.i18n import BABEL_LOCALES, Translator
from bot.core.tables import Cell, Column, Hidden, Kind, Mean, StatTable, Term, Week

MAX_TEXT_ROWS = 12
MAX_CHART_PANELS = 12
NONE = "—"


def humanise(name: str) -> str:
    """``checkin_moods`` → ``Checkin moods`` (only for a provider's table no catalog names)."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _machine(value: float) -> str:
    """A number as CSV holds it: ``4.25``, ``12``."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


@dataclass(frozen=True)
class TableWriter:
    """Draws typed tables for one language."""

    translator: Translator
    lang: str
    min_group_size: int

    # ------------------------------------------------------------ words

    def t(self, key: str, /, **values: object) -> str:
        values.setdefault("min", self.min_group_size)
        return self.translator.text(self.lang, key, **values)

    def _known(self, key: str) -> bool:
        return self.translator.has(key, self.lang)

    def title(self, table: StatTable) -> str:
        key = f"stats.{table.name}"
        return self.t(key) if self._known(key) else humanise(table.name)

    def capability(self, capability: str) -> str:
        key = f"admin.capability.{capability}"
        return self.t(key) if self._known(key) else humanise(capability)

    def column(self, column: Column) -> str:
        key = f"stats.column.{column.key}"
        return self.t(key) if self._known(key) else humanise(column.key)

    def about(self, column: Column) -> str:
        """What a column means, for the data dictionary."""
        kind = self.t(f"stats.kind.{column.kind.value}")
        key = f"stats.about.{column.key}"
        return f"{self.t(key)} {kind}" if self._known(key) else kind

    def term(self, term: Term) -> str:
        if self._known(term.key):
            return self.t(term.key, n=term.number)
        word = humanise(term.key.rsplit(".", 1)[-1])
        return word if term.number is None else f"{word} {term.number}"

    # ------------------------------------------------------------ cells

    def number(self, value: float, digits: int = 2) -> str:
        """A number written the reader's way (``4,25`` in Danish)."""
        pattern = "#,##0" + ("." + "#" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=BABEL_LOCALES.get(self.lang, "en_GB"))

    def days(self, value: float) -> str:
        shown = self.number(value, 1)
        form = int(value) if float(value).is_integer() else 2  # "1,5 dage", not "1,5 dag"
        return self.translator.plural(self.lang, "stats.days", form, n=shown)

    def cell(self, column: Column, value: Cell, *, sentence: bool = False) -> str:
        """A cell as shown to people: in a table, or inside a sentence (``sentence``)."""
        if isinstance(value, Hidden):
            return f"<{value.below}"
        if isinstance(value, Term):
            return self.term(value)
        if isinstance(value, Week):
            return self.t("stats.week", week=value.week, year=value.year)
        if isinstance(value, Mean):
            if value.value is None:
                return self.t("stats.no_answers") if sentence else NONE
            shown = self.number(value.value)
            if value.n is None:
                return shown
            answers = self.translator.plural(self.lang, "stats.answers", value.n)
            return f"{shown} ({answers})"
        if value is None or value == "":
            return NONE
        if isinstance(value, bool):
            return self.term(Term(f"stats.term.{'yes' if value else 'no'}"))
        if isinstance(value, int | float):
            if not math.isfinite(value):
                return NONE
            if column.kind is Kind.SHARE:
                return format_percent(value, locale=BABEL_LOCALES.get(self.lang, "en_GB"))
            if column.kind is Kind.DURATION:
                return self.days(value)
            return self.number(value)
        return str(value)

    def machine_cell(self, value: Cell) -> str | int | float:
        """A cell as CSV holds it: plain numbers, words in the reader's language."""
        if isinstance(value, Hidden):
            return f"<{value.below}"
        if isinstance(value, Term):
            return self.term(value)
        if isinstance(value, Week):
            return value.iso
        if isinstance(value, Mean):
            return "" if value.value is None else _machine(value.value)
        if value is None or isinstance(value, bool):
            return "" if value is None else self.term(Term(f"stats.term.{str(value).lower()}"))
        if isinstance(value, int | float):
            return _machine(value) if math.isfinite(value) else ""
        return value

    def row_label(self, table: StatTable, row: tuple[Cell, ...]) -> str:
        """How a row is named: ``uge 2026-W47``, ``venter``, ``humør 3``."""
        parts = []
        for column, value in zip(table.columns, row, strict=True):
            if column.kind is Kind.TEXT and value not in (None, ""):
                parts.append(self.cell(column, value))
        return ", ".join(parts)

    # ------------------------------------------------------------ chat text

    def line(self, table: StatTable) -> str:
        """One line per table: ``• Humør: humør 1: <5 · humør 2: 7``."""
        title = self.title(table)
        if not table.rows:
            return f"• {title}: {self.t('admin.stats_table_empty')}"
        figures = table.figures
        # A table with one figure shows it alone: the title says what it is.
        named = len(figures) > 1
        parts = []
        for row in table.rows[:MAX_TEXT_ROWS]:
            shown = []
            for column in figures:
                value = table.cell(row, column.key)
                text = self.cell(column, value, sentence=True)
                shown.append(f"{_lower_first(self.column(column))} {text}" if named else text)
            label = self.row_label(table, row)
            text = ", ".join(shown)
            parts.append(f"{label}: {text}" if label and text else label or text)
        if len(table.rows) > MAX_TEXT_ROWS:
            parts.append(self.t("admin.stats_more_rows", count=len(table.rows) - MAX_TEXT_ROWS))
        return f"• {title}: " + " · ".join(parts)

    def summary(self, tables: list[StatTable], header: str) -> str:
        """The text summary: a header, then a section per capability."""
        lines = [header]
        current = None
        for table in tables:
            if table.capability != current:
                current = table.capability
                lines += ["", f"*{self.capability(current)}*"]
            lines.append(self.line(table))
        return "\n".join(lines)

    # ------------------------------------------------------------ CSV

    def csv(self, table: StatTable) -> bytes:
        """The table as CSV with a header row in the reader's language; a table without
        rows is an empty file."""
        buffer = io.StringIO()
        if table.columns and table.rows:
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow([self.column(c) for c in table.columns])
            for row in table.rows:
                writer.writerow([self.machine_cell(v) for v in row])
        return buffer.getvalue().encode("utf-8")

    def dictionary(self, tables: Iterable[tuple[str, StatTable]]) -> bytes:
        """The data dictionary: for every file and column, what it holds."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            [self.t(f"stats.dictionary.{key}") for key in ("file", "table", "column", "meaning")]
        )
        for name, table in tables:
            for column in table.columns:
                writer.writerow([name, self.title(table), self.column(column), self.about(column)])
        return buffer.getvalue().encode("utf-8")

    # ------------------------------------------------------------ HTML

    def html(self, table: StatTable) -> str:
        head = "".join(f"<th>{escape(self.column(c))}</th>" for c in table.columns)
        body = []
        for row in table.rows:
            cells = []
            for column, value in zip(table.columns, row, strict=True):
                css = ' class="number"' if column.is_figure else ""
                cells.append(f"<td{css}>{escape(self.cell(column, value))}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"

    # ------------------------------------------------------------ chart

    def chart(self, tables: list[StatTable], *, title: str, with_capability: bool = True) -> bytes:
        """A PNG with one bar panel per table that has counts; hidden counts are empty bars
        marked "<n"; every label in the reader's language."""
        # Imported here: matplotlib is slow to import and only organisers need it.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        panels = chartable(tables)
        columns = 2 if len(panels) > 1 else 1
        rows = max(1, math.ceil(len(panels) / columns))
        figure = Figure(figsize=(5.2 * columns, 3.0 * rows + 0.6), dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(title, fontsize=13)
        if not panels:
            axes = figure.add_subplot(1, 1, 1)
            axes.axis("off")
            axes.text(
                0.5,
                0.5,
                self.t("admin.stats_no_data"),
                ha="center",
                va="center",
                fontsize=12,
                wrap=True,
            )
        for index, table in enumerate(panels, start=1):
            axes = figure.add_subplot(rows, columns, index)
            labels, values = self.bars(table)
            heights = [float(v) if isinstance(v, int | float) else 0.0 for v in values]
            positions = list(range(len(values)))
            axes.bar(positions, heights, color="#4c72b0")
            top = max(heights, default=0.0) or 1.0
            for position, value in zip(positions, values, strict=True):
                if isinstance(value, Hidden):
                    marker = f"<{value.below}"
                    axes.text(position, top * 0.02, marker, ha="center", va="bottom", fontsize=8)
            step = max(1, math.ceil(len(labels) / 12))
            axes.set_xticks(positions[::step], [label[:18] for label in labels[::step]])
            axes.tick_params(axis="x", labelrotation=45 if len(labels) > 4 else 0, labelsize=8)
            axes.set_ylim(0, top * 1.12)
            panel = self.title(table)
            if with_capability:
                panel = f"{self.capability(table.capability)}: {panel}"
            axes.set_title(panel, fontsize=10)
            axes.grid(axis="y", alpha=0.3)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()

    def bars(self, table: StatTable) -> tuple[list[str], list[Cell]]:
        """The bars of a table's panel: their labels and values."""
        if not table.labels and len(table.rows) == 1:
            # A one-row summary (seats filled, seats offered…): one bar per count.
            row = table.rows[0]
            return (
                [self.column(c) for c in table.counts],
                [table.cell(row, c.key) for c in table.counts],
            )
        count = chart_count(table)
        assert count is not None
        labels = [self.row_label(table, row) or str(n) for n, row in enumerate(table.rows, 1)]
        return labels, [table.cell(row, count.key) for row in table.rows]


def chart_count(table: StatTable) -> Column | None:
    """The count drawn in a table's panel: ``count`` when there is one, else the first."""
    counts = table.counts
    for column in counts:
        if column.key == "count":
            return column
    return counts[0] if counts else None


def chartable(tables: Iterable[StatTable]) -> list[StatTable]:
    """Tables that can be drawn: those with rows and a count."""
    return [t for t in tables if t.rows and chart_count(t) is not None][:MAX_CHART_PANELS]
