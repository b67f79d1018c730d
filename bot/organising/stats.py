"""Anonymised statistics from every feature that records them, as text and a chart.

Features register ``aggregates(session, since, until)`` providers that return
``{"table": [{"column": value, ..., "count": n}, ...]}``. This module works on
whatever they return: it drops columns that could name someone, hides small
counts (below ``[privacy] min_group_size``) and the averages of such small
groups, and renders the result. Everything here except :func:`collect` is pure.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("samvaer.organising.stats")

Provider = Callable[[AsyncSession, datetime, datetime], Awaitable[Any]]
Value = int | float | str

CAPABILITY_ORDER = ("checkins", "buddies", "meals")
MEASURE_PREFIXES = ("avg", "average", "mean", "median")
# Never shown, whatever a provider returns: these could name or quote someone.
PERSONAL_COLUMNS = frozenset(
    {
        "name",
        "display_name",
        "note",
        "notes",
        "comment",
        "comments",
        "text",
        "reason",
        "person_id",
        "user_id",
        "external_id",
        "account_id",
        "email",
    }
)
MAX_TEXT_ROWS = 12
MAX_CHART_PANELS = 12


# Whole numbers that describe a group rather than count people or events. Any
# other whole-number column is treated as a count, so that a provider naming
# its counts freely ("checkins", "people", "came") still gets them hidden.
DIMENSIONS = frozenset(
    {
        "mood",
        "rating",
        "score",
        "stars",
        "week",
        "day",
        "weekday",
        "month",
        "year",
        "hour",
        "level",
        "status",
        "kind",
        "type",
    }
)


def is_count(column: str, values: Iterable[object] = ()) -> bool:
    """Counts: ``count``, ``*_count``, ``count_*``, and any other whole-number column
    that is not a known dimension (mood, rating, week…)."""
    if column == "count" or column.endswith("_count") or column.startswith("count_"):
        return True
    if column in DIMENSIONS or column.rsplit("_", 1)[-1] in DIMENSIONS:
        return False
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int) and not isinstance(v, bool) for v in present)


def is_measure(column: str, values: Iterable[object]) -> bool:
    """Averages, medians and any other fractional figure."""
    if column.startswith(MEASURE_PREFIXES):
        return True
    return any(isinstance(v, float | Decimal) for v in values)


def _plain(value: object) -> Value:
    """A value as it may be shown or written to CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return round(value, 2) if math.isfinite(value) else ""
    if isinstance(value, int):
        return value
    return str(value)


@dataclass(frozen=True)
class StatTable:
    """One anonymised table of one capability, safe to show."""

    capability: str
    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    counts: tuple[str, ...]
    measures: tuple[str, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.counts and c not in self.measures)

    @property
    def chart_count(self) -> str | None:
        """The count drawn in the chart: ``count`` when there is one."""
        if "count" in self.counts:
            return "count"
        return self.counts[0] if self.counts else None

    def value(self, row: tuple[Value, ...], column: str) -> Value:
        return row[self.columns.index(column)]

    def label(self, row: tuple[Value, ...]) -> str:
        """How a row is named in text and charts: ``2026-W47``, ``mood 3``, ``waiting``."""
        parts = []
        for column in self.labels:
            value = self.value(row, column)
            if isinstance(value, int | float):
                parts.append(f"{column.replace('_', ' ')} {value}")
            elif value != "":
                parts.append(str(value))
        return ", ".join(parts)


def _is_small(value: object, min_group_size: int) -> bool:
    return isinstance(value, int | float) and 0 < value < min_group_size


def protect(
    capability: str, name: str, rows: Iterable[Mapping[str, object]], min_group_size: int
) -> StatTable:
    """Drop personal columns, hide counts below ``min_group_size`` and their averages.

    A count of zero is shown: it tells nothing about anyone.
    """
    raw = [dict(r) for r in rows]
    columns: list[str] = []
    for row in raw:
        for column in row:
            if column not in columns and column.casefold() not in PERSONAL_COLUMNS:
                columns.append(column)
    counts = tuple(c for c in columns if is_count(c, (r.get(c) for r in raw)))
    measures = tuple(
        c for c in columns if c not in counts and is_measure(c, (r.get(c) for r in raw))
    )
    hidden = f"<{min_group_size}"
    safe_rows = []
    for row in raw:
        small = any(_is_small(row.get(c), min_group_size) for c in counts)
        cells: list[Value] = []
        for column in columns:
            value = row.get(column)
            if column in counts and _is_small(value, min_group_size):
                cells.append(hidden)
            elif column in measures and small:
                cells.append("")
            else:
                cells.append(_plain(value))
        safe_rows.append(tuple(cells))
    return StatTable(capability, name, tuple(columns), tuple(safe_rows), counts, measures)


