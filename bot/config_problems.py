"""Reporting a config file's problems: pydantic's errors as keyed lines with a
did-you-mean, and the settings refused or warned about because they would hand power
or personal data to the wrong people.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from bot.config_values import _QUIET_KEYS, SMALLEST_GROUP, KeyedValueError, Problem, Section

if TYPE_CHECKING:
    from bot.config import Config


class ConfigError(Exception):
    """A config file with problems; ``problems`` holds one English line per problem,
    ``items`` the same as :class:`Problem` values to show in the operator's language, and
    ``language`` the file's ``[community] language`` when it could be read."""

    def __init__(self, problems: list[str] | list[Problem], language: str | None = None) -> None:
        self.items = [p if isinstance(p, Problem) else Problem("", {}, p) for p in problems]
        self.problems = [p.english for p in self.items]
        self.language = language
        super().__init__("\n".join(self.problems))


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            # pydantic adds the union branch or validator name; skip those.
            if part.startswith(("function-", "union[", "tagged-union[")):
                continue
            path += f".{part}" if path else part
    return path


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    from bot.config import Config  # here, not above: bot.config reports through this module

    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            return []
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
    return list(model.model_fields) if model is not None else []


# pydantic error types with a text of their own in the catalogs (cli.config.type.<type>).
_TYPED_ERRORS = frozenset(
    {
        "int_parsing",
        "int_type",
        "int_from_float",
        "float_parsing",
        "float_type",
        "bool_parsing",
        "bool_type",
        "string_type",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "literal_error",
        "list_type",
        "tuple_type",
        "dict_type",
        "model_type",
    }
)


def _problem(path: str, key: str, english: str, **values: str) -> Problem:
    line = f"{path}: {english}" if path else english
    return Problem(key, {"path": path, **values}, line)


