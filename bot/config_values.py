"""The value types of the configuration: durations, clock times, time zones, names of
environment variables, and the problems a wrong value is reported as.

Every validator here raises :class:`KeyedValueError`, whose key names its text in the
catalogs (``cli.config.<key>``), so the operator reads the problem in their language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict


@dataclass(frozen=True)
class Problem:
    """One problem or warning in a config file: a catalog key (``cli.config.<key>``), the
    values its text takes, and the same line in English (for logs, tests and fallback)."""

    key: str
    values: dict[str, str]
    english: str

    def __str__(self) -> str:
        return self.english


class KeyedValueError(ValueError):
    """A validator's ValueError that names its message in the catalogs."""

    def __init__(self, key: str, english: str, **values: str) -> None:
        super().__init__(english)
        self.key = key
        self.values = values
        self.english = english


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise KeyedValueError(
            "bad_zone", f'"{value}" is not a time zone like "Europe/Copenhagen"', value=value
        ) from exc
    return value


TimeZone = Annotated[str, AfterValidator(_known_zone)]

LANGUAGES = ("da", "nb", "en")
SMALLEST_GROUP = 5  # statistics never show a count of fewer people than this
Language = Literal["da", "nb", "en"]

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """Parse ``"15m"``, ``"24h"``, ``"7d"`` into a timedelta; ValueError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise KeyedValueError(
            "bad_duration", f'"{text}" is not a duration like "15m" or "24h"', value=f'"{text}"'
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise KeyedValueError(
            "bad_duration", f'{value!r} is not a duration like "15m" or "24h"', value=repr(value)
        )
    return parse_duration(value)


Duration = Annotated[timedelta, BeforeValidator(_duration)]
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _hhmm(value: Any) -> str:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise KeyedValueError(
            "bad_time", f'{value!r} is not a time like "10:00"', value=repr(value), example="10:00"
        )
    return value


LocalTime = Annotated[str, BeforeValidator(_hhmm)]
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _env_name(value: Any) -> str:
    # Never put the value into the message: a wrong value here is most often the secret itself.
    if not isinstance(value, str) or (value and not _ENV_NAME.match(value)):
        raise KeyedValueError(
            "bad_env_name",
            "must be the name of an environment variable (capital letters, digits and _, "
            "like SAMVAER_MATRIX_PASSWORD), not the secret itself; put the secret in that "
            "variable (the value given is not shown)",
        )
    return value


EnvName = Annotated[str, BeforeValidator(_env_name)]
# Keys whose values are never repeated in an error message: they may hold a secret.
_QUIET_KEYS = re.compile(r"url|_env|token|password|secret|homeserver", re.IGNORECASE)


class Section(BaseModel):
    """Base for every config section: frozen, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)