def capability_order(names: Iterable[str]) -> list[str]:
    """The usual capabilities first, in the order people think of them; others after."""
    known = [c for c in CAPABILITY_ORDER if c in names]
    return known + sorted(set(names) - set(known))


async def collect(
    session: AsyncSession,
    providers: Mapping[str, Provider],
    since: datetime,
    until: datetime,
    min_group_size: int,
) -> list[StatTable]:
    """Ask every registered provider for its tables and make them safe to show."""
    tables: list[StatTable] = []
    for capability in capability_order(providers):
        result = await providers[capability](session, since, until)
        if not isinstance(result, Mapping):
            log.warning("stats.bad_provider capability=%s", capability)
            continue
        for name, rows in result.items():
            if not isinstance(rows, list | tuple) or not all(isinstance(r, Mapping) for r in rows):
                log.warning("stats.bad_table capability=%s table=%s", capability, name)
                continue
            tables.append(protect(capability, str(name), rows, min_group_size))
    return tables


def period(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The last ``days`` days up to ``now``."""
    return now - timedelta(days=days), now


def humanise(name: str) -> str:
    """``checkin_moods`` → ``Checkin moods`` (used when no translated title exists)."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------- text


Titles = Callable[[str], str]


def table_line(table: StatTable, title: str, more: Callable[[int], str]) -> str:
    """One line per table: ``Moods: mood 1 <5 · mood 2 7 · mood 3 12``."""
    parts = []
    for row in table.rows[:MAX_TEXT_ROWS]:
        label = table.label(row)
        named = len(table.counts) > 1 or table.counts != ("count",)
        figures = [
            f"{c.replace('_', ' ')} {table.value(row, c)}" if named else str(table.value(row, c))
            for c in table.counts
        ]
        figures += [
            f"{c.replace('_', ' ')} {table.value(row, c)}"
            for c in table.measures
            if table.value(row, c) != ""
        ]
        text = ", ".join(figures)
        parts.append(f"{label}: {text}" if label else text)
    if len(table.rows) > MAX_TEXT_ROWS:
        parts.append(more(len(table.rows) - MAX_TEXT_ROWS))
    return f"• {title}: " + " · ".join(parts)


def summary_text(
    tables: list[StatTable],
    *,
    header: str,
    capability_title: Titles,
    table_title: Titles,
    no_rows: str,
    more: Callable[[int], str],
) -> str:
    """The text summary: a header, then a section per capability."""
    lines = [header]
    current = None
    for table in tables:
        if table.capability != current:
            current = table.capability
            lines.append("")
            lines.append(f"*{capability_title(current)}*")
        if table.rows:
            lines.append(table_line(table, table_title(table.name), more))
        else:
            lines.append(f"• {table_title(table.name)}: {no_rows}")
    return "\n".join(lines)


# ---------------------------------------------------------------- chart


def chartable(tables: Iterable[StatTable]) -> list[StatTable]:
    """Tables that can be drawn: those with rows and a count."""
    return [t for t in tables if t.rows and t.chart_count is not None][:MAX_CHART_PANELS]


def render_chart(
    tables: list[StatTable],
    *,
    title: str,
    panel_title: Callable[[StatTable], str],
    empty_text: str,
) -> bytes:
    """A PNG with one bar panel per table; hidden counts are drawn as empty bars marked "<n"."""
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
        axes.text(0.5, 0.5, empty_text, ha="center", va="center", fontsize=12, wrap=True)
    for index, table in enumerate(panels, start=1):
        axes = figure.add_subplot(rows, columns, index)
        count = table.chart_count
        assert count is not None
        if not table.labels and len(table.rows) == 1:
            # A one-row summary (seats filled, seats offered…): one bar per figure.
            labels = [c.replace("_", " ") for c in table.counts]
            values = [table.value(table.rows[0], c) for c in table.counts]
        else:
            labels = [table.label(row) or str(n) for n, row in enumerate(table.rows, 1)]
            values = [table.value(row, count) for row in table.rows]
        heights = [float(v) if isinstance(v, int | float) else 0.0 for v in values]
        positions = list(range(len(values)))
        axes.bar(positions, heights, color="#4c72b0")
        top = max(heights, default=0.0) or 1.0
        for position, value in zip(positions, values, strict=True):
            if isinstance(value, str) and value.startswith("<"):
                axes.text(position, top * 0.02, value, ha="center", va="bottom", fontsize=8)
        step = max(1, math.ceil(len(labels) / 12))
        axes.set_xticks(positions[::step], [label[:18] for label in labels[::step]])
        axes.tick_params(axis="x", labelrotation=45 if len(labels) > 4 else 0, labelsize=8)
        axes.set_ylim(0, top * 1.12)
        axes.set_title(panel_title(table), fontsize=10)
        axes.grid(axis="y", alpha=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
