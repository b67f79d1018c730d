"""Typed answers to questions with choices: numbers, labels, words that mean the same."""

from __future__ import annotations

import pytest

from bot.core.answers import CANCEL, HELP, _read, fold, match_answer, means, mood_of, vocabulary
from bot.core.i18n import LOCALES_DIR, load_catalogs

DA_YES_NO = ["Ja", "Nej"]
DA_ERASE = ["Ja, slet alt", "Nej, behold det"]
DA_MOODS = ["1 · meget dårligt", "2 · dårligt", "3 · okay", "4 · godt", "5 · rigtig godt"]
NB_MOODS = ["1 · veldig dårlig", "2 · dårlig", "3 · helt ok", "4 · bra", "5 · veldig bra"]
EN_MOODS = ["1 · very bad", "2 · bad", "3 · okay", "4 · good", "5 · very good"]
DA_TIMES = ["Hverdagsaftener", "Hverdage i dagtimerne", "Weekender", "Når som helst", "Spring over"]


def picked(text: str, labels: list[str]) -> int | None:
    index = match_answer(text, labels).index
    return None if index is None else index + 1


def test_fold_reads_danish_letters_and_drops_accents_and_punctuation() -> None:
    assert fold("Ja, SLET alt!") == "ja slet alt"
    assert fold("Dårligt") == "daarligt"
    assert fold("Prøv igen") == "proev igen"
    assert fold("  Café  ") == "cafe"


@pytest.mark.parametrize("text", ["1", "1.", " 1 ", "1)", "#1"])
def test_the_number_picks_the_option(text: str) -> None:
    assert picked(text, DA_YES_NO) == 1


def test_a_number_out_of_range_is_said_so() -> None:
    answer = match_answer("7", DA_YES_NO)
    assert answer.index is None
    assert answer.out_of_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ja", 1), ("JA", 1), ("Ja!", 1), ("jo", 1), ("jep", 1), ("jepper", 1), ("ok", 1),
        ("okay", 1), ("yes", 1), ("yeah", 1), ("yep", 1), ("gerne", 1), ("ja tak", 1),
        ("nej", 2), ("nei", 2), ("nope", 2), ("no", 2), ("nej tak", 2), ("nei takk", 2),
        ("nej, ikke nu", 2),
    ],
)  # fmt: skip
def test_yes_and_no_words_in_three_languages(text: str, expected: int) -> None:
    assert picked(text, DA_YES_NO) == expected
    assert picked(text, DA_ERASE) == expected
    assert picked(text, ["Yes, let's try", "No thanks"]) == expected
    assert picked(text, ["Ja, la oss prøve", "Nei takk"]) == expected


@pytest.mark.parametrize(
    ("text", "mood"),
    [
        ("elendigt", 1), ("meget dårligt", 1), ("skidt", 2), ("dårligt", 2), ("daarligt", 2),
        ("darligt", 2), ("ikke så godt", 2), ("jeg har det ikke så godt", 2), ("ok", 3),
        ("nogenlunde", 3), ("godt", 4), ("fint", 4), ("jeg har det godt", 4), ("Godt!", 4),
        ("rigtig godt", 5), ("super", 5), ("bra", 4), ("greit", 3), ("dårlig", 2),
        ("good", 4), ("fine", 4), ("bad", 2), ("great", 5), ("okay", 3),
    ],
)  # fmt: skip
def test_mood_words_pick_the_mood_in_every_language(text: str, mood: int) -> None:
    for labels in (DA_MOODS, NB_MOODS, EN_MOODS):
        assert picked(text, labels) == mood, labels
    assert mood_of(text) == mood


def test_a_label_typed_without_accents_or_a_unique_prefix_picks_it() -> None:
    assert picked("weekender", DA_TIMES) == 3
    assert picked("naar som helst", DA_TIMES) == 4
    assert picked("nar som helst", DA_TIMES) == 4
    assert picked("hverdagsaft", DA_TIMES) == 1
    assert picked("spring over", DA_TIMES) == 5
    # Shared by two labels: no guess.
    assert picked("hverdag", DA_TIMES) is None


def test_help_and_cancel_at_any_question() -> None:
    for text in ("hjælp", "hjelp", "help", "HJÆLP!", "?"):
        assert match_answer(text, DA_TIMES).special == HELP
    for text in ("afbryd", "avbryt", "cancel", "Afbryd."):
        assert match_answer(text, DA_YES_NO).special == CANCEL


def test_something_else_matches_nothing() -> None:
    answer = match_answer("hvad med pizza", DA_YES_NO)
    assert answer.index is None
    assert answer.special == ""
    assert not answer.out_of_range
    # "ok" is yes and also a mood; with moods it is the middle one, never a yes.
    assert picked("ok", ["Find en ny til mig", "Behold det indtil videre"]) is None


def test_skip_words() -> None:
    assert means("spring over", "skip")
    assert means("hopp over", "skip")
    assert means("skip", "skip")
    assert not means("kaffe", "skip")


def test_every_language_has_the_same_meanings() -> None:
    """Each answers.toml lists words for every meaning, so no language is left out."""
    words = vocabulary()
    kinds = {m for found in words.meanings.values() for m in found}
    assert kinds == {"yes", "no", "help", "cancel", "skip", "not"} | {
        f"mood_{n}" for n in range(1, 6)
    } | {f"gender_{g}" for g in ("woman", "man", "nonbinary", "unsaid")}
    for lang in load_catalogs():
        assert set(_read(LOCALES_DIR / lang / "answers.toml")) == kinds, lang


def test_every_mood_label_in_every_catalog_means_its_own_mood() -> None:
    for lang, messages in load_catalogs().items():
        labels = [messages[f"checkin.mood_{n}"] for n in range(1, 6)]
        for n, label in enumerate(labels, 1):
            moods = {m for m in vocabulary().of_label(label) if m.startswith("mood_")}
            assert moods == {f"mood_{n}"}, (lang, label)


def test_when_the_choices_are_numbers_a_number_is_a_number() -> None:
    seats = ["6", "12", "24"]
    assert picked("12", seats) == 2
    # "3" is three seats, not the third choice (24); the dialog reads it itself.
    answer = match_answer("3", seats)
    assert answer.index is None
    assert not answer.out_of_range


def test_a_mood_in_a_sentence_and_a_negation_before_it() -> None:
    assert picked("I'm feeling fine today", EN_MOODS) == 4
    assert picked("jeg har det ikke så godt", DA_MOODS) == 2
    # Not guessed backwards: "not feeling good" is asked again rather than taken as good.
    assert picked("I'm not feeling good", EN_MOODS) is None
    assert picked("jeg har det ikke specielt godt", DA_MOODS) is None
