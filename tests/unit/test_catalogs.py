"""Every message has a Danish and a Norwegian translation; placeholders agree."""

import re
import string

import pytest

from bot.bootstrap import build_registry
from bot.core.i18n import Translator, load_catalogs
from bot.core.parsing import OneOf, tokenize


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


CATALOGS = load_catalogs()


@pytest.mark.parametrize("lang", ["da", "nb"])
def test_every_message_is_translated(lang: str) -> None:
    missing = sorted(set(CATALOGS["en"]) - set(CATALOGS[lang]))
    assert not missing, f"{lang} lacks: {missing}"
    extra = sorted(set(CATALOGS[lang]) - set(CATALOGS["en"]))
    assert not extra, f"{lang} has messages English lacks: {extra}"


@pytest.mark.parametrize("lang", ["da", "nb"])
def test_placeholders_match_english(lang: str) -> None:
    wrong = [
        key for key, text in CATALOGS["en"].items() if _fields(text) != _fields(CATALOGS[lang][key])
    ]
    assert not wrong, f"{lang} placeholders differ for: {wrong}"


@pytest.mark.parametrize("lang", ["en", "da", "nb"])
def test_every_command_has_help_and_usage(lang: str) -> None:
    registry = build_registry(strict=True)
    for command in registry.commands.values():
        assert f"help.{command.key}" in CATALOGS[lang], f"help.{command.key} ({lang})"
        assert f"usage.{command.key}" in CATALOGS[lang], f"usage.{command.key} ({lang})"


@pytest.mark.parametrize(
    ("lang", "one", "many"),
    [("en", "1 seat", "8 seats"), ("da", "1 plads", "8 pladser"), ("nb", "1 plass", "8 plasser")],
)
def test_counted_phrases_take_the_right_form(lang: str, one: str, many: str) -> None:
    translator = Translator(CATALOGS, "da")
    assert translator.plural(lang, "meal.seats", 1) == one
    assert translator.plural(lang, "meal.seats", 8) == many
    assert translator.plural(lang, "meal.seats", 0) == many.replace("8", "0")


# ---------------------------------------------------------------- no English in da and nb

# Words that are English and not Danish or Norwegian. Command names and placeholders are
# not counted: placeholders are filled with neutral sample values first, and a command is
# checked separately to be written with that language's name.
ENGLISH = frozenset(
    {
        "the",
        "and",
        "you",
        "your",
        "yours",
        "please",
        "with",
        "without",
        "would",
        "should",
        "which",
        "what",
        "when",
        "where",
        "there",
        "their",
        "this",
        "that",
        "these",
        "those",
        "been",
        "will",
        "can't",
        "don't",
        "isn't",
        "won't",
        "seat",
        "seats",
        "waiting",
        "proposed",
        "count",
        "mood",
        "feedback",
        "account",
        "accounts",
        "emergency",
        "still",
        "volunteer",
        "volunteers",
        "peer",
        "any",
        "good",
        "not_working",
        "languages",
        "interests",
        "contact",
        "times",
        "kind",
        "about",
        "capacity",
        "filled",
        "offered",
        "held",
        "cancelled",
        "rating",
        "average",
        "week",
        "weeks",
        "people",
        "meal",
        "meals",
        "join",
        "leave",
        "yes",
        "on",
        "off",
        "help",
        "cancel",
        "settings",
        "room",
        "rooms",
        "now",
        "today",
        "tomorrow",
        "day",
        "days",
        "hours",
        "minutes",
        "nobody",
        "none",
        "nothing",
        "everyone",
        "shared",
        "chart",
        "file",
        "files",
        "sorry",
        "thanks",
        "thank",
        "hello",
        "welcome",
        "list",
        "edit",
        "who",
        "schedule",
        "history",
        "share",
        "alerts",
        "report",
        "reports",
        "block",
        "unblock",
        "resume",
        "profile",
        "language",
        "forget",
        "consent",
        "privacy",
        "checkin",
        "checkins",
        "buddy",
        "buddies",
        "mydata",
        "unlink",
        "whoami",
        "announcements",
        "organisers",
        "ack",
        "decline",
        "accept",
        "rematch",
    }
)
PLURAL_HINT = re.compile(r"\w\((?:s|e|er|r|en|ne|ene)\)")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
KEY_LIKE = re.compile(r"\b[a-z_]+(?:\.[a-z_0-9]+)+\b")


