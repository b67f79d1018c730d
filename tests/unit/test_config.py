from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import (
    Config,
    ConfigError,
    config_warnings,
    load_config,
    parse_config,
    parse_duration,
)


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


# ------------------------------------------------------------ dangerous settings refused

MATRIX = (
    '[matrix]\nhomeserver = "https://m.example.org"\n'
    'user_id = "@bot:example.org"\npassword_env = "PW"\n'
)
DISCORD = "[discord]\nguild_ids = [123456789012345678]\n"
VOLUNTEERS = '[rooms]\nvolunteers = ["matrix:!vol:example.org"]\n'


def _load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, text)
    return "\n".join(refused.value.problems)


def test_discord_without_guild_ids_is_refused(tmp_path: Path) -> None:
    problems = _refused(tmp_path, '[discord]\ntoken_env = "SAMVAER_DISCORD_TOKEN"\n' + VOLUNTEERS)
    assert "discord.guild_ids" in problems
    assert "guild_ids = [" in problems  # says the fix
    _load(tmp_path, DISCORD + VOLUNTEERS)


@pytest.mark.parametrize(
    ("levels", "key"),
    [
        ("organiser_power_level = 0\n", "matrix.organiser_power_level"),
        ("organiser_power_level = -10\nvolunteer_power_level = -20\n", "organiser_power_level"),
        ("organiser_power_level = 40\nvolunteer_power_level = 50\n", "organiser_power_level"),
        ("organiser_power_level = 50\nvolunteer_power_level = 50\n", "organiser_power_level"),
        ("volunteer_power_level = 0\n", "matrix.volunteer_power_level"),
    ],
)
def test_matrix_power_levels_that_make_everyone_powerful_are_refused(
    tmp_path: Path, levels: str, key: str
) -> None:
    problems = _refused(tmp_path, MATRIX + levels + VOLUNTEERS)
    assert key in problems
    assert "100" in problems  # the fix: organisers at 100
    _load(
        tmp_path, MATRIX + "organiser_power_level = 100\nvolunteer_power_level = 50\n" + VOLUNTEERS
    )


@pytest.mark.parametrize("size", [-1, 0, 1, 4])
def test_statistics_groups_under_five_are_refused(tmp_path: Path, size: int) -> None:
    problems = _refused(tmp_path, f"[privacy]\nmin_group_size = {size}\n")
    assert "privacy.min_group_size" in problems
    assert "5" in problems
    _load(tmp_path, "[privacy]\nmin_group_size = 5\n")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[console]\nprefix = ""\n', "console.prefix"),
        ('[console]\nprefix = "  "\n', "console.prefix"),
        (MATRIX + 'prefix = ""\n' + VOLUNTEERS, "matrix.prefix"),
        (DISCORD + 'prefix = ""\n' + VOLUNTEERS, "discord.prefix"),
    ],
)
def test_an_empty_command_prefix_is_refused(tmp_path: Path, text: str, key: str) -> None:
    problems = _refused(tmp_path, text)
    assert key in problems
    assert 'prefix = "!"' in problems


@pytest.mark.parametrize("key", ["jitsi_base_url", "element_call_base_url"])
@pytest.mark.parametrize(
    "url", ["http://meet.example.org", "ftp://meet.example.org", "meet.example.org", "javascript:x"]
)
def test_a_video_base_that_is_not_https_is_refused(tmp_path: Path, key: str, url: str) -> None:
    problems = _refused(tmp_path, f'[meals]\n{key} = "{url}"\n')
    assert f"meals.{key}" in problems
    assert "https://" in problems
    assert url not in problems  # a URL value is never repeated
    _load(tmp_path, f'[meals]\n{key} = "https://meet.example.org"\n')


def test_every_dangerous_setting_is_listed_at_once(tmp_path: Path) -> None:
    problems = _refused(
        tmp_path,
        '[console]\nprefix = ""\n[privacy]\nmin_group_size = 1\n[meals]\njitsi_base_url = "http://x"\n',
    )
    assert problems.count("\n") == 2


def test_alerts_with_nowhere_to_go_are_a_warning_not_a_refusal(tmp_path: Path) -> None:
    config = _load(tmp_path, DISCORD)
    warned = config_warnings(config)
    assert warned == [
        "rooms.volunteers: sharing is on but no volunteers room or volunteer is configured, "
        "so alerts have nowhere to go; bind a volunteers room ([rooms] volunteers = "
        '["discord:<channel id>"]) or list volunteers in [roles] volunteers'
    ]
    assert config_warnings(_load(tmp_path, DISCORD + VOLUNTEERS)) == []
    assert (
        config_warnings(_load(tmp_path, DISCORD + '[roles]\nvolunteers = ["discord-role:1"]\n'))
        == []
    )
    assert config_warnings(Config()) == []  # the console demo makes volunteers with :as


ROOT = Path(__file__).resolve().parents[2]


def test_the_documented_examples_pass_the_safety_checks(tmp_path: Path) -> None:
    # config.example.toml with its commented-out [matrix] and [discord] sections turned on
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    lines = example.splitlines()
    turned_on = []
    section_on = False
    for line in lines:
        if line.startswith(("# [matrix]", "# [discord]")):
            section_on = True
        elif not line.startswith("# "):
            section_on = False
        if section_on and not line.startswith("# access_token_env"):
            line = line.removeprefix("# ")
            line = line.split(" # or access_token_env")[0]
        turned_on.append(line)
    config = _load(tmp_path, "\n".join(turned_on))
    assert config.matrix is not None
    assert config.discord is not None
    # the ```toml blocks in the guides
    for guide in ("discord.md", "matrix.md"):
        text = (ROOT / "docs" / guide).read_text(encoding="utf-8")
        blocks = text.split("```toml\n")[1:]
        assert blocks, guide
        for block in blocks:
            _load(tmp_path, block.split("```")[0])
