"""Statistics as CSV files: one per capability table, in a zip or a folder."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from bot.organising.stats import StatTable

SUMMARY_FILE = "summary.csv"
SUMMARY_COLUMNS = ("capability", "table", "file", "rows", "since", "until", "min_group_size")


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", name.casefold()).strip("_") or "table"


def file_name(table: StatTable) -> str:
    """``checkins-checkin_moods.csv``: the capability, then the table."""
    return f"{_safe(table.capability)}-{_safe(table.name)}.csv"


def table_csv(table: StatTable) -> bytes:
    """The table as CSV with a header row; a table without rows is an empty file."""
    buffer = io.StringIO()
    if table.columns:
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(table.rows)
    return buffer.getvalue().encode("utf-8")


def summary_csv(
    tables: list[StatTable], since: datetime, until: datetime, min_group_size: int
) -> bytes:
    """Which files there are, for which period, and how small counts were hidden."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for table in tables:
        writer.writerow(
            (
                table.capability,
                table.name,
                file_name(table),
                len(table.rows),
                since.isoformat(),
                until.isoformat(),
                min_group_size,
            )
        )
    return buffer.getvalue().encode("utf-8")


def files(
    tables: list[StatTable], since: datetime, until: datetime, min_group_size: int
) -> dict[str, bytes]:
    """Every file of an export by name, the summary first."""
    result = {SUMMARY_FILE: summary_csv(tables, since, until, min_group_size)}
    for table in tables:
        result[file_name(table)] = table_csv(table)
    return result


def build_zip(
    tables: list[StatTable], since: datetime, until: datetime, min_group_size: int
) -> bytes:
    """A zip of the CSV files (file times set to ``until`` so exports are reproducible)."""
    buffer = io.BytesIO()
    stamp = until.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files(tables, since, until, min_group_size).items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def write_folder(
    folder: Path,
    tables: list[StatTable],
    since: datetime,
    until: datetime,
    min_group_size: int,
) -> list[Path]:
    """Write the CSV files into ``folder`` (made if missing); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files(tables, since, until, min_group_size).items():
        path = folder / name
        path.write_bytes(content)
        written.append(path)
    return written
