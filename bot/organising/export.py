"""Statistics as CSV files: one per capability table, in a zip or a folder.

Column headers and words are in the reader's language; numbers keep the plain
machine form. ``summary.csv`` says which files there are and for which period,
and ``dictionary.csv`` explains every column of every file. File names are
stable machine names, so scripts that read exports keep working in any language.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from bot.core.tables import StatTable
from bot.organising.tables import TableWriter

SUMMARY_FILE = "summary.csv"
DICTIONARY_FILE = "dictionary.csv"
SUMMARY_COLUMNS = ("capability", "table", "file", "rows", "since", "until", "min_group_size")


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", name.casefold()).strip("_") or "table"


def file_name(table: StatTable) -> str:
    """``checkins-checkin_moods.csv``: the capability, then the table."""
    return f"{_safe(table.capability)}-{_safe(table.name)}.csv"


def summary_csv(
    writer: TableWriter, tables: list[StatTable], since: datetime, until: datetime
) -> bytes:
    """Which files there are, for which period, and how small counts were hidden."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow([writer.t(f"stats.summary.{key}") for key in SUMMARY_COLUMNS])
    for table in tables:
        out.writerow(
            (
                writer.capability(table.capability),
                writer.title(table),
                file_name(table),
                len(table.rows),
                since.isoformat(),
                until.isoformat(),
                writer.min_group_size,
            )
        )
    return buffer.getvalue().encode("utf-8")


def files(
    writer: TableWriter, tables: list[StatTable], since: datetime, until: datetime
) -> dict[str, bytes]:
    """Every file of an export by name: the summary and the dictionary first."""
    named = [(file_name(table), table) for table in tables]
    result = {
        SUMMARY_FILE: summary_csv(writer, tables, since, until),
        DICTIONARY_FILE: writer.dictionary(named),
    }
    for name, table in named:
        result[name] = writer.csv(table)
    return result


def build_zip(
    writer: TableWriter, tables: list[StatTable], since: datetime, until: datetime
) -> bytes:
    """A zip of the CSV files (file times set to ``until`` so exports are reproducible)."""
    buffer = io.BytesIO()
    stamp = until.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files(writer, tables, since, until).items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def write_folder(
    folder: Path,
    writer: TableWriter,
    tables: list[StatTable],
    since: datetime,
    until: datetime,
) -> list[Path]:
    """Write the CSV files into ``folder`` (made if missing); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files(writer, tables, since, until).items():
        path = folder / name
        path.write_bytes(content)
        written.append(path)
    return written
