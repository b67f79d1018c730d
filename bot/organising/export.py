"""Statistics as CSV files: one per capability table, in a zip or a folder.

File names, column headers and words are in the reader's language; numbers keep
the plain machine form. A summary file (``oversigt.csv`` in Danish) says which
files there are and for which period, and a data dictionary (``forklaring.csv``)
explains every column of every file.
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

SUMMARY_COLUMNS = ("capability", "table", "file", "rows", "since", "until", "min_group_size")


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9æøåäöü_]+", "_", name.casefold()).strip("_") or "tabel"


def file_name(writer: TableWriter, table: StatTable) -> str:
    """``tjek_ind-humør_1_5.csv``: the capability, then the table, as the reader calls them."""
    return f"{_safe(writer.capability(table.capability))}-{_safe(writer.title(table))}.csv"


def file_names(writer: TableWriter, tables: list[StatTable]) -> list[str]:
    """Each table's file name, made unique (``…-2.csv``) if two tables share a title."""
    names: list[str] = []
    for table in tables:
        name = file_name(writer, table)
        stem, number = name.removesuffix(".csv"), 2
        while name in names:
            name, number = f"{stem}-{number}.csv", number + 1
        names.append(name)
    return names


def summary_file(writer: TableWriter) -> str:
    return writer.t("stats.file.summary")


def dictionary_file(writer: TableWriter) -> str:
    return writer.t("stats.file.dictionary")


def summary_csv(
    writer: TableWriter, tables: list[StatTable], since: datetime, until: datetime
) -> bytes:
    """Which files there are, for which period, and how small counts were hidden."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow([writer.t(f"stats.summary.{key}") for key in SUMMARY_COLUMNS])
    for table, name in zip(tables, file_names(writer, tables), strict=True):
        out.writerow(
            (
                writer.capability(table.capability),
                writer.title(table),
                name,
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
    named = list(zip(file_names(writer, tables), tables, strict=True))
    result = {
        summary_file(writer): summary_csv(writer, tables, since, until),
        dictionary_file(writer): writer.dictionary(named),
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
