"""Every message has a Danish and a Norwegian translation; placeholders agree."""

import string

import pytest

from bot.bootstrap import build_registry
from bot.core.i18n import Translator, load_catalogs


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
