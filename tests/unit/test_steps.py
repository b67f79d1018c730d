"""Dialogs declared as steps: the declaration is checked, and the registry keeps how a
step's question is asked again only for dialogs that resume after the crisis lines."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.context import Context
from bot.core.registry import CommandRegistry
from bot.core.steps import Finish, Outcome, Step, StepDialog


def _ask(ctx: Context, data: dict[str, Any]) -> None:
    ctx.say("plan.intro")


async def _answer(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
    return Finish()


def test_a_dialog_must_begin_at_a_step_it_has() -> None:
    with pytest.raises(ValueError, match="no step 'where'"):
        StepDialog("demo", {"first": Step(_ask, _answer)}, first="where")


def test_the_registry_runs_a_declared_dialog_and_asks_again_only_where_it_resumes() -> None:
    registry = CommandRegistry()
    resuming = StepDialog("resuming", {"one": Step(_ask, _answer)}, first="one")
    set_aside = StepDialog("set_aside", {"one": Step(_ask, _answer)}, "one", resumes=False)
    registry.steps(resuming)
    registry.steps(set_aside)
    assert registry.dialogs["resuming"].handler == resuming.handle
    assert registry.dialogs["resuming"].ask == resuming.ask
    assert registry.dialogs["set_aside"].ask is None
