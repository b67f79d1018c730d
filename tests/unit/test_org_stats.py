"""Pure rules of organisers' statistics: small counts hidden, no names, CSV, chart, report."""

import csv
import io
import zipfile
from datetime import UTC, date, datetime

from bot.core.i18n import Translator, load_catalogs
from bot.organising.export import build_zip, file_name, table_csv
from bot.organising.linking import hash_code, looks_like_code, new_code, normalise_code
from bot.organising.stats import capability_order, protect, render_chart, summary_text
from bot.organising.views import StatsView

SINCE = datetime(2026, 10, 24, 9, 0, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


def test_counts_below_the_group_size_are_hidden_and_their_averages_too() -> None:
    table = protect(
        "meals",
        "meal_feedback",
        [
            {"week": "2026-W46", "count": 3, "avg_rating": 4.5},
            {"week": "2026-W47", "count": 12, "avg_rating": 3.25},
            {"week": "2026-W48", "count": 0, "avg_rating": None},
        ],
        5,
    )
    assert table.columns == ("week", "count", "avg_rating")
    assert table.rows == (("2026-W46", "<5", ""), ("2026-W47", 12, 3.25), ("2026-W48", 0, ""))
    assert table.counts == ("count",)
    assert table.measures == ("avg_rating",)


def test_group_size_comes_from_config_value() -> None:
    table = protect("checkins", "moods", [{"mood": 1, "count": 7}], 10)
    assert table.rows == ((1, "<10"),)


def test_columns_that_could_name_someone_are_dropped() -> None:
    table = protect(
        "buddies",
        "pairs",
        [{"status": "active", "name": "Anna", "note": "sad", "person_id": 4, "count": 9}],
        5,
    )
    assert table.columns == ("status", "count")
    assert table.rows == (("active", 9),)


def test_values_are_made_plain() -> None:
    table = protect(
        "x", "t", [{"day": date(2026, 1, 2), "flag": True, "median_wait_days": 2.3456}], 5
    )
    assert table.rows == (("2026-01-02", "true", 2.35),)


def test_known_capabilities_come_first() -> None:
    assert capability_order(["zeta", "meals", "checkins", "alpha"]) == [
        "checkins",
        "meals",
        "alpha",
        "zeta",
    ]


def test_summary_lists_sections_and_caps_long_tables() -> None:
    moods = protect("checkins", "checkin_moods", [{"mood": m, "count": m * 2} for m in (1, 3)], 5)
    weeks = protect(
        "checkins", "checkin_weeks", [{"week": f"W{n}", "count": 10} for n in range(20)], 5
    )
    empty = protect("meals", "meals_held", [], 5)
    text = summary_text(
        [moods, weeks, empty],
        header="Header",
        capability_title=str.upper,
        table_title=lambda name: name,
        no_rows="nothing",
        more=lambda n: f"+{n}",
    )
    assert text.splitlines()[0] == "Header"
    assert "*CHECKINS*" in text
    assert "• checkin_moods: mood 1: <5 · mood 3: 6" in text
    assert "+8" in text
    assert "• meals_held: nothing" in text


def test_chart_is_a_png_with_and_without_data() -> None:
    table = protect("checkins", "checkin_moods", [{"mood": m, "count": m} for m in range(1, 6)], 3)
    png = render_chart([table], title="T", panel_title=lambda t: t.name, empty_text="none")
    assert png.startswith(PNG)
    assert render_chart([], title="T", panel_title=lambda t: t.name, empty_text="none").startswith(
        PNG
    )


def test_csv_export_has_a_header_and_hidden_counts() -> None:
    table = protect("meals", "Meals held!", [{"week": "W1", "count": 2}], 5)
    assert file_name(table) == "meals-meals_held.csv"
    rows = list(csv.reader(io.StringIO(table_csv(table).decode())))
    assert rows == [["week", "count"], ["W1", "<5"]]


def test_empty_export_is_a_valid_zip_with_a_summary() -> None:
    empty = protect("meals", "meals_held", [], 5)
    archive = zipfile.ZipFile(io.BytesIO(build_zip([empty], SINCE, UNTIL, 5)))
    assert sorted(archive.namelist()) == ["meals-meals_held.csv", "summary.csv"]
    assert archive.read("meals-meals_held.csv") == b""
    summary = list(csv.DictReader(io.StringIO(archive.read("summary.csv").decode())))
    assert summary[0]["rows"] == "0"
    assert summary[0]["min_group_size"] == "5"
    assert build_zip([empty], SINCE, UNTIL, 5) == build_zip([empty], SINCE, UNTIL, 5)


def test_report_is_one_escaped_page_with_embedded_charts() -> None:
    view = StatsView(Translator(load_catalogs(), "en"), "da", "Europe/Copenhagen", "Vi <3", 5)
    table = protect("checkins", "checkin_moods", [{"mood": 2, "count": 8}], 5)
    html = view.report([table], SINCE, UNTIL, UNTIL)
    assert html.startswith("<!DOCTYPE html>")
    assert "Vi &lt;3: aktivitetsrapport" in html
    assert "data:image/png;base64," in html
    assert "<h2>Tjek ind</h2>" in html
    assert "@media print" in html
    empty = view.report([], SINCE, UNTIL, UNTIL)
    assert "ingen aktivitet" in empty
    assert "<img" not in empty


def test_link_codes_are_readable_and_only_hashed() -> None:
    code = new_code()
    assert len(code) == 9
    assert code[4] == "-"
    assert looks_like_code(code.lower().replace("-", " "))
    assert not looks_like_code("ABCD-EFG")
    assert not looks_like_code("ABCD-EF0O")  # 0 and O are never used
    assert normalise_code(" ab cd-ef gh ") == "ABCDEFGH"
    assert hash_code("abcd-efgh") == hash_code("ABCDEFGH")
    assert "ABCDEFGH" not in hash_code("ABCDEFGH")


def test_counts_under_any_name_are_hidden_but_dimensions_are_not() -> None:
    table = protect(
        "checkins",
        "checkins_per_week",
        [{"week": "2026-W47", "checkins": 3, "people": 1}, {"rating": 4, "came": 12}],
        5,
    )
    assert table.counts == ("checkins", "people", "came")
    assert table.rows == (("2026-W47", "<5", "<5", "", ""), ("", "", "", 4, 12))
    assert table.chart_count == "checkins"
    line = summary_text(
        [table],
        header="",
        capability_title=str,
        table_title=str,
        no_rows="",
        more=str,
    )
    assert "2026-W47: checkins <5, people <5" in line
