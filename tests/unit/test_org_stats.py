"""Pure rules of organisers' statistics: small counts hidden, no names, CSV, chart, report."""

import csv
import io
import zipfile
from datetime import UTC, date, datetime

import pytest

from bot.core.i18n import Translator, load_catalogs
from bot.core.tables import (
    Hidden,
    Mean,
    StatTable,
    Term,
    Week,
    by_name,
    count,
    duration,
    mean,
    share,
    text,
)
from bot.organising.export import build_zip, file_name
from bot.organising.linking import hash_code, looks_like_code, new_code, normalise_code
from bot.organising.stats import capability_order, protect, typed
from bot.organising.tables import TableWriter
from bot.organising.views import StatsView

SINCE = datetime(2026, 10, 24, 9, 0, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"
TRANSLATOR = Translator(load_catalogs(), "da")


def legacy(capability: str, name: str, rows: list[dict[str, object]], size: int) -> StatTable:
    return protect(typed(capability, name, rows), size)


def writer(lang: str = "en") -> TableWriter:
    return TableWriter(TRANSLATOR, lang, 5)


def test_counts_below_the_group_size_are_hidden_and_their_averages_too() -> None:
    table = legacy(
        "meals",
        "meal_feedback",
        [
            {"week": "2026-W46", "count": 3, "avg_rating": 4.5},
            {"week": "2026-W47", "count": 12, "avg_rating": 3.25},
            {"week": "2026-W48", "count": 0, "avg_rating": None},
        ],
        5,
    )
    assert [c.key for c in table.columns] == ["week", "count", "avg_rating"]
    assert table.rows == (
        ("2026-W46", Hidden(5), Hidden(5)),
        ("2026-W47", 12, Mean(3.25, None)),
        ("2026-W48", 0, Mean(None, None)),
    )
    assert [c.key for c in table.counts] == ["count"]


def test_a_mean_of_too_few_answers_is_hidden_and_no_answers_is_not_zero() -> None:
    table = protect(
        StatTable("meals", "avg", (mean("average_rating"),), ((Mean(4.0, 2),), (Mean(None, 0),))),
        5,
    )
    assert table.rows == ((Hidden(5),), (Mean(None, 0),))
    for lang, none in (("en", "no answers yet"), ("da", "ingen svar endnu"), ("nb", "ingen svar")):
        line = writer(lang).line(table)
        assert none in line
        assert ": 0" not in line
    shown = protect(StatTable("m", "avg", (mean("average_rating"),), ((Mean(4.25, 9),),)), 5)
    assert writer("da").line(shown).endswith(": 4,25 (9 svar)")
    assert writer("en").html(shown).count("4.25 (9 answers)") == 1


def test_group_size_comes_from_config_value() -> None:
    table = legacy("checkins", "moods", [{"mood": 1, "count": 7}], 10)
    assert table.rows == ((Term("stats.term.mood", 1), Hidden(10)),)


def test_columns_that_could_name_someone_are_dropped() -> None:
    table = legacy(
        "buddies",
        "pairs",
        [{"status": "active", "name": "Anna", "note": "sad", "person_id": 4, "count": 9}],
        5,
    )
    assert [c.key for c in table.columns] == ["status", "count"]
    assert table.rows == (("active", 9),)


def test_values_are_made_plain() -> None:
    table = legacy(
        "x", "t", [{"day": date(2026, 1, 2), "flag": True, "median_wait_days": 2.3456}], 5
    )
    assert by_name([table]) == {
        "t": [{"day": "2026-01-02", "flag": "yes", "median_wait_days": 2.35}]
    }


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="2 cells"):
        StatTable("x", "t", (text("a"),), (("a", 1),))


def test_known_capabilities_come_first() -> None:
    assert capability_order(["zeta", "meals", "checkins", "alpha"]) == [
        "checkins",
        "meals",
        "alpha",
        "zeta",
    ]


