"""The one command registry: commands declared once, with typed arguments.

A handler's signature is the command's grammar::

    async def checkin(ctx: Context,
                      mood: Annotated[int, IntRange(1, 5)] | None = None,
                      note: Annotated[str, Rest()] = "") -> None

Help and usage text come from the catalogs (``help.<name>``,
``usage.<name>``), so every language gets them. A command's name in each
language is data too: ``command.<name>`` in that language's catalog
(``command.buddy_join`` = ``makker tilmeld``); :meth:`CommandRegistry.learn_names`
takes them in, every language's words are then accepted, and help shows each
person the name in their language. Role checks happen here, from the role the
adapter resolved, never from what the user typed.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.core.events import Arg, Invoke, Role
from bot.core.parsing import ArgumentError, Rest, Token, convert
from bot.core.words import command_aliases

if TYPE_CHECKING:
    from bot.core.steps import StepDialog
    from bot.core.together import PairsSource

Handler = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class Param:
    """One typed argument of a command."""

    name: str
    converter: Any
    required: bool
    default: Any
    rest: bool = False


@dataclass(frozen=True)
class Command:
    """A command the bot understands, in all languages and on all platforms."""

    name: str  # canonical, words separated by spaces: "checkin schedule"
    handler: Handler
    params: tuple[Param, ...]
    role: Role = Role.PARTICIPANT
    private: bool = False
    aliases: tuple[str, ...] = ()
    needs_db: bool = True
    # Reads or writes enough (statistics, exports) that its database calls must not
    # hold up the event loop.
    long_running: bool = False

    @property
    def key(self) -> str:
        """The catalog key stem: ``checkin_schedule``."""
        return self.name.replace(" ", "_")

    def parse(self, tokens: list[Token], line: str) -> list[Any]:
        """Convert the tokens after the command name into handler arguments."""
        values: list[Any] = []
        index = 0
        for param in self.params:
            if param.rest:
                text = line[tokens[index].start :].strip() if index < len(tokens) else ""
                if len(text) >= 2 and text[0] == text[-1] == '"':
                    text = text[1:-1]
                if not text and param.required:
                    raise ArgumentError()
                limit = param.converter.max_length if isinstance(param.converter, Rest) else None
                if limit is not None and len(text) > limit:
                    raise ArgumentError("error.too_long", limit=limit)
                values.append(text if text else param.default)
                index = len(tokens)
                continue
            if index >= len(tokens):
                if param.required:
                    raise ArgumentError()
                values.append(param.default)
                continue
            values.append(convert(param.converter, tokens[index].text))
            index += 1
        if index < len(tokens):
            raise ArgumentError()
        return values

    def bind(self, invoke: Invoke) -> list[Any]:
        """Handler arguments from values given apart (a button's action, a slash
        command's options): by position, then by parameter name. Each goes through its
        parameter's converter and checks as if typed, but nothing is split or unquoted."""
        names = {param.name for param in self.params}
        named = dict(invoke.named)
        if len(invoke.args) > len(self.params) or not set(named) <= names:
            raise ArgumentError()
        values: list[Any] = []
        for index, param in enumerate(self.params):
            given: Arg | None = (
                invoke.args[index] if index < len(invoke.args) else named.get(param.name)
            )
            if isinstance(given, str) and param.rest:
                given = given.strip()
            if given is None or given == "":
                if param.required:
                    raise ArgumentError()
                values.append(param.default)
                continue
            values.append(_bound(param, given))
        return values


def _bound(param: Param, given: Arg) -> Any:
    """One value given apart, converted and checked like the same token typed."""
    if param.rest:
        text = str(given)
        limit = param.converter.max_length if isinstance(param.converter, Rest) else None
        if limit is not None and len(text) > limit:
            raise ArgumentError("error.too_long", limit=limit)
        return text
    if param.converter is int and isinstance(given, int) and not isinstance(given, bool):
        return given
    return convert(param.converter, str(given))


@dataclass(frozen=True)
class DialogSpec:
    """A multi-step conversation: ``handler(ctx, step, data, text)``."""

    name: str
    handler: Callable[..., Awaitable[None]]
    # ``ask(ctx, step, data)`` shows a step's question again (after a pause for a crisis).
    ask: Callable[..., None] | None = None


@dataclass(frozen=True)
class Periodic:
    """Timed work: ``run(job)`` does what is due and returns when it should run next."""

    name: str
    run: Callable[..., Awaitable[datetime | None]]


@dataclass(frozen=True)
class SuggestionQuery:
    """What an argument-suggestion provider gets: who is typing, and what so far."""

    session: Any  # AsyncSession, read-only use
    person_id: int | None  # None for someone the bot has not met yet
    lang: str
    zone: str  # the person's time zone name, for showing times
    now: datetime
    prefix: str  # what the person has typed in the argument so far


Suggester = Callable[[SuggestionQuery], Awaitable[list[tuple[str, str]]]]


def _with_data(given: Iterable[str], from_data: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*from_data, *given)))


