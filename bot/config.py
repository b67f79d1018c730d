"""Configuration: TOML loaded into validated, frozen pydantic models.

Unknown keys are errors with a did-you-mean; secrets are never in the file,
only the names of environment variables that hold them (``*_env`` keys).
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator

from bot.config_problems import (
    ConfigError,
    _problem,
    config_warnings,
    dangerous_problems,
    dangerous_settings,
    describe_errors,
    describe_problems,
    warning_problems,
)
from bot.config_values import (
    LANGUAGES,
    SMALLEST_GROUP,
    Duration,
    EnvName,
    KeyedValueError,
    Language,
    LocalTime,
    Problem,
    Section,
    TimeZone,
    parse_duration,
)
from bot.core.quiet import parse_quiet_hours

# The sections are here; the value types (and Problem) are in bot.config_values and the
# reporting of problems in bot.config_problems. Both are named here too, where the rest of
# the code has always found them.
__all__ = [
    "LANGUAGES",
    "SMALLEST_GROUP",
    "Config",
    "ConfigError",
    "Problem",
    "config_warnings",
    "dangerous_settings",
    "describe_errors",
    "load_config",
    "parse_config",
    "parse_duration",
    "secret_from_env",
    "warning_problems",
]


class CommunityConfig(Section):
    name: str = "Samvær"
    timezone: TimeZone = "Europe/Copenhagen"
    language: Language = "da"
    country: Literal["dk", "no", "gb", "other"] = "dk"


def _database_url(value: Any) -> str:
    if not isinstance(value, str):
        raise KeyedValueError(
            "bad_database_url", 'must be a URL like "sqlite+aiosqlite:///samvaer.db"'
        )
    parts = urlsplit(value)
    if parts.password or "password" in parse_qs(parts.query):
        raise KeyedValueError(
            "database_url_password",
            "holds a password, and this file is no place for secrets: put the whole URL in an "
            "environment variable and name that variable in url_env (the value is not shown)",
        )
    return value


class DatabaseConfig(Section):
    url: Annotated[str, BeforeValidator(_database_url)] = "sqlite+aiosqlite:///samvaer.db"
    url_env: EnvName = ""
    echo: bool = False

    def resolved_url(self) -> str:
        """The URL to connect to: from the named environment variable when set."""
        if self.url_env:
            value = os.environ.get(self.url_env, "")
            if value:
                return value
        return self.url


class ConsoleConfig(Section):
    enabled: bool = False
    user: str = "you"
    prefix: str = "!"
    export_dir: str = "exports"


class MatrixConfig(Section):
    homeserver: str
    user_id: str
    password_env: EnvName = ""
    access_token_env: EnvName = ""
    device_name: str = "samvaer"
    store_path: str = "matrix-store"
    prefix: str = "!"
    encryption: bool = False
    allowed_servers: tuple[str, ...] = ()
    organiser_power_level: int = 100
    volunteer_power_level: int = 50
    invites_per_inviter_per_day: int = Field(default=5, ge=0, le=1000)
    invites_per_day: int = Field(default=200, ge=0, le=100_000)
    idle_room_days: int = Field(default=7, ge=1, le=365)

    @model_validator(mode="after")
    def _one_secret(self) -> MatrixConfig:
        if bool(self.password_env) == bool(self.access_token_env):
            raise KeyedValueError(
                "one_matrix_secret", "set exactly one of password_env or access_token_env"
            )
        return self


class DiscordConfig(Section):
    token_env: EnvName = "SAMVAER_DISCORD_TOKEN"  # noqa: S105 - a variable name, not a secret
    guild_ids: tuple[int, ...] = ()
    prefix: str = "!"
    buddy_channel_id: int = 0
    meal_voice_category_id: int = 0
    # REST requests a second; Discord allows a bot 50 (answers to interactions aside).
    requests_per_second: float = Field(default=48.0, gt=0, le=50)


class RolesConfig(Section):
    organisers: tuple[str, ...] = ()
    volunteers: tuple[str, ...] = ()


class CheckinsConfig(Section):
    note_max_length: int = Field(default=500, ge=10, le=4000)
    low_mood_max: int = Field(default=2, ge=1, le=4)
    low_mood_streak: int = Field(default=2, ge=1, le=30)
    missed_days_alert: int = Field(default=3, ge=1, le=60)
    missed_days_warm_word: int = Field(default=2, ge=1, le=60)
    history_days: int = Field(default=30, ge=1, le=365)


class BuddiesConfig(Section):
    match_at: LocalTime = "10:00"
    max_capacity: int = Field(default=3, ge=1, le=20)
    proposal_timeout: Duration = timedelta(days=3)
    followup_days: int = Field(default=7, ge=1, le=60)
    reports_per_day: int = Field(default=3, ge=1, le=100)
    waiting_reminder_days: int = Field(default=14, ge=7, le=90)
    term_months: int = Field(default=4, ge=1, le=24)
    extension_notice_days: int = Field(default=14, ge=1, le=60)


class MealsConfig(Section):
    table_size: int = Field(default=6, ge=2, le=50)
    default_capacity: int = Field(default=12, ge=1, le=1000)
    default_minutes: int = Field(default=60, ge=10, le=600)
    reminders_before: tuple[Duration, ...] = (timedelta(hours=24), timedelta(minutes=15))
    jitsi_base_url: str = "https://meet.jit.si"
    element_call_base_url: str = "https://call.element.io"
    list_days: int = Field(default=14, ge=1, le=90)
    title_max_length: int = Field(default=80, ge=5, le=200)
    # A seat freed this close to the start is offered to the next on the waiting list, who
    # has offer_length to say yes; earlier, the next simply gets it.
    offer_window: Duration = timedelta(hours=48)
    offer_length: Duration = timedelta(hours=4)
    maybe_reminder_before: Duration = timedelta(hours=24)  # one reminder to a "maybe"
    minimum_check_before: Duration = timedelta(hours=24)  # too few joined: the host is asked


def _months(value: Any) -> Any:
    months = list(value) if isinstance(value, list | tuple) else value
    if isinstance(months, list) and (
        any(not isinstance(m, int) or not 1 <= m <= 36 for m in months)
        or months != sorted(set(months))
    ):
        raise KeyedValueError(
            "bad_months", "give whole months from 1 to 36 in rising order, like [1, 3, 6]"
        )
    return value


class ImpactConfig(Section):
    """The loneliness measure and the volunteers' pulse (docs/impact.md).

    Off unless the organisation turns it on: the answers are health data, and deciding to
    collect them (and saying why, for how long, to whom) is the organisation's to make.
    """

    enabled: bool = False
    # When the questions come again, in months after someone first joined a programme.
    follow_up_months: Annotated[tuple[int, ...], BeforeValidator(_months)] = (1, 3, 6)
    # Never more than one set of questions (or one pulse) in this many days.
    min_days_between: int = Field(default=7, ge=7, le=365)
    # A round not answered within this many days of being due is left out, not chased.
    answer_window_days: int = Field(default=21, ge=1, le=90)
    # After crisis words, no questions for this many days.
    crisis_pause_days: int = Field(default=14, ge=1, le=365)
    volunteer_pulse: bool = True
    # Answers (health data) are deleted this many days after they were given.
    retention_days: int = Field(default=1095, ge=30)


class RetentionConfig(Section):
    checkin_values: int = Field(default=365, ge=1)
    checkin_notes: int = Field(default=90, ge=1)
    meals: int = Field(default=365, ge=1)
    buddies: int = Field(default=730, ge=1)
    reports: int = Field(default=730, ge=1)
    outbox: int = Field(default=30, ge=1)


class PrivacyConfig(Section):
    retention_days: RetentionConfig = RetentionConfig()
    min_group_size: int = SMALLEST_GROUP  # smaller values are refused by load_config


def _clock_time(value: Any) -> Any:
    if value in ("", None):
        return ""
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(value)):
        raise KeyedValueError(
            "bad_time", f'"{value}" is not a time like "11:00"', value=f'"{value}"', example="11:00"
        )
    return value


ClockTime = Annotated[str, BeforeValidator(_clock_time)]


class CrisisLine(Section):
    """A helpline. ``opens``/``closes`` are local times in ``timezone`` (empty: always open).

    An emergency number (``emergency = true``) may leave ``name`` empty: it is then
    called by its name in the person's language.
    """

    name: str = ""
    number: str
    emergency: bool = False
    opens: ClockTime = ""
    closes: ClockTime = ""
    timezone: TimeZone = "Europe/Copenhagen"


def _default_lines() -> dict[str, tuple[CrisisLine, ...]]:
    copenhagen, oslo, london = "Europe/Copenhagen", "Europe/Oslo", "Europe/London"
    return {
        "dk": (
            CrisisLine(
                name="Livslinien",
                number="70 201 201",
                opens="11:00",
                closes="05:00",
                timezone=copenhagen,
            ),
            CrisisLine(number="112", emergency=True, timezone=copenhagen),
        ),
        "no": (
            CrisisLine(name="Mental Helse Hjelpetelefonen", number="116 123", timezone=oslo),
            CrisisLine(name="Kirkens SOS", number="22 40 00 40", timezone=oslo),
            CrisisLine(number="113", emergency=True, timezone=oslo),
        ),
        "gb": (
            CrisisLine(name="Samaritans", number="116 123", timezone=london),
            CrisisLine(number="999", emergency=True, timezone=london),
        ),
    }


def _default_countries() -> dict[str, str]:
    return {"da": "dk", "nb": "no"}


class SafetyConfig(Section):
    crisis_lines: dict[str, tuple[CrisisLine, ...]] = Field(default_factory=_default_lines)
    # Whose lines a person gets, by their language; languages not listed get the
    # community's country (so English speakers in Denmark get the Danish lines).
    language_country: dict[str, str] = Field(default_factory=_default_countries)
    # Phrases added to the shipped files (bot/safety/phrases/<lang>.toml), per language,
    # and whole phrase files in the same format (named <lang>.toml or <lang>.<anything>.toml).
    crisis_phrases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    crisis_phrase_files: tuple[Path, ...] = ()
    # An alert no volunteer has taken by then goes to the organisers.
    alert_escalation_after: Duration = timedelta(hours=2)
    # An alert not delivered to any volunteer by then: the person is told nobody can be
    # reached right now, and the organisers are warned (at most once a day).
    alert_delivery_wait: Duration = timedelta(minutes=5)
    # Crisis words: when the database takes longer than this to answer, the crisis
    # lines go out at once and the rest of the answer follows when it can.
    crisis_reply_wait: Duration = timedelta(seconds=1)
    commands_per_minute: int = Field(default=30, ge=1, le=10_000)
    command_burst: int = Field(default=10, ge=1, le=10_000)


class SchedulingConfig(Section):
    grace: Duration = timedelta(hours=2)
    poll_interval: Duration = timedelta(seconds=30)
    claim_lease: Duration = timedelta(minutes=2)
    batch_size: int = Field(default=200, ge=1, le=10000)
    dialog_timeout: Duration = timedelta(hours=1)


def _quiet_hours(value: str) -> str:
    if value.strip():
        try:
            parse_quiet_hours(value)
        except ValueError:
            raise KeyedValueError(
                "bad_quiet_hours",
                f'"{value}" is not quiet hours like "22:00-08:00"',
                value=value,
            ) from None
    return value.strip()


QuietHoursText = Annotated[str, AfterValidator(_quiet_hours)]


class DeliveryConfig(Section):
    # Sends at once from the outbox (reminders, alerts, announcements); messages to the
    # same person or room still go one after another, in order.
    max_in_flight: int = Field(default=10, ge=1, le=100)
    # No direct message that nobody asked for is sent in these hours, local time
    # (a person may choose their own with "quiet"); "" for none. See bot/core/quiet.py.
    quiet_hours: QuietHoursText = "22:00-08:00"


def _room_refs(value: Any) -> Any:
    for ref in value if isinstance(value, list | tuple) else ():
        platform, _, room_id = str(ref).partition(":")
        if not platform or not room_id:
            raise KeyedValueError(
                "bad_room",
                f'"{ref}" is not a room like "matrix:!id:server" or "discord:123"',
                value=str(ref),
            )
    return value


RoomRefs = Annotated[tuple[str, ...], BeforeValidator(_room_refs)]


class RoomsConfig(Section):
    announcements: RoomRefs = ()
    meals: RoomRefs = ()
    volunteers: RoomRefs = ()
    organisers: RoomRefs = ()
    checkins: RoomRefs = ()


class Config(Section):
    """The whole configuration."""

    community: CommunityConfig = CommunityConfig()
    database: DatabaseConfig = DatabaseConfig()
    console: ConsoleConfig = ConsoleConfig()
    matrix: MatrixConfig | None = None
    discord: DiscordConfig | None = None
    roles: RolesConfig = RolesConfig()
    checkins: CheckinsConfig = CheckinsConfig()
    buddies: BuddiesConfig = BuddiesConfig()
    meals: MealsConfig = MealsConfig()
    impact: ImpactConfig = ImpactConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    safety: SafetyConfig = SafetyConfig()
    scheduling: SchedulingConfig = SchedulingConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    rooms: RoomsConfig = RoomsConfig()

    def adapters(self) -> list[str]:
        """The adapters this config enables; the console when none is configured."""
        names = []
        if self.console.enabled:
            names.append("console")
        if self.matrix is not None:
            names.append("matrix")
        if self.discord is not None:
            names.append("discord")
        return names or ["console"]

    def crisis_lines_for(self, lang: str | None = None) -> tuple[CrisisLine, ...]:
        """The crisis lines for someone speaking ``lang``: their country's, else the
        community's country's, else every known line."""
        lines = self.safety.crisis_lines
        country = self.safety.language_country.get(lang or "", self.community.country)
        for choice in (country, self.community.country):
            if lines.get(choice):
                return lines[choice]
        return tuple(line for group in lines.values() for line in group)


def parse_config(data: dict[str, Any]) -> Config:
    """Validate a parsed TOML document; ConfigError lists every problem."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        community = data.get("community")
        language = community.get("language") if isinstance(community, dict) else None
        raise ConfigError(
            describe_problems(exc), language if language in LANGUAGES else None
        ) from None


def load_config(path: Path | None) -> Config:
    """Load and validate the TOML file, or defaults when there is none.

    Besides the types and ranges, the settings listed by ``dangerous_settings`` are
    refused here, so neither ``check-config`` nor a start accepts them.
    """
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            [
                _problem(
                    str(path),
                    "file_not_found",
                    "file not found (run `samvaer init` to create one)",
                )
            ]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [_problem(str(path), "not_toml", f"not valid TOML: {exc}", error=str(exc))]
        ) from None
    config = parse_config(data)
    problems = dangerous_problems(config)
    if problems:
        raise ConfigError(problems, config.community.language)
    return config


def secret_from_env(variable: str) -> str | None:
    """Read a secret from the environment variable the config names."""
    value = os.environ.get(variable, "")
    return value or None
