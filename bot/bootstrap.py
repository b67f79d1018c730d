"""The one place where dependencies are made and wired: bootstrap()."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapters.base import Adapter, MovesTime
from bot.app import App
from bot.config import Config
from bot.core.clock import Clock, SystemClock
from bot.core.context import JobContext, Services
from bot.core.delivery import OutboxDeliverer
from bot.core.dispatcher import Dispatcher
from bot.core.events import Outgoing, Sender, SendResult
from bot.core.i18n import Translator, load_catalogs
from bot.core.quiet import parse_quiet_hours
from bot.core.quiet_hold import QuietPolicy
from bot.core.registry import CommandRegistry, SuggestionQuery
from bot.db.engine import make_engine, upgrade
from bot.db.uow import UnitOfWorkFactory
from bot.safety.detect import CrisisDetector

log = logging.getLogger("samvaer.bootstrap")

COMMAND_MODULES: tuple[str, ...] = (
    "bot.commands.core",
    "bot.commands.privacy",
    "bot.commands.checkins",
    "bot.commands.safety",
    "bot.commands.buddies",
    "bot.commands.meals",
    "bot.commands.admin",
    "bot.commands.impact",
    "bot.commands.quiet",
)


def build_registry(
    modules: Iterable[str] = COMMAND_MODULES,
    *,
    strict: bool = False,
    catalogs: Mapping[str, Mapping[str, str]] | None = None,
) -> CommandRegistry:
    """Import each command module and run its ``setup(registry)``.

    Each setup runs on a staged registry that is merged only when it succeeds,
    so a failing module leaves nothing half-registered: the bot runs without
    that feature and logs why (``strict`` raises instead).
    """
    registry = CommandRegistry()
    for name in modules:
        try:
            module = importlib.import_module(name)
            staged = CommandRegistry()
            module.setup(staged)
            registry.merge(staged)
        except Exception:
            if strict:
                raise
            log.exception("commands.setup_failed module=%s", name)
    # Each command's name in each language (``command.<key>`` in the catalogs).
    registry.learn_names(load_catalogs() if catalogs is None else catalogs)
    return registry


async def bootstrap(
    config: Config,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    adapters: Sequence[Adapter] = (),
    migrate: bool = True,
    registry: CommandRegistry | None = None,
    translator: Translator | None = None,
) -> App:
    """Make the application from a config; tests pass a fake clock and recording adapters."""
    # An adapter that lets its person move time (the console) brings the clock to use.
    movable = next((a.clock for a in adapters if isinstance(a, MovesTime)), None)
    clock = clock or movable or SystemClock()
    engine = engine or make_engine(config.database.resolved_url(), echo=config.database.echo)
    if migrate:
        await upgrade(engine)
    session_factory = async_sessionmaker(engine, expire_on_commit=False)
    uow = UnitOfWorkFactory(session_factory)
    translator = translator or Translator(load_catalogs(), config.community.language)
    registry = registry or build_registry(catalogs=translator.catalogs)
    prefixes = {"console": config.console.prefix, "test": "!"}
    if config.matrix is not None:
        prefixes["matrix"] = config.matrix.prefix
    if config.discord is not None:
        prefixes["discord"] = config.discord.prefix
    safety = config.safety
    services = Services(
        config=config,
        clock=clock,
        translator=translator,
        registry=registry,
        prefixes=prefixes,
        crisis=CrisisDetector.from_files(
            extra=safety.crisis_phrases, extra_files=safety.crisis_phrase_files
        ),
    )
    app_adapters: dict[str, Adapter] = {}

    async def on_delivered(
        session: AsyncSession, kind: str, message: Outgoing, result: SendResult
    ) -> None:
        hook = registry.delivered_hooks.get(kind)
        if hook is not None:
            await hook(JobContext(services, session, clock.now()), message, result)

    deliverer = OutboxDeliverer(
        uow,
        clock,
        grace=config.scheduling.grace,
        lease=config.scheduling.claim_lease,
        batch_size=config.scheduling.batch_size,
        platforms=lambda: set(app_adapters),
        on_delivered=on_delivered,
        max_in_flight=config.delivery.max_in_flight,
        quiet=QuietPolicy(
            parse_quiet_hours(config.delivery.quiet_hours) if config.delivery.quiet_hours else None,
            config.community.timezone,
        ),
    )
    app = App(
        services=services,
        engine=engine,
        uow=uow,
        dispatcher=Dispatcher(services, uow),
        deliverer=deliverer,
        adapters=app_adapters,
    )

    async def suggest(
        sender: Sender, command: str, param: str, prefix: str
    ) -> list[tuple[str, str]]:
        """Values to offer while someone types an argument (read-only: meets nobody new)."""
        provider = registry.suggester(command, param)
        if provider is None:
            return []
        from bot.db.models import Account, Person
        from bot.people.service import language_from_locale

        async with uow() as unit:
            found = await unit.session.execute(
                select(Person)
                .join(Account, Account.person_id == Person.id)
                .where(Account.platform == sender.platform, Account.external_id == sender.user_id)
            )
            person = found.scalars().first()
            lang = (
                (person.language if person else None)
                or language_from_locale(sender.locale)
                or config.community.language
            )
            query = SuggestionQuery(
                session=unit.session,
                person_id=person.id if person is not None else None,
                lang=lang,
                zone=(person.timezone if person else None) or config.community.timezone,
                now=clock.now(),
                prefix=prefix,
            )
            return await provider(query)

    for adapter in adapters:
        app.add_adapter(adapter)
        use_suggestions = getattr(adapter, "use_suggestions", None)
        if use_suggestions is not None:  # platforms that complete arguments while typing
            use_suggestions(suggest)
        use_privacy_check = getattr(adapter, "use_privacy_check", None)
        if use_privacy_check is not None:  # platforms that pick visibility before answering
            use_privacy_check(app.dispatcher.must_be_private)
    return app
