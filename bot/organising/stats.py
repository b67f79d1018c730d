"""Anonymised statistics from every feature that records them, made safe to show.

Features register ``aggregates(session, since, until)`` providers that return typed
tables (:class:`bot.core.tables.StatTable`, one or a list of them). A provider may
also return the older untyped form ``{"table": [{"column": value, …}, …]}``; its
columns are then typed here by their names and values. Either way this module
drops columns that could name someone, hides small counts (below ``[privacy]
min_group_size``) and the averages that rest on them. Drawing the tables is
:mod:`bot.organising.tables`. Everything here except :func:`collect` is pure.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.tables import Cell, Column, Hidden, Kind, Mean, StatTable, Term

log = logging.getLogger("samvaer.organising.stats")

Provider = Callable[[AsyncSession, datetime, datetime], Awaitable[Any]]

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


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return round(number, 2) if math.isfinite(number) else None
    return None


def _label(column: str, value: object) -> Cell:
    """A value that says what a row is about, as a cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Term(f"stats.term.{'yes' if value else 'no'}")
    if isinstance(value, int):
        return Term(f"stats.term.{column}", value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return _number(value)
    return str(value)


def typed(capability: str, name: str, rows: Iterable[Mapping[str, object]]) -> StatTable:
    """A table from the untyped form: columns typed by their names and values, and the
    columns that could name someone left out."""
    raw = [dict(r) for r in rows]
    keys: list[str] = []
    for row in raw:
        for key in row:
            if key not in keys and key.casefold() not in PERSONAL_COLUMNS:
                keys.append(key)
    columns = []
    for key in keys:
        values = [r.get(key) for r in raw]
        if is_count(key, values):
            columns.append(Column(key, Kind.COUNT))
        elif is_measure(key, values):
            columns.append(Column(key, Kind.MEAN))
        else:
            columns.append(Column(key, Kind.TEXT))
    cells = []
    for row in raw:
        line: list[Cell] = []
        for column in columns:
            value = row.get(column.key)
            if column.kind is Kind.COUNT:
                whole = isinstance(value, int) and not isinstance(value, bool)
                line.append(value if whole and isinstance(value, int) else None)
            elif column.kind is Kind.MEAN:
                line.append(Mean(_number(value), None))
            else:
                line.append(_label(column.key, value))
        cells.append(tuple(line))
    return StatTable(capability, name, tuple(columns), tuple(cells))


def _is_small(value: Cell, min_group_size: int) -> bool:
    return isinstance(value, int) and 0 < value < min_group_size


def _too_few(cell: Cell, min_group_size: int, small_row: bool) -> bool:
    """Whether a figure rests on too few people: a mean of too few answers, or any figure
    in a row whose counts are hidden (a mean of no answers at all says nothing)."""
    if isinstance(cell, Mean):
        if cell.value is None:
            return False
        if cell.n is not None and 0 < cell.n < min_group_size:
            return True
    return small_row


def protect(table: StatTable, min_group_size: int) -> StatTable:
    """Hide counts below ``min_group_size``, the figures of such small groups, and means
    of fewer answers. A count of zero is shown: it tells nothing about anyone."""
    hidden = Hidden(min_group_size)
    rows = []
    for row in table.rows:
        small = any(
            _is_small(cell, min_group_size)
            for column, cell in zip(table.columns, row, strict=True)
            if column.kind is Kind.COUNT
        )
        cells: list[Cell] = []
        for column, cell in zip(table.columns, row, strict=True):
            if column.kind is Kind.COUNT:
                cells.append(hidden if _is_small(cell, min_group_size) else cell)
            elif column.kind is Kind.TEXT:
                cells.append(cell)
            elif _too_few(cell, min_group_size, small):
                cells.append(hidden)
            else:
                cells.append(cell)
        rows.append(tuple(cells))
    return StatTable(table.capability, table.name, table.columns, tuple(rows))


def capability_order(names: Iterable[str]) -> list[str]:
    """The usual capabilities first, in the order people think of them; others after."""
    known = [c for c in CAPABILITY_ORDER if c in names]
    return known + sorted(set(names) - set(known))


def _tables(capability: str, result: object) -> list[StatTable]:
    """What a provider gave, as typed tables (the untyped form is typed here)."""
    if isinstance(result, StatTable):
        return [result]
    if isinstance(result, list | tuple) and all(isinstance(t, StatTable) for t in result):
        return list(result)
    if not isinstance(result, Mapping):
        log.warning("stats.bad_provider capability=%s", capability)
        return []
    tables = []
    for name, rows in result.items():
        if not isinstance(rows, list | tuple) or not all(isinstance(r, Mapping) for r in rows):
            log.warning("stats.bad_table capability=%s table=%s", capability, name)
            continue
        tables.append(typed(capability, str(name), rows))
    return tables


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
        tables += [protect(t, min_group_size) for t in _tables(capability, result)]
    return tables


def period(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The last ``days`` days up to ``now``."""
    return now - timedelta(days=days), now
