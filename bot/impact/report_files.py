"""The impact report's files: the HTML, the PDF and the CSV pack, drawn from one set of
figures."""

from __future__ import annotations

from datetime import datetime

from bot.impact.report import Words
from bot.impact.report_csv import csv_zip
from bot.impact.report_pages import chart, html, pdf
from bot.impact.stats import Figures


def files(figures: Figures, w: Words, generated: datetime) -> dict[str, bytes]:
    """The HTML, the PDF and the CSV pack; drawing takes a second or two (use a thread)."""
    png = chart(figures, w)
    return {
        "html": html(figures, w, png, generated).encode("utf-8"),
        "pdf": pdf(figures, w, png, generated),
        "zip": csv_zip(figures, w),
    }