def test_summary_lists_sections_and_caps_long_tables() -> None:
    moods = legacy(
        "checkins", "mood_distribution", [{"mood": m, "count": m * 2} for m in (1, 3)], 5
    )
    weeks = legacy(
        "checkins", "checkin_weeks", [{"week": f"W{n}", "count": 10} for n in range(20)], 5
    )
    empty = legacy("meals", "meals_held", [], 5)
    text_ = writer("en").summary([moods, weeks, empty], "Header")
    assert text_.splitlines()[0] == "Header"
    assert "*Check-ins*" in text_
    assert "• Moods given (1–5): mood 1: <5 · mood 3: 6" in text_
    assert "… and 8 more (see the export)" in text_
    assert "• Meals held: nothing in this period" in text_


def test_numbers_days_and_shares_are_written_the_readers_way() -> None:
    table = StatTable(
        "buddies",
        "buddy_waiting_days",
        (text("measure"), duration("median_days"), count("count")),
        ((Term("stats.term.matched"), 1.5, 6), (Term("stats.term.still_waiting"), 1.0, 7)),
    )
    da = writer("da").line(table)
    assert "fik en makker i perioden: ventetid (median) 1,5 dage, antal 6" in da
    assert "venter stadig: ventetid (median) 1 dag, antal 7" in da
    assert "1.5 days" in writer("en").line(table)
    rows = list(csv.reader(io.StringIO(writer("da").csv(table).decode())))
    assert rows == [
        ["Gruppe", "Ventetid (median)", "Antal"],
        ["fik en makker i perioden", "1.5", "6"],
        ["venter stadig", "1", "7"],
    ]


def test_chart_is_a_png_with_and_without_data() -> None:
    table = legacy(
        "checkins", "mood_distribution", [{"mood": m, "count": m} for m in range(1, 6)], 3
    )
    png = writer("da").chart([table], title="T")
    assert png.startswith(PNG)
    assert writer("da").chart([], title="T").startswith(PNG)


def test_chart_labels_are_in_the_readers_language() -> None:
    seats = StatTable(
        "meals",
        "meal_seats",
        (count("seats_filled"), count("seats_offered"), count("meals_held")),
        ((12, 20, 3),),
    )
    labels, values = writer("da").bars(protect(seats, 5))
    assert labels == ["Optagne pladser", "Tilbudte pladser", "Afholdte måltider"]
    assert values == [12, 20, Hidden(5)]
    moods = legacy("checkins", "mood_distribution", [{"mood": 2, "count": 8}], 5)
    assert writer("nb").bars(moods)[0] == ["humør 2"]


def test_csv_export_has_a_header_in_the_readers_language_and_hidden_counts() -> None:
    table = legacy("meals", "Meals held!", [{"week": "W1", "count": 2}], 5)
    assert file_name(writer("da"), table) == "fællesspisning-meals_held.csv"
    assert file_name(writer("en"), table) == "shared_meals-meals_held.csv"
    rows = list(csv.reader(io.StringIO(writer("da").csv(table).decode())))
    assert rows == [["Uge", "Antal"], ["W1", "<5"]]
    rows = list(csv.reader(io.StringIO(writer("nb").csv(table).decode())))
    assert rows == [["Uke", "Antall"], ["W1", "<5"]]


def test_empty_export_is_a_valid_zip_with_a_summary_and_a_dictionary() -> None:
    empty = legacy("meals", "meals_held", [], 5)
    archive = zipfile.ZipFile(io.BytesIO(build_zip(writer("en"), [empty], SINCE, UNTIL)))
    assert sorted(archive.namelist()) == [
        "dictionary.csv",
        "shared_meals-meals_held.csv",
        "summary.csv",
    ]
    assert archive.read("shared_meals-meals_held.csv") == b""
    summary = list(csv.DictReader(io.StringIO(archive.read("summary.csv").decode())))
    assert summary[0]["Rows"] == "0"
    assert summary[0]["Smallest number shown"] == "5"
    assert build_zip(writer(), [empty], SINCE, UNTIL) == build_zip(writer(), [empty], SINCE, UNTIL)