def describe_problems(error: ValidationError) -> list[Problem]:
    """Turn pydantic errors into ``key.path: problem`` items with did-you-mean hints."""
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        path = _key_path(loc)
        kind = item["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            close = difflib.get_close_matches(key, _known_keys(loc), n=1)
            if close:
                english = f'unknown key — did you mean "{close[0]}"?'
                problems.append(_problem(path, "unknown_key_hint", english, close=close[0]))
            else:
                problems.append(_problem(path, "unknown_key", "unknown key"))
            continue
        message = str(item["msg"]).removeprefix("Value error, ")
        ctx = item.get("ctx") or {}
        if kind == "missing":
            problems.append(_problem(path, "required", "is required"))
            continue
        if kind == "value_error":
            error_value = ctx.get("error")
            if isinstance(error_value, KeyedValueError):
                problems.append(
                    _problem(path, error_value.key, error_value.english, **error_value.values)
                )
            else:
                problems.append(_problem(path, "", message))
            continue
        shown = ""
        if "input" in item and not any(
            isinstance(part, str) and _QUIET_KEYS.search(part) for part in loc
        ):
            shown = f"{item['input']!r}: "
        values = {name: str(value) for name, value in ctx.items()}
        if kind == "literal_error":
            # pydantic joins the choices with an English "or"; the catalogs get a plain list.
            values["choices"] = values.get("expected", "").replace(" or ", ", ")
        key = f"type.{kind}" if kind in _TYPED_ERRORS else ""
        problems.append(_problem(path, key, shown + message, input=shown, **values))
    return problems


def describe_errors(error: ValidationError) -> list[str]:
    """Turn pydantic errors into ``key.path: problem`` lines with did-you-mean hints."""
    return [problem.english for problem in describe_problems(error)]


def dangerous_settings(config: Config) -> list[str]:
    """Settings that would hand power or personal data to the wrong people, each with the fix.

    ``load_config`` (so ``samvaer check-config`` and every start) refuses them.
    """
    return [problem.english for problem in dangerous_problems(config)]


def dangerous_problems(config: Config) -> list[Problem]:
    """:func:`dangerous_settings` as :class:`Problem` items."""
    problems = []
    if config.discord is not None and not config.discord.guild_ids:
        problems.append(
            _problem(
                "discord.guild_ids",
                "empty_guild_ids",
                "is empty, so anyone who adds the bot to a server of their own "
                "could make themselves organiser there and read crisis alerts; list the servers "
                "you serve: guild_ids = [123456789012345678] (Server Settings → Widget, or "
                "right-click the server → Copy Server ID)",
            )
        )
    if config.matrix is not None:
        organiser = config.matrix.organiser_power_level
        volunteer = config.matrix.volunteer_power_level
        if organiser <= 0:
            problems.append(
                _problem(
                    "matrix.organiser_power_level",
                    "organiser_level_zero",
                    f"is {organiser}, so every member of a bound "
                    "room (power level 0) would be an organiser; use organiser_power_level = 100 "
                    "(room admins)",
                    value=str(organiser),
                )
            )
        elif organiser <= volunteer:
            problems.append(
                _problem(
                    "matrix.organiser_power_level",
                    "organiser_level_low",
                    f"is {organiser}, not above "
                    f"volunteer_power_level ({volunteer}), so every volunteer would be an "
                    "organiser; use organiser_power_level = 100 and volunteer_power_level = 50",
                    value=str(organiser),
                    volunteer=str(volunteer),
                )
            )
        if volunteer <= 0:
            problems.append(
                _problem(
                    "matrix.volunteer_power_level",
                    "volunteer_level_zero",
                    f"is {volunteer}, so every member of a bound room "
                    "(power level 0) would be a volunteer and receive crisis alerts; use "
                    "volunteer_power_level = 50 (moderators), below organiser_power_level = 100",
                    value=str(volunteer),
                )
            )
    if config.privacy.min_group_size < SMALLEST_GROUP:
        problems.append(
            _problem(
                "privacy.min_group_size",
                "small_groups",
                f"is {config.privacy.min_group_size}; counts of fewer than "
                f"{SMALLEST_GROUP} people can single someone out in statistics; use "
                f"min_group_size = {SMALLEST_GROUP} or more",
                value=str(config.privacy.min_group_size),
                smallest=str(SMALLEST_GROUP),
            )
        )
    sections: list[tuple[str, Section | None]] = [
        ("console", config.console),
        ("matrix", config.matrix),
        ("discord", config.discord),
    ]
    for name, section in sections:
        if section is not None and not str(getattr(section, "prefix", "!")).strip():
            problems.append(
                _problem(
                    f"{name}.prefix",
                    "empty_prefix",
                    "is empty, so every message in a room would be read as a "
                    'command; use prefix = "!"',
                )
            )
    for key in ("jitsi_base_url", "element_call_base_url"):
        if not str(getattr(config.meals, key)).startswith("https://"):
            # The value is not repeated: a URL may carry a secret.
            problems.append(
                _problem(
                    f"meals.{key}",
                    "meal_link_https",
                    "must start with https://, so that meal links cannot be read "
                    "or changed on the way; use the https address of the video service",
                )
            )
    return problems


def config_warnings(config: Config) -> list[str]:
    """Settings that work but are probably not what was meant (shown, not refused)."""
    return [problem.english for problem in warning_problems(config)]


def warning_problems(config: Config) -> list[Problem]:
    """:func:`config_warnings` as :class:`Problem` items."""
    warnings = []
    platforms = [p for p in ("matrix", "discord") if getattr(config, p) is not None]
    # Where a check-in alert goes: the volunteers' rooms, else every volunteer or organiser
    # privately (from [roles], Discord roles, or Matrix power levels in bound rooms).
    matrix_rooms_bound = any(
        ref.startswith("matrix:")
        for feature in ("announcements", "meals", "volunteers", "organisers", "checkins")
        for ref in getattr(config.rooms, feature)
    )
    someone = (
        config.rooms.volunteers
        or config.roles.volunteers
        or config.roles.organisers
        or (config.matrix is not None and matrix_rooms_bound)
    )
    if platforms and not someone:
        room = "discord:<channel id>" if platforms[-1] == "discord" else "matrix:<room id>"
        warnings.append(
            _problem(
                "rooms.volunteers",
                "no_volunteers",
                "sharing is on but no volunteers room or volunteer is "
                "configured, so alerts have nowhere to go; bind a volunteers room ([rooms] "
                f'volunteers = ["{room}"]) or list volunteers in [roles] volunteers',
                # The TOML to write stays as it is in every language.
                bind=f'[rooms] volunteers = ["{room}"]',
                roles="[roles] volunteers",
            )
        )
    return warnings
