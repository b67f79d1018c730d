"""An organiser in the console binds rooms, sees stats, exports CSV and makes the HTML report."""

import csv
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def _samvaer(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(cwd)},
    )


def test_organiser_console_session_then_export_and_report(tmp_path: Path) -> None:
    seeded = []
    for n in range(6):
        seeded += [f":as p{n}", "!consent checkins on", f"!checkin {n % 5 + 1}"]
    script = [
        *seeded,
        ":as org organiser",
        "!language en",
        ":room lounge",
        "!admin room meals on",
        "!admin rooms",
        ":dm",
        "!admin stats",
        "!admin export",
        ":as p0",
        "!admin stats",
    ]
    result = _samvaer("run", cwd=tmp_path, stdin="\n".join(script) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[#lounge] Done — this room is now used for shared meals." in out
    assert "console:lounge (set with a command" in out
    assert "Statistics for Samvær" in out
    assert "kun for arrangør" in out  # p0 writes in Danish, the community's language

    exports = tmp_path / "exports" / "org"
    [chart] = list(exports.glob("samvaer-stats-*.png"))
    assert chart.read_bytes().startswith(PNG)
    [archive] = list(exports.glob("samvaer-export-*.zip"))
    with zipfile.ZipFile(archive) as opened:
        assert "summary.csv" in opened.namelist()  # the organiser reads English
        assert opened.testzip() is None

    since = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    result = _samvaer("export", "--since", since, "--out", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "CSV-filer til csv" in result.stdout  # the community's language, Danish by default
    with (tmp_path / "csv" / "oversigt.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert all(row["Fra"].startswith(since) for row in rows)
    with (tmp_path / "csv" / "forklaring.csv").open(encoding="utf-8") as handle:
        explained = list(csv.DictReader(handle))
    assert {"Fil", "Tabel", "Kolonne", "Betydning"} == set(explained[0])
    assert all(row["Betydning"] for row in explained)

    result = _samvaer("report", "--since", since, "--out", "report.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "aktivitetsrapport" in html  # the community's language, Danish by default
    for name in ("p0", "p1", "org"):
        assert f">{name}<" not in html

    result = _samvaer("report", "--since", "yesterday", cwd=tmp_path)
    assert result.returncode == 1
    assert "“yesterday” er ikke en dato som 2026-01-31" in result.stderr
