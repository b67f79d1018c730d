import sys
import types
from typing import Annotated

import pytest

from bot.bootstrap import build_registry
from bot.core.parsing import ON_OFF, ArgumentError, IntRange, Rest, tokenize
from bot.core.registry import CommandRegistry


def test_tokenize_keeps_quoted_titles() -> None:
    tokens = tokenize('meal schedule "Sunday soup" sun 18:00')
    assert [t.text for t in tokens] == ["meal", "schedule", "Sunday soup", "sun", "18:00"]


def _registry() -> CommandRegistry:
    registry = CommandRegistry()
    registry.group("checkin", aliases=("tjekind",))

    @registry.command("checkin")
    async def checkin(
        ctx: object,
        mood: Annotated[int, IntRange(1, 5)] | None = None,
        note: Annotated[str, Rest(max_length=20)] = "",
    ) -> None: ...

    @registry.command("checkin share", aliases=("del",))
    async def share(ctx: object, state: Annotated[str, ON_OFF]) -> None: ...

    return registry


def test_resolve_aliases_and_subcommands() -> None:
    registry = _registry()
    command, used, _ = registry.resolve(tokenize("tjekind del til"))
    assert command is not None
    assert command.name == "checkin share"
    assert used == 2
    assert command.parse(tokenize("tjekind del til")[2:], "tjekind del til") == ["on"]


def test_rest_takes_the_raw_remainder() -> None:
    registry = _registry()
    line = "checkin 4 a  good   day"
    command, used, _ = registry.resolve(tokenize(line))
    assert command is not None
    assert command.parse(tokenize(line)[used:], line) == [4, "a  good   day"]


def test_range_and_length_errors_name_the_rule() -> None:
    registry = _registry()
    command = registry.commands["checkin"]
    with pytest.raises(ArgumentError) as error:
        command.parse(tokenize("9"), "9")
    assert error.value.key == "error.number_range"
    with pytest.raises(ArgumentError) as error:
        command.parse(tokenize("3 " + "x" * 30), "3 " + "x" * 30)
    assert error.value.key == "error.too_long"


def test_a_failing_setup_registers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("tests_broken_commands")

    def setup(registry: CommandRegistry) -> None:
        @registry.command("broken")
        async def broken(ctx: object) -> None: ...

        raise RuntimeError("setup failed halfway")

    module.setup = setup  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests_broken_commands", module)
    registry = build_registry(["bot.commands.core", "tests_broken_commands"])
    assert "help" in registry.commands
    assert "broken" not in registry.commands
    with pytest.raises(RuntimeError):
        build_registry(["tests_broken_commands"], strict=True)


def test_on_off_takes_any_way_of_saying_yes_or_no() -> None:
    assert ON_OFF.convert("jep") == "on"
    assert ON_OFF.convert("okay") == "on"
    assert ON_OFF.convert("nope") == "off"
    assert ON_OFF.convert("til") == "on"
    with pytest.raises(ArgumentError):
        ON_OFF.convert("måske")
