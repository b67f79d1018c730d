from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load_config, parse_config, parse_duration


def test_defaults_run_console_on_sqlite() -> None:
    config = Config()
    assert config.adapters() == ["console"]
    assert config.database.resolved_url().startswith("sqlite+aiosqlite")
    assert config.community.timezone == "Europe/Copenhagen"
    assert config.meals.reminders_before == (timedelta(hours=24), timedelta(minutes=15))


def test_example_config_is_valid() -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "config.example.toml")
    assert config.community.language == "da"


def test_bad_duration_names_the_key_path() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"meals": {"reminders_before": ["24h", "15x"]}})
    assert error.value.problems == [
        'meals.reminders_before[1]: "15x" is not a duration like "15m" or "24h"'
    ]


def test_unknown_key_suggests_the_nearest() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"meals": {"table_sise": 4}, "comunity": {}})
    problems = "\n".join(error.value.problems)
    assert 'meals.table_sise: unknown key — did you mean "table_size"?' in problems
    assert 'comunity: unknown key — did you mean "community"?' in problems


def test_matrix_needs_exactly_one_secret_env() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"matrix": {"homeserver": "http://127.0.0.1:8008", "user_id": "@b:x"}})
    assert "password_env or access_token_env" in error.value.problems[0]


def test_unknown_timezone() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"community": {"timezone": "Europe/Atlantis"}})
    assert error.value.problems[0].startswith("community.timezone:")


def test_secrets_are_not_accepted_in_the_file() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"discord": {"token": "abc"}})
    assert "discord.token: unknown key" in error.value.problems[0]


def test_duration_parser() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("7d") == timedelta(days=7)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")
