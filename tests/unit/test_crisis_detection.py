"""Crisis detection on how people actually write, measured on labelled corpora."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.crisis_detection import load, score
from bot.config import Config
from bot.safety.detect import CrisisDetector, CrisisModel, default_detector
from bot.safety.lines import lines_in_order


@pytest.mark.parametrize(
    ("name", "least_recall", "most_false_positives"),
    [
        ("dev", 0.97, 0.05),
        ("holdout", 0.97, 0.05),
        ("train2", 0.97, 0.05),
        ("train3", 0.97, 0.05),
        ("train4", 0.97, 0.05),  # young people's slang and hidden distress
        ("train5", 0.97, 0.05),
        ("train6", 0.97, 0.05),  # varied on purpose
        ("train7", 0.97, 0.05),  # minimal pairs: the boundary itself
        ("train8", 0.97, 0.05),
        ("train9", 0.97, 0.05),  # short texting style, emoji
        ("train10", 0.97, 0.05),  # SMS style without æøå, typos, slang; gaming negatives
        ("train11", 0.97, 0.05),  # long and formal, nynorsk, buried distress; news negatives
        ("domain", 1.0, 0.0),
    ],
)
def test_recall_and_false_positives_on_the_written_corpora(
    name: str, least_recall: float, most_false_positives: float
) -> None:
    for lang, (recall, false_positive, missed, caught) in score(
        default_detector(), load(name)
    ).items():
        assert recall >= least_recall, (lang, missed)
        assert false_positive <= most_false_positives, (lang, caught)


def test_the_unseen_corpus_is_scored_but_not_tuned_to() -> None:
    # Written by other hands and never read while writing the phrases or training the
    # net: the honest figure for new phrasings (bench/RESULTS.md). Phrases alone catch
    # 60-77 %; with the learned net 86-97 %. Guard against losing that.
    for name in ("unseen", "unseen2", "unseen3"):
        for lang, (recall, false_positive, _missed, _caught) in score(
            default_detector(), load(name)
        ).items():
            assert recall >= 0.82, (name, lang)
            assert false_positive <= 0.1, (name, lang)
    phrases_only = CrisisDetector.from_files(model=None)
    for lang, (recall, _fp, _missed, _caught) in score(phrases_only, load("unseen")).items():
        assert recall < 0.75, lang  # the net is doing real work


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("jeg vil dø", "da"),
        ("jeg tænker på at slå mig selv ihjel", "da"),
        ("Jeg vil ikke leve mere!!!", "da"),
        ("jeg vil doe", "da"),  # ø typed as oe
        ("jeg orker ikke at leve saadan her", "da"),  # å typed as aa
        ("jeg vil drepe meg selv", "nb"),
        ("eg vil ikkje leve lenger", "nb"),
        ("i want to die", "en"),
        ("I WANT TO END MY LIFE 😢", "en"),
    ],
)
def test_realistic_phrasings_are_recognised(text: str, language: str) -> None:
    found = default_detector().detect(text)
    assert found is not None
    assert found.language == language


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("🔪🩸 igen", "self_harm"),
        ("💊💊💊💊💊 all gone", "overdose"),
        ("⚰️ snart mig", "suicidal"),
    ],
)
def test_emoji_written_instead_of_words_are_read(text: str, category: str) -> None:
    found = default_detector().detect(text, prefer="da")
    assert found is not None
    assert found.category == category


@pytest.mark.parametrize(
    "text", ["laver mad i aften 🔪🥕", "tog min pille 💊 i morges", "så pinligt 💀💀"]
)
def test_everyday_emoji_do_not_trigger(text: str) -> None:
    assert default_detector().detect(text, prefer="da") is None


def test_the_net_uses_the_threshold_of_the_messages_language(tmp_path: Path) -> None:
    model = tmp_path / "model.toml"
    model.write_text(
        'bias = 0.0\n[threshold]\nda = 0.6\nnb = 0.8\nen = 0.7\n[weights]\n"w:blabar" = 1.0\n',
        encoding="utf-8",
    )
    detector = CrisisDetector.from_files(
        model=model
    )  # chance 0.73 for "blåbær" (stemmed and folded: blabar)
    assert detector.detect("blåbær", prefer="da") is not None
    assert detector.detect("blåbær", prefer="en") is not None
    assert detector.detect("blåbær", prefer="nb") is None
    # A file from before thresholds per language: one for all.
    model.write_text(
        'threshold = 0.75\nbias = 0.0\n[weights]\n"w:blabar" = 1.0\n', encoding="utf-8"
    )
    assert CrisisDetector.from_files(model=model).detect("blåbær", prefer="da") is None


def test_the_shipped_net_has_a_threshold_for_each_language() -> None:
    model = CrisisModel.load()
    assert set(model.thresholds) == {"da", "nb", "en"}
    assert all(0.5 <= value < 1 for value in model.thresholds.values())


@pytest.mark.parametrize(
    "text",
    [
        "jeg dør af grin",
        "jeg ler meg ihjel",
        "this heat is killing me",
        "I'm dead tired",
        "my feet are killing me",
        "farvel og tak for i dag, vi ses",
        "I took my meds this morning",
        # Volunteers talking about the subject, holidays, cooking:
        "efter kurset om selvskade føler jeg mig bedre klædt på som frivillig",
        "leste en artikkel om at flere unge tenker på selvmord, så trist",
        "off to portugal for two weeks, bye everyone take care",
        "har lige skåret løg med den nye kniv, den er mega skarp",
    ],
)
def test_figurative_everyday_phrases_do_not_trigger(text: str) -> None:
    assert default_detector().detect(text) is None


def test_an_organisation_can_add_phrases_in_config() -> None:
    phrase = "kan ikke finde ud af noget som helst"
    plain = CrisisDetector.from_files(model=None)
    added = CrisisDetector.from_files(extra={"da": [phrase]}, model=None)
    assert plain.detect(f"jeg {phrase}") is None
    assert added.detect(f"jeg {phrase}") is not None


def test_ordinary_messages_to_the_bot_are_not_taken_for_a_crisis() -> None:
    detector = default_detector()
    for text in ("!checkin 2 træt i dag", "!meal join 3", "hej", "tak for i dag", "!forget"):
        assert detector.detect(text) is None, text


def test_a_malformed_phrase_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="joined by _"):
        CrisisDetector.from_files(extra={"da": ["tage_livet"]})


def test_a_closed_line_says_so_and_a_line_open_day_and_night_comes_first() -> None:
    config = Config()
    lines = config.crisis_lines_for("da")
    # 06:00 in Copenhagen: Livslinien (11:00-05:00) is closed.
    early = lines_in_order(lines, datetime(2026, 11, 30, 5, 0, tzinfo=UTC))
    assert early[0].always_open
    assert early[0].line.number == "112"
    assert not early[-1].open_now
    # 23:00 in Copenhagen (across midnight): open, shown as configured.
    late = lines_in_order(lines, datetime(2026, 11, 30, 22, 0, tzinfo=UTC))
    assert late[0].line.name == "Livslinien"
    assert late[0].open_now
    # Summer time: 04:30 UTC is 06:30 in Copenhagen, closed; 02:30 UTC is 04:30, open.
    assert not lines_in_order(lines, datetime(2026, 7, 1, 4, 30, tzinfo=UTC))[-1].open_now
    assert lines_in_order(lines, datetime(2026, 7, 1, 2, 30, tzinfo=UTC))[0].open_now


def test_each_language_gets_its_countrys_lines() -> None:
    config = Config()
    assert any(line.name == "Livslinien" for line in config.crisis_lines_for("da"))
    assert any(line.name == "Kirkens SOS" for line in config.crisis_lines_for("nb"))
    # English in a Danish community: the Danish lines.
    assert any(line.name == "Livslinien" for line in config.crisis_lines_for("en"))


def test_the_shipped_table_is_the_average_of_the_two_trained_nets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The trainer averages a logistic regression's and a naive Bayes' log-odds and writes
    # the result as one table of weights: the detector reading that table must give the
    # same log-odds as the two nets it was made from.
    import importlib.util
    import sys

    import numpy as np

    path = Path(__file__).resolve().parents[2] / "tools" / "train_crisis_model.py"
    spec = importlib.util.spec_from_file_location("train_crisis_model", path)
    assert spec is not None
    assert spec.loader is not None
    trainer = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, trainer)  # its dataclasses look it up
    spec.loader.exec_module(trainer)
    from bot.safety.detect import message_features

    crisis = ["jeg vil dø", "i want to die", "har skåret mig igen", "tog alle pillerne"]
    everyday = ["jeg dør af grin", "this heat is killing me", "skar løg", "tog min pille"]
    texts = crisis + everyday
    features = [message_features(text) for text in texts]
    labels = np.array([True] * len(crisis) + [False] * len(everyday))
    nets = trainer.fit(features * 2, np.concatenate([labels, labels]), 1.0)  # twice: min_df
    regression, bayes = nets.log_odds(features)
    scales = (2.0, 5.0)
    bias, weights = nets.weights(scales)
    model = CrisisModel(weights, bias, {"da": 0.5, "nb": 0.5, "en": 0.5})
    share = trainer.REGRESSION_SHARE
    for text, reg, nb in zip(texts, regression, bayes, strict=True):
        expected = share * reg / scales[0] + (1 - share) * nb / scales[1]
        assert model.score(text) == pytest.approx(expected, abs=1e-9)
    assert model.score("jeg vil dø") > model.score("jeg dør af grin")
