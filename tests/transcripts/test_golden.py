"""Golden transcripts: a participant, a volunteer and an organiser through every capability,
in Danish, Norwegian and English, typed into the console adapter.

Each ``tests/transcripts/<lang>-<name>.txt`` holds what is typed (``> `` lines) and what
the console printed. The test plays the typed lines again, with the clock starting at
the same moment, and fails on any difference, so a changed wording shows as a diff.
After a deliberate change, rewrite them and review the diff:

    SAMVAER_UPDATE_TRANSCRIPTS=1 .venv/bin/pytest -q tests/transcripts   (or: make transcripts)
"""

from __future__ import annotations

import asyncio
import difflib
import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.transcripts.play import play, script_of

HERE = Path(__file__).resolve().parent
TRANSCRIPTS = sorted(HERE.glob("*.txt"))
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 23 November 2026, 10:00 in Copenhagen
UPDATE = os.environ.get("SAMVAER_UPDATE_TRANSCRIPTS") == "1"
# Where each language's community is (a Norwegian one keeps Oslo time and Norwegian lines).
COMMUNITY: dict[str, dict[str, object]] = {"nb": {"timezone": "Europe/Oslo", "country": "no"}}


class SeededSecrets:
    """Meal codes and video room names, the same on every run."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def choice(self, items: str) -> str:
        return self._random.choice(items)

    def token_urlsafe(self, length: int = 16) -> str:
        return "".join(
            self._random.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(length)
        )


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
async def test_transcript(
    path: Path, tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.meals.planning.secrets", SeededSecrets(1))
    monkeypatch.setattr("bot.meals.places.secrets", SeededSecrets(2))
    expected = await asyncio.to_thread(path.read_text, encoding="utf-8")
    language = path.stem.split("-")[0]
    actual = await play(
        script_of(expected),
        language=language,
        community=COMMUNITY.get(language),
        start=START,
        folder=tmp_path,
        database_template=sqlite_template,
    )
    if UPDATE:
        await asyncio.to_thread(path.write_text, actual, encoding="utf-8")
        return
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"{path.name} (kept)",
                tofile=f"{path.name} (now)",
            )
        )
        pytest.fail(
            f"The conversation changed. If that is intended, rewrite the transcripts with "
            f"SAMVAER_UPDATE_TRANSCRIPTS=1 and review the diff:\n{diff}"
        )
