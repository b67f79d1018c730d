"""Dialogs as declared state machines: named steps, each with its question and its answer.

A :class:`StepDialog` names its steps; each :class:`Step` has ``ask(ctx, data)``, which
shows the step's question, and ``answer(ctx, data, text)``, which reads the answer
(validates it, stores what it must, says what it must) and returns what comes next:

- :class:`Next` — go on to a step with this data; the core asks its question;
- :class:`Retry` — not an answer: the core says why (a catalog key) and asks the same
  question again, the data unchanged (``ask_again=False``: what the step said is
  enough, the question shown still stands);
- :class:`Finish` — the dialog is over.

The core runs the rest as for every dialog (:mod:`bot.core.dialogs`): the row that keeps
where the person is, "help" and "cancel", an answer too long, the question asked again
after the crisis lines, a role taken away mid-way. Register a machine with
``registry.steps(machine)`` and begin it with ``machine.begin(ctx, data)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.context import Context

Data = dict[str, Any]


@dataclass(frozen=True)
class Next:
    """Go on to ``step`` with ``data`` (its question is asked)."""

    step: str
    data: Data = field(default_factory=dict)


@dataclass(frozen=True)
class Retry:
    """Not an answer: say ``key`` (when given) and ask the same question again."""

    key: str = ""
    values: Mapping[str, object] = field(default_factory=dict)
    # False: the step has said what to do instead; the question shown still stands.
    ask_again: bool = True


@dataclass(frozen=True)
class Finish:
    """The dialog is over (whatever the step said is its last word)."""


Outcome = Next | Retry | Finish
Asker = Callable[[Context, Data], None]
Answerer = Callable[[Context, Data, str], Awaitable[Outcome]]


@dataclass(frozen=True)
class Step:
    """One question of a dialog and the reading of its answer."""

    ask: Asker
    answer: Answerer


@dataclass(frozen=True)
class StepDialog:
    """A dialog declared as its steps; ``first`` is where :meth:`begin` starts."""

    name: str
    steps: Mapping[str, Step]
    first: str
    # False: after the crisis lines the dialog is set aside, not asked again.
    resumes: bool = True

    def __post_init__(self) -> None:
        if self.first not in self.steps:
            raise ValueError(f"dialog {self.name!r}: no step {self.first!r}")

    def begin(self, ctx: Context, data: Data | None = None, step: str | None = None) -> None:
        """Start the dialog (at ``step``, else the first) and ask its question."""
        self._go(ctx, Next(step or self.first, dict(data or {})))

    def follow(self, ctx: Context, outcome: Next | Finish) -> None:
        """Do what an outcome says outside an answer (a command that goes on with the
        dialog where a step would)."""
        if isinstance(outcome, Next):
            self._go(ctx, outcome)
        elif ctx.dialog_next is None or ctx.dialog_next[0] == self.name:
            ctx.end_dialog()

    def ask(self, ctx: Context, step: str, data: Data) -> None:
        """Ask a step's question again (after help, the crisis lines, an interruption)."""
        current = self.steps.get(step)
        if current is not None:
            current.ask(ctx, data)

    async def handle(self, ctx: Context, step: str, data: Data, text: str) -> None:
        """Read the answer to ``step`` and do what its outcome says."""
        current = self.steps.get(step)
        if current is None:
            # A step this version no longer has (a row kept over an upgrade).
            ctx.end_dialog()
            ctx.say("error.not_a_command")
            return
        outcome = await current.answer(ctx, data, text)
        if isinstance(outcome, Next):
            self._go(ctx, outcome)
        elif isinstance(outcome, Retry):
            if outcome.key:
                ctx.say(outcome.key, **outcome.values)
            if outcome.ask_again:
                current.ask(ctx, data)
        elif ctx.dialog_next is None or ctx.dialog_next[0] == self.name:
            ctx.end_dialog()  # unless the last step began another dialog

    def _go(self, ctx: Context, outcome: Next) -> None:
        if outcome.step not in self.steps:
            raise ValueError(f"dialog {self.name!r}: no step {outcome.step!r}")
        ctx.continue_dialog(self.name, outcome.step, outcome.data)
        self.steps[outcome.step].ask(ctx, outcome.data)
