"""A small PNG chart of someone's own moods, drawn without a display."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - matplotlib's naive date epoch


def mood_chart(
    points: Sequence[tuple[datetime, int]],
    zone: str,
    *,
    window: tuple[datetime, datetime],
    title: str,
    mood_labels: Sequence[str],
) -> bytes:
    """PNG bytes: moods (1–5) over ``window`` in the person's zone.

    Uses a Figure with the Agg canvas directly, so no pyplot state is shared
    between calls or threads.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure

    local_zone = ZoneInfo(zone)

    def days(when: datetime) -> float:
        # Matplotlib's date numbers: days since 1970-01-01, in local wall-clock time.
        local = when.astimezone(local_zone).replace(tzinfo=None)
        return (local - EPOCH).total_seconds() / 86400

    times = [days(when) for when, _ in points]
    moods = [mood for _, mood in points]
    figure = Figure(figsize=(6.4, 2.8), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(times, moods, marker="o", linewidth=1.6, color="#3b7a57")
    axes.set_xlim(days(window[0]), days(window[1]))
    axes.set_ylim(0.5, 5.5)
    axes.set_yticks(range(1, 6), labels=list(mood_labels), fontsize=8)
    axes.xaxis.set_major_locator(AutoDateLocator(maxticks=8))  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(DateFormatter("%d/%m"))  # type: ignore[no-untyped-call]
    axes.tick_params(axis="x", labelsize=8)
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
