"""The impact report as a CSV pack with a data dictionary, in the reader's language."""

from __future__ import annotations

import csv
import io
import zipfile

from bot.impact.report import Words
from bot.impact.stats import PROGRAMMES, Figures

DICTIONARY: dict[str, tuple[str, ...]] = {
    "outcomes.csv": (
        "programme",
        "follow_up_month",
        "due",
        "answered",
        "response_rate",
        "paired",
        "first_mean",
        "follow_up_mean",
        "change_mean",
        "change_ci_low",
        "change_ci_high",
        "improved",
        "same",
        "worse",
        "lonely_change_mean",
        "lonely_change_ci_low",
        "lonely_change_ci_high",
        "suppressed",
    ),
    "reach.csv": ("programme", "month", "new_participants"),
    "buddies.csv": ("measure", "value"),
    "meals.csv": ("measure", "value"),
    "volunteers.csv": ("measure", "value"),
    "consent.csv": ("measure", "value"),
}


def _plain(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else f"{value:.{digits}f}"


def csv_name(name: str, w: Words) -> str:
    """A file of the pack as the reader calls it (``outcomes.csv`` is ``effekt.csv``)."""
    return w.t(f"csv.file_{name.removesuffix('.csv')}")


def _measure(key: str, w: Words) -> str:
    """A measure's name in the reader's language (``ended_blocked``: the reason named)."""
    if key.startswith("ended_"):
        return w.t("row_end_reason", reason=w.t(f"reason_{key.removeprefix('ended_')}"))
    return w.t(f"csv.measure_{key}")


def csv_files(figures: Figures, w: Words) -> dict[str, str]:
    """The CSV files and the data dictionary. File names, headers, measures and words
    (programmes, yes and no, total) are in the reader's language; numbers stay plain
    (a point for decimals, empty where suppressed)."""
    yes, no = w.t("csv.yes"), w.t("csv.no")
    files: dict[str, list[list[str]]] = {}
    files["outcomes.csv"] = []
    for o in figures.outcomes:
        files["outcomes.csv"].append(
            [
                w.programme(o.programme),
                str(o.month),
                str(o.due),
                str(o.answered),
                _plain(o.response_rate),
                str(o.paired) if not o.suppressed else "",
                _plain(o.baseline.mean),
                _plain(o.follow_up.mean),
                _plain(o.change.mean),
                _plain(o.change.low),
                _plain(o.change.high),
                _plain(o.improved),
                _plain(o.same),
                _plain(o.worse),
                _plain(o.lonely_change.mean),
                _plain(o.lonely_change.low),
                _plain(o.lonely_change.high),
                yes if o.suppressed else no,
            ]
        )
    files["reach.csv"] = []
    total = w.t("col_total")
    for programme, cells in figures.reach.rows.items():
        for month, value in zip([*figures.reach.months, total], cells, strict=True):
            files["reach.csv"].append([w.programme(programme), month, _plain(value)])
    b, m, v, c = figures.buddies, figures.meals, figures.volunteers, figures.consent
    measures: dict[str, list[tuple[str, str]]] = {
        "buddies.csv": [
            ("pairs_matched", _plain(b.matched)),
            ("median_days_to_match", _plain(b.median_days_to_match)),
            ("pairs_ended", _plain(b.ended)),
            ("median_days_together", _plain(b.median_days_together)),
            ("pairs_active_at_end", _plain(b.active_at_end)),
            *((f"ended_{reason}", _plain(count)) for reason, count in b.end_reasons.items()),
        ],
        "meals.csv": [
            ("meals_held", _plain(m.held)),
            ("seats_taken", _plain(m.seats_taken)),
            ("came", _plain(m.came)),
            ("no_shows", _plain(m.no_shows)),
            ("people_who_came", _plain(m.people)),
            ("came_twice_or_more", _plain(m.came_again)),
            ("feedback_mean", _plain(m.feedback.mean)),
        ],
        "volunteers.csv": [
            ("active_volunteers", _plain(v.active)),
            ("median_load", _plain(v.median_load)),
            ("pulses_answered", _plain(v.pulses)),
            ("hours_given", _plain(v.hours)),
            ("how_it_went_mean", _plain(v.how.mean)),
            ("asked_for_support", _plain(v.support)),
        ],
        "consent.csv": [
            ("invited", _plain(c.invited)),
            ("said_yes", _plain(c.yes)),
            ("said_no", _plain(c.no)),
            ("no_answer", _plain(c.no_answer)),
        ],
    }
    for name, pairs in measures.items():
        files[name] = [[_measure(key, w), value] for key, value in pairs]
    # Words the meanings name, as the files write them.
    named = {
        "min": figures.min_size,
        "yes": yes,
        "total": total,
        **{programme: w.programme(programme) for programme in PROGRAMMES},
    }
    dictionary = [[w.t(f"csv.col_{key}") for key in ("file", "column", "meaning")]]
    for name, columns in DICTIONARY.items():
        files[name].insert(0, [w.t(f"csv.col_{column}") for column in columns])
        for column in columns:
            key = (
                f"dict_{column}"
                if column in ("measure", "value")
                else (f"dict_{name[:-4]}_{column}")
            )
            dictionary.append([csv_name(name, w), w.t(f"csv.col_{column}"), w.t(key, **named)])
    for name, pairs in measures.items():
        for key, _value in pairs:
            meaning = (
                w.t("dict_measure_ended_reason", reason=w.t(f"reason_{key[6:]}"))
                if key.startswith("ended_")
                else w.t(f"dict_measure_{key}")
            )
            dictionary.append([csv_name(name, w), _measure(key, w), meaning])
    out = {}
    for name, rows in [*files.items(), ("data_dictionary.csv", dictionary)]:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        out[csv_name(name, w)] = buffer.getvalue()
    return out


def csv_zip(figures: Figures, w: Words) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in csv_files(figures, w).items():
            archive.writestr(name, text)
        readme = w.t(
            "csv_readme", min=figures.min_size, dictionary=csv_name("data_dictionary.csv", w)
        )
        archive.writestr(w.t("csv.file_readme"), readme + "\n")
    return buffer.getvalue()
