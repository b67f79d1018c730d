"""Statistics as typed tables: what a feature's ``stats.py`` gives organisers.

A table is a title, typed columns and rows of cells. Nothing here is text for a
reader: titles, column names and words inside cells are catalog keys, drawn in
the reader's language by one renderer (``bot.organising.tables``) to chat text,
CSV, HTML and a chart. Counts and means carry what is needed to protect people:
a count below the community's ``min_group_size`` is hidden, and so is a mean of
fewer answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a column holds, which decides how it is written and protected."""

    TEXT = "text"  # what a row is about: a week, a status, a mood (str or Term)
    COUNT = "count"  # how many people or events: int, hidden when small
    SHARE = "share"  # a fraction from 0 to 1, shown as a percentage
    MEAN = "mean"  # an average with how many answers it rests on (Mean)
    DURATION = "duration"  # a number of days (float), e.g. a median wait


@dataclass(frozen=True)
class Term:
    """A word inside a cell, translated from the catalogs (``stats.term.waiting``)."""

    key: str
    number: int | None = None  # filled in as ``{n}`` ("mood 3" → "humør 3")

    @property
    def plain(self) -> str:
        """The stable machine name of the term (for sorting and tests)."""
        name = self.key.rsplit(".", 1)[-1]
        return name if self.number is None else f"{name} {self.number}"


@dataclass(frozen=True)
class Week:
    """An ISO week: written ``uge 47, 2026`` for people and ``2026-W47`` in CSV."""

    year: int
    week: int

    @classmethod
    def parse(cls, label: str) -> Week:
        """``2026-W47`` → Week(2026, 47)."""
        year, _, week = label.partition("-W")
        return cls(int(year), int(week))

    @property
    def iso(self) -> str:
        return f"{self.year}-W{self.week:02d}"


@dataclass(frozen=True)
class Mean:
    """An average of ``n`` answers; ``value`` is None when there are none.

    ``n`` is None only for a provider that did not say how many answers there were.
    """

    value: float | None
    n: int | None


@dataclass(frozen=True)
class Hidden:
    """A figure withheld because it rests on fewer than ``below`` people or answers."""

    below: int


Cell = str | int | float | Term | Week | Mean | Hidden | None


@dataclass(frozen=True)
class Column:
    """A column: a stable key (``checkins``) and its kind.

    Its name and its explanation in the export's data dictionary are the catalog
    entries ``stats.column.<key>`` and ``stats.about.<key>``.
    """

    key: str
    kind: Kind

    @property
    def is_figure(self) -> bool:
        return self.kind is not Kind.TEXT


def count(key: str) -> Column:
    return Column(key, Kind.COUNT)


def text(key: str) -> Column:
    return Column(key, Kind.TEXT)


def mean(key: str) -> Column:
    return Column(key, Kind.MEAN)


def duration(key: str) -> Column:
    return Column(key, Kind.DURATION)


def share(key: str) -> Column:
    return Column(key, Kind.SHARE)


@dataclass(frozen=True)
class StatTable:
    """One table of one capability; ``name`` gives its title (``stats.<name>``)."""

    capability: str
    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...] = ()

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in self.rows:
            if len(row) != width:
                raise ValueError(f"table {self.name}: a row has {len(row)} cells, not {width}")

    @property
    def labels(self) -> tuple[Column, ...]:
        """The columns that say what a row is about."""
        return tuple(c for c in self.columns if c.kind is Kind.TEXT)

    @property
    def figures(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.is_figure)

    @property
    def counts(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind is Kind.COUNT)

    def index(self, key: str) -> int:
        for position, column in enumerate(self.columns):
            if column.key == key:
                return position
        raise KeyError(key)

    def cell(self, row: tuple[Cell, ...], key: str) -> Cell:
        return row[self.index(key)]

    def records(self) -> list[dict[str, object]]:
        """The rows as plain dictionaries keyed by column (for tests and debugging)."""
        return [
            {column.key: plain(cell) for column, cell in zip(self.columns, row, strict=True)}
            for row in self.rows
        ]


def plain(cell: Cell) -> object:
    """A cell's plain value: a term's word or number, a mean's value, ``<5`` when hidden."""
    if isinstance(cell, Term):
        return cell.number if cell.number is not None else cell.key.rsplit(".", 1)[-1]
    if isinstance(cell, Mean):
        return cell.value
    if isinstance(cell, Hidden):
        return f"<{cell.below}"
    if isinstance(cell, Week):
        return cell.iso
    return cell


def by_name(tables: list[StatTable]) -> dict[str, list[dict[str, object]]]:
    """Tables as ``{name: records}`` (for tests and debugging)."""
    return {table.name: table.records() for table in tables}