def _rendered(lang: str) -> dict[str, str]:
    """Every entry of ``lang`` rendered with sample values for the placeholders the code
    fills (those of the English entry); plural forms with a count that selects them."""
    translator = Translator(CATALOGS, "en")
    out = {}
    for key in CATALOGS[lang]:
        values: dict[str, object] = dict.fromkeys(_fields(CATALOGS["en"].get(key, "")), "7")
        values["prefix"] = "!"
        out[key] = translator.text(lang, key, **values)
    return out


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[A-Za-zÆØÅæøåéü'_]+", text)}


@pytest.mark.parametrize("lang", ["da", "nb"])
def test_every_entry_renders_without_english_raw_keys_or_loose_plurals(lang: str) -> None:
    problems = []
    for key, text in _rendered(lang).items():
        if text == key or any(k in CATALOGS["en"] for k in KEY_LIKE.findall(text)):
            problems.append(f"{key}: raw key in {text!r}")
        if PLURAL_HINT.search(text):
            problems.append(f"{key}: '(s)'-style plural in {text!r}; use a plural entry")
        if PLACEHOLDER.search(text):
            problems.append(f"{key}: placeholder left unfilled in {text!r}")
        english = sorted(_words(text) & ENGLISH)
        if english:
            problems.append(f"{key}: English {english} in {text!r}")
    assert not problems, "\n".join(problems)


def test_the_english_word_list_catches_english() -> None:
    # The check must be able to fail: the English catalog is full of these words.
    english = [key for key, text in _rendered("en").items() if _words(text) & ENGLISH]
    assert len(english) > len(CATALOGS["en"]) // 3


@pytest.mark.parametrize("lang", ["en", "da", "nb"])
def test_every_command_has_a_name_in_every_language_that_is_accepted(lang: str) -> None:
    registry = build_registry(strict=True)
    for command in registry.commands.values():
        name = registry.names[lang].get(command.name)
        assert name, f"command.{command.key} ({lang})"
        found, used, _head = registry.resolve(tokenize(name))
        assert found is command, f"{lang}: {name!r} runs {found and found.name!r}"
        assert used == len(name.split())


@pytest.mark.parametrize("lang", ["en", "da", "nb"])
def test_usage_and_messages_name_commands_in_the_readers_language(lang: str) -> None:
    registry = build_registry(strict=True)
    wrong = []
    for command in registry.commands.values():
        usage = CATALOGS[lang][f"usage.{command.key}"]
        if not usage.startswith(registry.names[lang][command.name]):
            wrong.append(f"usage.{command.key}: {usage!r}")
    for key, text in CATALOGS[lang].items():
        for match in re.finditer(
            r"\{prefix\}([^\s{}.,;:!?“”«»()]+)(?: ([^\s{}.,;:!?“”«»()]+))?", text
        ):
            words = [w for w in match.groups() if w]
            found, used, head = registry.resolve(tokenize(" ".join(words)))
            if not head:
                continue
            expected = (
                registry.names[lang][found.name]
                if found is not None and used == 2
                else registry.name_in(lang, head)
            )
            if " ".join(words[:used]) != expected:
                wrong.append(f"{key}: {match.group(0)!r} should be {expected!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("lang", ["da", "nb"])
def test_every_choice_word_shown_is_accepted(lang: str) -> None:
    registry = build_registry(strict=True)
    translator = Translator(CATALOGS, "da")
    for command in registry.commands.values():
        for param in command.params:
            if isinstance(param.converter, OneOf):
                for choice in param.converter.choices:
                    shown = translator.word(lang, choice)
                    assert param.converter.convert(shown) == choice, (command.name, shown)
