"""The impact report from the database: a synthetic cohort with a known effect is recovered
within its confidence interval; small groups are hidden; the HTML, the PDF and the CSV pack
are read back as text."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import insert

from bot.cli import main
from bot.config import Config, parse_config
from bot.core.events import FileMessage, Role
from bot.db.models import Person
from bot.impact.models import ImpactEnrolment, ImpactPerson, ImpactRound
from tests.conftest import START, UNLIMITED
from tests.helpers import Chat, text_of

EFFECT = -1.0  # the cohort's true mean change in the UCLA score
PEOPLE = 1000
DROPOUT = 0.3


@pytest.fixture
def config() -> Config:
    return parse_config(
        {"community": {"language": "en"}, "safety": UNLIMITED, "impact": {"enabled": True}}
    )


def _items(score: int) -> dict[str, int]:
    first = min(3, score - 2)
    second = min(3, score - first - 1)
    return {"companionship": first, "left_out": second, "isolated": score - first - second}


async def _cohort(chat: Chat, seed: int = 7) -> None:
    """1,000 buddy participants who said yes; the score falls by 1 on average after three
    months (−2, −1, −1 or 0 points, drawn evenly), and 30 % never answer the follow-up."""
    rng = random.Random(seed)
    joined = START - timedelta(days=120)
    follow_up = START - timedelta(days=28)
    async with chat.app.uow() as uow:
        session = uow.session
        ids = []
        for _ in range(PEOPLE):
            person = Person(created_at=joined, language="en")
            session.add(person)
            ids.append(person)
        await session.flush()
        people, enrolments, rounds = [], [], []
        for person in ids:
            people.append(
                {
                    "person_id": person.id,
                    "consent": "yes",
                    "invited_at": joined,
                    "answered_at": joined,
                    "first_joined_at": joined,
                }
            )
            enrolments.append(
                {
                    "person_id": person.id,
                    "programme": "buddies",
                    "volunteer": False,
                    "joined_at": joined,
                }
            )
            first = rng.randint(5, 9)
            rounds.append(
                {
                    "person_id": person.id,
                    "month": 0,
                    "due_at": joined,
                    "status": "answered",
                    "answered_at": joined,
                    "lonely": 4,
                    **_items(first),
                }
            )
            change = rng.choice([-2, -1, -1, 0])
            if rng.random() < DROPOUT:
                rounds.append(
                    {
                        "person_id": person.id,
                        "month": 3,
                        "due_at": follow_up,
                        "status": "missed",
                        "answered_at": None,
                    }
                )
            else:
                rounds.append(
                    {
                        "person_id": person.id,
                        "month": 3,
                        "due_at": follow_up,
                        "status": "answered",
                        "answered_at": follow_up,
                        "lonely": 3,
                        **_items(first + change),
                    }
                )
        await session.execute(insert(ImpactPerson), people)
        await session.execute(insert(ImpactEnrolment), enrolments)
        empty = {
            "companionship": None,
            "left_out": None,
            "isolated": None,
            "lonely": None,
            "asked_at": None,
        }
        await session.execute(insert(ImpactRound), [{**empty, **r} for r in rounds])
        await uow.commit()


def _files(answers: list[object]) -> dict[str, FileMessage]:
    return {m.filename.rsplit(".", 1)[-1]: m for m in answers if isinstance(m, FileMessage)}


def _csv(pack: bytes, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


async def test_a_synthetic_cohort_is_recovered_by_the_report(chat: Chat) -> None:
    await _cohort(chat)
    answers = await chat.say("olga", "!admin impact 12", role=Role.ORGANISER)
    text = "\n".join(text_of(m) for m in answers)
    files = _files(answers)
    assert set(files) == {"html", "pdf", "zip"}
    rows = _csv(files["zip"].content, "outcomes.csv")
    row = next(r for r in rows if r["programme"] == "all" and r["follow_up_month"] == "3")
    paired = int(row["paired"])
    assert 650 <= paired <= 750  # about 30 % dropped out
    assert int(row["due"]) == PEOPLE
    assert float(row["response_rate"]) == pytest.approx(paired / PEOPLE)
    low, high = float(row["change_ci_low"]), float(row["change_ci_high"])
    assert low <= EFFECT <= high
    assert high - low < 0.2
    assert float(row["lonely_change_mean"]) == pytest.approx(-1.0)
    # The chat summary and both documents say the same, in plain words first.
    change = f"{float(row['change_mean']):.2f}"
    interval = f"95 % confidence interval {low:.2f} to {high:.2f}"
    assert f"Among the {paired} people who answered both" in text
    assert interval in text
    assert "larger than chance alone" in text
    html = files["html"].content.decode("utf-8")
    assert html.index("In short") < html.index("The figures") < html.index("Methods")
    assert interval in html
    assert change in html
    assert "@media print" in html
    pdf = _pdf_text(files["pdf"].content)
    assert f"Among the {paired} people who answered both" in pdf
    assert interval in pdf
    assert "There is no control group" in pdf
    assert "Hughes" in pdf
    # The data dictionary explains every column of every file.
    dictionary = _csv(files["zip"].content, "data_dictionary.csv")
    explained = {(d["file"], d["column"]) for d in dictionary}
    for column in rows[0]:
        assert ("outcomes.csv", column) in explained
    assert all(d["meaning"] and not d["meaning"].startswith("impact.") for d in dictionary)


async def test_small_groups_are_hidden_in_every_file(chat: Chat) -> None:
    await _cohort(chat)
    # Four meal participants with a large change: their figures must not show.
    async with chat.app.uow() as uow:
        session = uow.session
        joined = START - timedelta(days=120)
        for index in range(4):
            person = Person(created_at=joined, language="en")
            session.add(person)
            await session.flush()
            session.add(
                ImpactPerson(
                    person_id=person.id,
                    consent="yes",
                    invited_at=joined,
                    answered_at=joined,
                    first_joined_at=joined,
                )
            )
            session.add(
                ImpactEnrolment(
                    person_id=person.id, programme="meals", volunteer=False, joined_at=joined
                )
            )
            session.add(
                ImpactRound(
                    person_id=person.id,
                    month=0,
                    due_at=joined,
                    status="answered",
                    answered_at=joined,
                    lonely=5,
                    **_items(9),
                )
            )
            later = START - timedelta(days=28 - index)
            session.add(
                ImpactRound(
                    person_id=person.id,
                    month=3,
                    due_at=later,
                    status="answered",
                    answered_at=later,
                    lonely=1,
                    **_items(3),
                )
            )
        await uow.commit()
    answers = await chat.say("olga", "!admin impact 12", role=Role.ORGANISER)
    files = _files(answers)
    rows = _csv(files["zip"].content, "outcomes.csv")
    meals = next(r for r in rows if r["programme"] == "meals" and r["follow_up_month"] == "3")
    assert meals["suppressed"] == "yes"
    assert meals["paired"] == meals["change_mean"] == meals["improved"] == ""
    assert meals["due"] == "4"  # how many were asked is not about how anyone feels
    # Nowhere does a −6 (their change) appear.
    html = files["html"].content.decode("utf-8")
    assert "-6.00" not in html
    assert "−6.00" not in html
    assert "fewer than 5" in html
    reach = _csv(files["zip"].content, "reach.csv")
    meal_reach = [r["new_participants"] for r in reach if r["programme"] == "meals"]
    # Four new meal participants in one month: that month and the total are hidden.
    assert "4" not in meal_reach


async def test_the_report_in_danish_and_norwegian(chat: Chat) -> None:
    await _cohort(chat)
    await chat.say("olga", "!language da", role=Role.ORGANISER)
    answers = await chat.say("olga", "!admin effekt", role=Role.ORGANISER)
    pdf = _pdf_text(_files(answers)["pdf"].content)
    assert "Kort fortalt" in pdf
    assert "ensomhedsscoren" in pdf
    assert "95 %-konfidensinterval" in pdf
    await chat.say("olga", "!language nb", role=Role.ORGANISER)
    answers = await chat.say("olga", "!admin effekt", role=Role.ORGANISER)
    html = _files(answers)["html"].content.decode("utf-8")
    assert "ensomhetsskåren" in html
    assert 'lang="nb"' in html


def test_samvaer_report_impact_writes_every_language(tmp_path: Path) -> None:
    database = tmp_path / "samvaer.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{database}"\n[impact]\nenabled = true\n',
        encoding="utf-8",
    )
    out = tmp_path / "report"
    assert (
        main(["report", "--impact", "--months", "6", "--out", str(out), "--config", str(config)])
        == 0
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [f"impact-{lang}.{kind}" for lang in ("da", "nb", "en") for kind in ("html", "pdf")]
        + ["impact-figures.zip"]
    )
    assert "Effektrapport" in _pdf_text((out / "impact-nb.pdf").read_bytes())
    assert "Too few people" in (out / "impact-en.html").read_text(encoding="utf-8")