def test_the_dictionary_explains_every_column_in_the_readers_language() -> None:
    table = StatTable(
        "checkins", "checkins_per_week", (text("week"), count("checkins"), count("people"))
    )
    archive = zipfile.ZipFile(io.BytesIO(build_zip(writer("da"), [table], SINCE, UNTIL)))
    assert sorted(archive.namelist()) == [
        "forklaring.csv",
        "oversigt.csv",
        "tjek_ind-tjek_ind_pr_uge.csv",
    ]
    rows = list(csv.reader(io.StringIO(archive.read("forklaring.csv").decode())))
    assert rows[0] == ["Fil", "Tabel", "Kolonne", "Betydning"]
    assert [row[2] for row in rows[1:]] == ["Uge", "Tjek ind", "Personer"]
    assert all(row[0] == "tjek_ind-tjek_ind_pr_uge.csv" for row in rows[1:])
    assert "forskellige personer" in rows[3][3]
    assert "under 5" in rows[3][3]


def test_report_is_one_escaped_page_with_embedded_charts() -> None:
    view = StatsView(TRANSLATOR, "da", "Europe/Copenhagen", "Vi <3", 5)
    table = legacy("checkins", "mood_distribution", [{"mood": 2, "count": 8}], 5)
    html = view.report([table], SINCE, UNTIL, UNTIL)
    assert html.startswith("<!DOCTYPE html>")
    assert "Vi &lt;3: aktivitetsrapport" in html
    assert "data:image/png;base64," in html
    assert "<h2>Tjek ind</h2>" in html
    assert "<th>Humør</th><th>Antal</th>" in html
    assert "<td>humør 2</td>" in html
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
    table = legacy(
        "checkins",
        "checkins_per_week",
        [{"week": "2026-W47", "checkins": 3, "people": 1}, {"rating": 4, "came": 12}],
        5,
    )
    assert [c.key for c in table.counts] == ["checkins", "people", "came"]
    assert by_name([table])["checkins_per_week"] == [
        {"week": "2026-W47", "checkins": "<5", "people": "<5", "rating": None, "came": None},
        {"week": None, "checkins": None, "people": None, "rating": 4, "came": 12},
    ]
    line = writer("en").line(table)
    assert "2026-W47: check-ins <5, people <5, came —" in line
    assert "rating 4: check-ins —, people —, came 12" in line


def test_a_share_is_a_percentage_in_text_and_a_fraction_in_csv() -> None:
    table = StatTable("x", "t", (text("status"), share("came")), (("a", 0.42),))
    assert writer("da").line(table).replace("\xa0", " ") == "• T: a: 42 %"
    rows = list(csv.reader(io.StringIO(writer("da").csv(table).decode())))
    assert rows[1] == ["a", "0.42"]


def test_weeks_read_naturally_and_stay_iso_in_csv() -> None:
    table = StatTable(
        "checkins",
        "checkins_per_week",
        (text("week"), count("checkins"), count("people")),
        ((Week.parse("2026-W47"), 12, 9),),
    )
    assert "uge 47, 2026: tjek ind 12, personer 9" in writer("da").line(table)
    assert "uke 47, 2026: innsjekker 12, personer 9" in writer("nb").line(table)
    rows = list(csv.reader(io.StringIO(writer("da").csv(table).decode())))
    assert rows[1] == ["2026-W47", "12", "9"]
    assert by_name([table])["checkins_per_week"][0]["week"] == "2026-W47"


def test_a_table_of_words_only_lists_them() -> None:
    table = StatTable("x", "t", (text("status"),), ((Term("stats.term.held"),), ("x",)))
    assert writer("da").line(table) == "• T: holdt · x"
