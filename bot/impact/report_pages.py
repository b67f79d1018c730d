"""The impact report drawn as pages: the chart, the HTML page and the PDF (the same
figures, words and tables as :mod:`bot.impact.report`)."""

from __future__ import annotations

import base64
import io
from datetime import datetime
from html import escape
from pathlib import Path

from bot.impact.report import Table, Words, methods, summary, tables
from bot.impact.stats import PROGRAMMES, Figures


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
