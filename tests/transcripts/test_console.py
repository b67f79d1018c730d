"""The console adapter's own controls: moving the clock, and roles kept across restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.transcripts.play import play

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Copenhagen


async def test_time_moves_the_clock_and_reminders_arrive(
    tmp_path: Path, sqlite_template: Path
) -> None:
    script = [
        "> :as alice",
        "> !tjekind samtykke ja",
        "> !tjekind påmind dagligt 18:00",
        "> :time",
        "> :time +3h",
        "> :time 2026-11-23 18:05",
        "> :time +2d",
        "> :time 2026-12-24 17:45",
        "> :time i overmorgen",
    ]
    out = await play(
        script, language="da", start=START, folder=tmp_path, database_template=sqlite_template
    )
    assert "konsol: du er alice (deltager)" in out
    assert "konsol: uret viser mandag 23. november kl. 10:00 (Europe/Copenhagen)" in out
    assert "konsol: uret er flyttet til mandag 23. november kl. 13:00" in out
    # The reminder at 18:00 came on the way to 18:05, before the clock line.
    walk = out.split("> :time 2026-11-23 18:05", 1)[1].split("\n> ", 1)[0]
    # The reminder at 18:00 came on the way to 18:05, under the time it came.
    came = "konsol: ⏱ mandag 23. november kl. 18:00\n[to alice] Hej! Hvordan har du det i dag"
    assert came in walk
    # Two more days: two more reminders.
    two_days = out.split("> :time +2d", 1)[1].split("\n> ", 1)[0]
    assert two_days.count("Hvordan har du det i dag") == 2
    assert "konsol: ⏱ onsdag 25. november kl. 18:00" in two_days
    assert "torsdag 24. december kl. 17:45" in out
    assert "skriv fx :time +2d" in out


async def test_a_role_given_with_as_is_remembered_after_a_restart(
    tmp_path: Path, sqlite_template: Path
) -> None:
    first = await play(
        ["> :as vera frivillig", "> :as alice"],
        language="nb",
        start=START,
        folder=tmp_path,
        database_template=sqlite_template,
    )
    assert "konsoll: du er vera (frivillig)" in first
    (tmp_path / "samvaer.db").unlink()
    again = await play(
        ["> :as vera", "> :who"],
        language="nb",
        start=START,
        folder=tmp_path,
        database_template=sqlite_template,
    )
    assert "konsoll: du er vera (frivillig)" in again
    assert "konsoll: du er vera (frivillig) i en privat samtale med boten" in again
