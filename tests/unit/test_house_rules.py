"""The house rules that keep a feature's words and the outbox where they belong.

- Words people type (command aliases, weekday names, yes/no, on/off, contact modes…) are
  data in ``bot/locales/<lang>/*.toml``, not lists in code.
- Only the outbox's own modules touch its table; features use ``bot.core.outbox``.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
LOCALES = BOT / "locales"
# The modules that read the word files, and the ones that are the outbox.
WORD_READERS = {"core/words.py", "core/answers.py"}
OUTBOX_MODULES = {
    "core/outbox.py",
    "core/outbox_erasure.py",
    "core/delivery.py",
    "core/quiet_hold.py",
    "db/models.py",
}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(BOT.rglob("*.py")):
        name = path.relative_to(BOT).as_posix()
        if name.startswith("adapters/") or "/migrations/" in name:
            continue
        yield name, ast.parse(path.read_text(encoding="utf-8"))


def _strings(table: object) -> Iterator[str]:
    if isinstance(table, dict):
        for value in table.values():
            yield from _strings(value)
    elif isinstance(table, list):
        for value in table:
            yield from _strings(value)
    elif isinstance(table, str):
        yield table


def _data_words(lang: str) -> set[str]:
    found: set[str] = set()
    for path in (LOCALES / lang).glob("*.toml"):
        found |= {w.casefold() for w in _strings(tomllib.loads(path.read_text("utf-8")))}
    return found


def _danish_or_norwegian_words() -> frozenset[str]:
    """Words listed for da or nb and not for en, of three letters or more: a literal
    holding one is a word list that belongs in the data."""
    english = _data_words("en")
    return frozenset(
        word
        for word in _data_words("da") | _data_words("nb")
        if word not in english and len(word) >= 3
    )


def _word_list_literals(tree: ast.Module) -> Iterator[tuple[int, list[str]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            elements = node.elts
        elif isinstance(node, ast.Dict):
            elements = [k for k in node.keys if k is not None] + node.values
        else:
            continue
        strings = [
            e.value.casefold()
            for e in elements
            if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
        if len(strings) >= 2:
            yield node.lineno, strings


def test_the_words_people_type_are_data_not_code() -> None:
    words = _danish_or_norwegian_words()
    assert {"mandag", "tjekind", "innsjekk", "ugentlig", "kamera"} <= words  # the files are read
    found = []
    for name, tree in _modules():
        if name in WORD_READERS:
            continue
        for line, strings in _word_list_literals(tree):
            typed = sorted(set(strings) & words)
            # Two such words, or one only Danish or Norwegian is spelt with ("måltid"); a
            # single plain one ("data") may be a name in code.
            if len(typed) >= 2 or any(not word.isascii() for word in typed):
                found.append(f"bot/{name}:{line}: {typed}")
    assert not found, "word lists in code; move them to bot/locales/<lang>/words.toml:\n" + (
        "\n".join(found)
    )


def test_commands_name_their_aliases_in_the_data() -> None:
    found = [
        f"bot/{name}:{node.lineno}"
        for name, tree in _modules()
        if not name.startswith("core/")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and any(k.arg == "aliases" for k in node.keywords)
    ]
    assert not found, "aliases belong in bot/locales/<lang>/aliases.toml: " + ", ".join(found)


def test_only_the_outbox_touches_its_table() -> None:
    found = []
    for name, tree in _modules():
        if name in OUTBOX_MODULES:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom) and any(a.name == "OutboxItem" for a in node.names)
            ) or (
                isinstance(node, ast.Name | ast.Attribute)
                and (
                    getattr(node, "id", None) == "OutboxItem"
                    or getattr(node, "attr", None) == "OutboxItem"
                )
            ):
                found.append(f"bot/{name}:{node.lineno}")
    assert not found, "use bot.core.outbox's functions instead: " + ", ".join(sorted(set(found)))


@pytest.mark.parametrize("lang", ["da", "nb", "en"])
def test_every_language_has_its_word_files(lang: str) -> None:
    for name in ("answers.toml", "aliases.toml", "words.toml"):
        assert (LOCALES / lang / name).is_file(), (lang, name)