@dataclass
class CommandRegistry:
    """All commands, dialogs and timed jobs, with their aliases."""

    commands: dict[str, Command] = field(default_factory=dict)
    group_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dialogs: dict[str, DialogSpec] = field(default_factory=dict)
    periodic: dict[str, Periodic] = field(default_factory=dict)
    data_providers: list[Any] = field(default_factory=list)
    delivered_hooks: dict[str, Callable[..., Awaitable[None]]] = field(default_factory=dict)
    statistics: dict[str, Callable[..., Awaitable[Any]]] = field(default_factory=dict)
    crisis_hooks: list[Callable[..., Awaitable[None]]] = field(default_factory=list)
    suggesters: dict[tuple[str, str], Suggester] = field(default_factory=dict)
    signal_listeners: dict[str, list[Handler]] = field(default_factory=dict)
    # Features that say who belongs together (bot.core.together): buddies for meal tables.
    pairs_sources: list[PairsSource] = field(default_factory=list)
    # Each command's name per language, from the catalogs: {lang: {"buddy join": "makker tilmeld"}}.
    names: dict[str, dict[str, str]] = field(default_factory=dict)

    def group(self, name: str, aliases: Iterable[str] = ()) -> None:
        """Declare a command group (``checkin``); its aliases (``tjekind``) are data, in
        ``bot/locales/<lang>/aliases.toml`` (``aliases`` adds more, for tests)."""
        self.group_aliases[name] = _with_data(aliases, command_aliases().groups.get(name, ()))

    def command(
        self,
        name: str,
        *,
        role: Role = Role.PARTICIPANT,
        private: bool = False,
        aliases: Iterable[str] = (),
        needs_db: bool = True,
        long_running: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Decorator: register ``handler`` as the command ``name``."""

        def decorate(handler: Handler) -> Handler:
            if name in self.commands:
                raise ValueError(f"command {name!r} registered twice")
            self.commands[name] = Command(
                name=name,
                handler=handler,
                params=params_of(handler),
                role=role,
                private=private,
                aliases=_with_data(aliases, command_aliases().commands.get(name, ())),
                needs_db=needs_db,
                long_running=long_running,
            )
            return handler

        return decorate

    def dialog(
        self, name: str, ask: Callable[..., None] | None = None
    ) -> Callable[[Handler], Handler]:
        """Decorator: register a dialog handler, and how to ask a step's question again."""

        def decorate(handler: Handler) -> Handler:
            self.dialogs[name] = DialogSpec(name, handler, ask)
            return handler

        return decorate

    def steps(self, machine: StepDialog) -> None:
        """Register a dialog declared as its steps (:mod:`bot.core.steps`)."""
        ask = machine.ask if machine.resumes else None
        self.dialogs[machine.name] = DialogSpec(machine.name, machine.handle, ask)

    def every(self, name: str) -> Callable[[Callable[..., Awaitable[datetime | None]]], Any]:
        """Decorator: register timed work."""

        def decorate(run: Callable[..., Awaitable[datetime | None]]) -> Any:
            self.periodic[name] = Periodic(name, run)
            return run

        return decorate

    def on_delivered(self, kind: str) -> Callable[[Handler], Handler]:
        """Decorator: ``hook(job, message, result)`` runs after an outbox row of ``kind``
        was sent, in the same transaction that marks it sent (e.g. to store the id of
        a private space or a video channel the adapter created)."""

        def decorate(hook: Handler) -> Handler:
            self.delivered_hooks[kind] = hook
            return hook

        return decorate

    def stats(self, capability: str) -> Callable[[Handler], Handler]:
        """Decorator: ``async def aggregates(session, since, until) -> list[StatTable]``
        gives a capability's anonymised tables (``bot.core.tables``: counts, means with
        their number of answers, durations — never names) for statistics and exports."""

        def decorate(provider: Handler) -> Handler:
            self.statistics[capability] = provider
            return provider

        return decorate

    def suggest(self, command: str, param: str) -> Callable[[Suggester], Suggester]:
        """Decorator: ``async def provider(query) -> [(label, value), ...]`` suggests values
        for argument ``param`` of ``command`` (a command name, or a group for all of its
        subcommands), for platforms that offer completion while typing."""

        def decorate(provider: Suggester) -> Suggester:
            self.suggesters[(command, param)] = provider
            return provider

        return decorate

    def suggester(self, command: str, param: str) -> Suggester | None:
        """The provider for an argument of a command, declared for it or for its group."""
        found = self.suggesters.get((command, param))
        return found or self.suggesters.get((command.split(" ")[0], param))

    def on_crisis(self, hook: Handler) -> Handler:
        """Decorator: ``hook(ctx)`` runs, in the message's unit of work, when a direct
        message or command contained a crisis phrase (after the crisis lines are queued)."""
        self.crisis_hooks.append(hook)
        return hook

    def on_signal(self, kind: type) -> Callable[[Handler], Handler]:
        """Decorator: ``listener(writer, signal)`` runs in the announcer's unit of work
        whenever a feature announces a signal of ``kind`` (see ``bot.core.signals``)."""

        def decorate(listener: Handler) -> Handler:
            self.signal_listeners.setdefault(kind.__name__, []).append(listener)
            return listener

        return decorate

    def pairs_source(self, source: PairsSource) -> PairsSource:
        """Decorator: ``source(session, person_ids)`` names the pairs among those people
        (see ``bot.core.together``)."""
        self.pairs_sources.append(source)
        return source

    def personal_data(self, provider: Any) -> None:
        """Register an object with ``export(session, person_id)`` and ``erase(...)``."""
        self.data_providers.append(provider)

    def merge(self, other: CommandRegistry) -> None:
        """Take everything from a staged registry (used so a failing setup adds nothing)."""
        clash = set(self.commands) & set(other.commands)
        if clash:
            raise ValueError(f"commands registered twice: {sorted(clash)}")
        self.commands.update(other.commands)
        self.group_aliases.update(other.group_aliases)
        self.dialogs.update(other.dialogs)
        self.periodic.update(other.periodic)
        self.delivered_hooks.update(other.delivered_hooks)
        self.statistics.update(other.statistics)
        self.crisis_hooks.extend(other.crisis_hooks)
        self.suggesters.update(other.suggesters)
        self.data_providers.extend(other.data_providers)
        for kind, listeners in other.signal_listeners.items():
            self.signal_listeners.setdefault(kind, []).extend(listeners)
        self.pairs_sources.extend(other.pairs_sources)

    # ---------------------------------------------------------------- names per language

    def learn_names(self, catalogs: Mapping[str, Mapping[str, str]]) -> None:
        """Take each command's name in each language (``command.<key>``) from the catalogs.

        A name has as many words as the command (``makker tilmeld`` for ``buddy join``);
        one that does not is ignored, so a slip in a catalog cannot break a command.
        """
        for lang, messages in catalogs.items():
            for name, command in self.commands.items():
                local = messages.get(f"command.{command.key}", "").casefold().split()
                if len(local) == len(name.split(" ")):
                    self.names.setdefault(lang, {})[name] = " ".join(local)

    def name_in(self, lang: str, command: str) -> str:
        """A command's or a group's name in ``lang`` (the canonical name if it has none)."""
        local = self.names.get(lang, {})
        if command in local:
            return local[command]
        for name, words in local.items():
            if name.split(" ")[0] == command:
                return words.split(" ")[0]
        return command

    def _local_heads(self) -> dict[str, str]:
        heads: dict[str, str] = {}
        for local in self.names.values():
            for name, words in local.items():
                heads.setdefault(words.split(" ")[0], name.split(" ")[0])
        return heads

    def _local_subs(self, command: Command) -> set[str]:
        return {
            local[command.name].split(" ")[1]
            for local in self.names.values()
            if command.name in local and " " in command.name
        }

    # ---------------------------------------------------------------- lookup

    def _words(self) -> dict[str, str]:
        """Every first word a user may type, mapped to its canonical group/command."""
        words: dict[str, str] = dict(self._local_heads())
        for name, command in self.commands.items():
            head = name.split(" ")[0]
            words[head] = head
            if " " not in name:
                for alias in command.aliases:
                    words[alias] = head
        for group, aliases in self.group_aliases.items():
            words[group] = group
            for alias in aliases:
                words[alias] = group
        return words

    def resolve(self, tokens: list[Token]) -> tuple[Command | None, int, str]:
        """Find the command the tokens name.

        Returns (command, tokens used, canonical head). With an unknown
        subcommand the command is None and the head names the group.
        """
        if not tokens:
            return None, 0, ""
        head = self._words().get(tokens[0].text.casefold())
        if head is None:
            return None, 0, ""
        if len(tokens) > 1:
            sub = tokens[1].text.casefold()
            members = [
                (name.split(" ")[1], command)
                for name, command in self.commands.items()
                if name.startswith(head + " ")
            ]
            # The canonical word first, then a language's name, then the other aliases.
            for found in (
                [c for word, c in members if word == sub],
                [c for _, c in members if sub in self._local_subs(c)],
                [c for _, c in members if sub in c.aliases],
            ):
                if found:
                    return found[0], 2, head
        whole = self.commands.get(head)
        if whole is not None:
            return whole, 1, head
        return None, 1, head

    def subcommands(self, head: str) -> list[Command]:
        return [c for n, c in self.commands.items() if n.split(" ")[0] == head]

    def heads(self) -> list[str]:
        return sorted({name.split(" ")[0] for name in self.commands})

    def all_words(self) -> list[str]:
        return sorted(self._words())

    def canonical(self, word: str) -> str | None:
        return self._words().get(word.casefold())


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(converter, optional) from an annotation like ``Annotated[int, IntRange(1, 5)] | None``."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        return (extras[0] if extras else base), optional
    return annotation, optional


def params_of(handler: Handler) -> tuple[Param, ...]:
    """The typed parameters of a handler after its ``ctx`` argument."""
    hints = typing.get_type_hints(handler, include_extras=True)
    signature = inspect.signature(handler)
    params = []
    for index, (name, parameter) in enumerate(signature.parameters.items()):
        if index == 0:
            continue
        converter, optional = _unwrap(hints.get(name, str))
        required = parameter.default is inspect.Parameter.empty and not optional
        default = None if parameter.default is inspect.Parameter.empty else parameter.default
        params.append(
            Param(
                name=name,
                converter=converter,
                required=required,
                default=default,
                rest=isinstance(converter, Rest),
            )
        )
    return tuple(params)
