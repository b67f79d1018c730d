"""Makes the adapters a config asks for."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

from bot.adapters.base import Adapter
from bot.config import Config, ConfigError, Problem
from bot.core.i18n import Translator
from bot.core.registry import CommandRegistry

ADAPTER_MODULES = {
    "console": "bot.adapters.console:ConsoleAdapter",
    "matrix": "bot.adapters.matrix:MatrixAdapter",
    "discord": "bot.adapters.discord:DiscordAdapter",
}


def make_adapters(
    config: Config,
    choice: str = "all",
    *,
    registry: CommandRegistry | None = None,
    translator: Translator | None = None,
) -> list[Adapter]:
    """The adapters to run: the configured ones, or the one named by ``choice``.

    Adapters that take the registry or the translator (to build slash commands)
    get the same ones the core uses.
    """
    names = config.adapters() if choice == "all" else [choice]
    adapters: list[Adapter] = []
    for name in names:
        if name == "matrix" and config.matrix is None:
            raise ConfigError([_missing_section("matrix", "Matrix")])
        if name == "discord" and config.discord is None:
            raise ConfigError([_missing_section("discord", "Discord")])
        module_name, class_name = ADAPTER_MODULES[name].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            raise ConfigError(
                [
                    Problem(
                        "adapter_unavailable",
                        {"name": name},
                        f"{name}: this adapter is not available yet",
                    )
                ]
            ) from None
        factory: Callable[..., Adapter] = getattr(module, class_name)
        accepted = inspect.signature(factory).parameters
        shared: dict[str, CommandRegistry | Translator] = {}
        if registry is not None and "registry" in accepted:
            shared["registry"] = registry
        if translator is not None and "translator" in accepted:
            shared["translator"] = translator
        adapters.append(factory(config, **shared))
    return adapters


def _missing_section(section: str, name: str) -> Problem:
    return Problem(
        "adapter_section",
        {"section": section},
        f"{section}: add a [{section}] section to use the {name} adapter",
    )
