"""A one-page HTML report for funders: text, tables and charts in one printable file."""

from __future__ import annotations

import base64
from html import escape

from bot.core.tables import StatTable
from bot.organising.tables import TableWriter, chartable

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 60em;
       color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.5em; }
h3 { font-size: 1em; margin: 1em 0 0.3em; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.3em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; }
section { break-inside: avoid-page; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } }
@page { size: A4; margin: 15mm; }
"""


def render_report(
    tables: list[StatTable],
    *,
    writer: TableWriter,
    title: str,
    period_text: str,
    generated_text: str,
) -> str:
    """The whole report as one HTML document; charts are embedded PNG images."""
    t = writer.t
    lang = writer.lang
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(lang)}"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(period_text)}<br>{escape(generated_text)}</p>',
        f"<p>{escape(t('admin.report_intro'))}</p>",
    ]
    if not tables:
        parts.append(f"<p><em>{escape(t('admin.report_no_data'))}</em></p>")
    capabilities = list(dict.fromkeys(table.capability for table in tables))
    for capability in capabilities:
        own = [table for table in tables if table.capability == capability]
        heading = writer.capability(capability)
        parts.append(f"<section><h2>{escape(heading)}</h2>")
        if chartable(own):
            png = writer.chart(own, title=heading, with_capability=False)
            encoded = base64.b64encode(png).decode("ascii")
            alt = escape(t("admin.report_chart_alt", section=heading))
            parts.append(f'<img src="data:image/png;base64,{encoded}" alt="{alt}">')
        for table in own:
            parts.append(f"<h3>{escape(writer.title(table))}</h3>")
            if table.rows:
                parts.append(writer.html(table))
            else:
                parts.append(f"<p>{escape(t('admin.stats_table_empty'))}</p>")
        parts.append("</section>")
    parts.append(f'<p class="meta">{escape(t("admin.report_footer"))}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
