"""Secrets and files, tried as an attacker with a shell account, a log reader or a typo would.

Each test fails if a secret shows up where someone other than the operator can
read it: a log line (including a traceback), the output of ``check-config``, a
file or folder other local users may open, or the SQL echo.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.adapters.matrix import MatrixAdapter
from bot.adapters.matrix_rules import Session, StateStore
from bot.cli import _secrets
from bot.config import ConfigError, parse_config
from bot.db.engine import make_engine
from bot.logs import configure_logging

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "S3cr3t-Distinctive-Passw0rd-4711"
TOKEN = "syt_c2FtdmFlcg_DistinctiveSessionToken_0a1b2c"
NOTE = "I told nobody that I cried all weekend"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _samvaer(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command, started with the permissive umask most servers have (022)."""
    command = " ".join(["umask 022;", "exec", sys.executable, "-m", "bot", *args])
    return subprocess.run(
        ["/bin/sh", "-c", command],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(cwd), **(env or {})},
    )


@pytest.fixture
def logged(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """The process's own logging set-up for one test, put back afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    libraries = ("nio", "discord", "apscheduler", "aiosqlite", "alembic", "sqlalchemy")
    saved_levels = {name: logging.getLogger(name).level for name in libraries}
    yield capsys
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


# ------------------------------------------------------------------ L11 redaction


def test_a_secret_inside_a_traceback_is_hidden(logged: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", [PASSWORD])
    log = logging.getLogger("samvaer.test")
    try:
        raise ConnectionError(f"could not connect to postgresql://bot:{PASSWORD}@db/samvaer")
    except ConnectionError:
        log.exception("database.unavailable")
    err = logged.readouterr().err
    assert "database.unavailable" in err
    assert "ConnectionError" in err  # the traceback is still there for the operator
    assert PASSWORD not in err
    assert "***" in err


def test_a_secret_in_an_exceptions_args_and_stack_is_hidden(
    logged: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", [PASSWORD])
    log = logging.getLogger("samvaer.test")
    log.warning("login.failed password=%s", PASSWORD, stack_info=True)
    log.error("x", exc_info=(ValueError, ValueError(PASSWORD), None))
    err = logged.readouterr().err
    assert "login.failed" in err
    assert PASSWORD not in err


async def test_the_matrix_session_token_is_hidden_once_loaded(
    logged: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token of a password login lives in session.json, not in any env var."""
    monkeypatch.setenv("SAMVAER_TEST_MATRIX_PASSWORD", PASSWORD)
    config = parse_config(
        {
            "matrix": {
                "homeserver": "http://127.0.0.1:1",  # nothing listens
                "user_id": "@samvaer:localhost",
                "password_env": "SAMVAER_TEST_MATRIX_PASSWORD",
                "store_path": str(tmp_path / "store"),
            }
        }
    )
    StateStore(tmp_path / "store").save_session(
        Session("http://127.0.0.1:1", "@samvaer:localhost", "DEVICE", TOKEN)
    )
    configure_logging("DEBUG", _secrets(config))
    adapter = MatrixAdapter(config)
    with pytest.raises(ConfigError):
        await adapter.connect()  # restores the saved login, then cannot reach the server
    await adapter.client.close()
    # What nio (or a proxy error) would log with the token in a URL:
    logging.getLogger("nio.test").warning(
        "GET http://127.0.0.1:1/_matrix/client/v3/sync?access_token=%s failed", TOKEN
    )
    err = logged.readouterr().err
    assert "access_token=***" in err
    assert TOKEN not in err


@pytest.mark.parametrize(
    ("section", "key", "base"),
    [
        ("matrix", "password_env", {"homeserver": "https://m.example.org", "user_id": "@b:x"}),
        ("matrix", "access_token_env", {"homeserver": "https://m.example.org", "user_id": "@b:x"}),
        ("discord", "token_env", {"guild_ids": [1]}),
        ("database", "url_env", {}),
    ],
)
@pytest.mark.parametrize(
    "pasted",
    [
        "syt_c2FtdmFlcg_DistinctiveSessionToken_0a1b2c",
        "MTA5ODc2NTQzMjEwOTg3NjU0.GabcDE.distinctive-discord-token",
        "hunter2 is my password",
        "lowercase_secret_value",
    ],
)
def test_a_secret_pasted_into_an_env_key_is_refused_without_echo(
    section: str, key: str, base: dict[str, object], pasted: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({section: {**base, key: pasted}})
    problems = "\n".join(refused.value.problems)
    assert f"{section}.{key}" in problems
    assert "environment variable" in problems
    assert pasted not in problems
    assert pasted[:6] not in problems


def test_env_keys_still_take_variable_names() -> None:
    config = parse_config(
        {
            "database": {"url_env": "SAMVAER_DATABASE_URL"},
            "discord": {"token_env": "SAMVAER_DISCORD_TOKEN", "guild_ids": [1]},
            "matrix": {
                "homeserver": "https://m.example.org",
                "user_id": "@b:x",
                "password_env": "_MATRIX_PW2",
            },
        }
    )
    assert config.database.url_env == "SAMVAER_DATABASE_URL"


@pytest.mark.parametrize(
    "document",
    [
        {"database": {"url": ["postgresql+asyncpg://bot:" + PASSWORD + "@db/samvaer"]}},
        {"database": {"url_env": 4711_0000_1234}},
        {"discord": {"token_env": {"token": PASSWORD}, "guild_ids": [1]}},
        {"matrix": {"homeserver": [PASSWORD], "user_id": "@b:x", "password_env": "X"}},
        {"matrix": {"homeserver": "https://m.x", "user_id": "@b:x", "password_env": [PASSWORD]}},
        {"meals": {"jitsi_base_url": {"u": PASSWORD}}},
    ],
)
def test_wrongly_typed_url_and_secret_values_are_not_echoed(document: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(document)
    problems = "\n".join(refused.value.problems)
    assert PASSWORD not in problems
    assert "47110000" not in problems
    assert ":" in problems  # still names the key


def test_an_inline_database_password_is_refused_without_echo() -> None:
    url = f"postgresql+asyncpg://bot:{PASSWORD}@db.example.org/samvaer"
    with pytest.raises(ConfigError) as refused:
        parse_config({"database": {"url": url}})
    problems = "\n".join(refused.value.problems)
    assert "database.url" in problems
    assert "url_env" in problems  # says the fix
    assert PASSWORD not in problems
    query = f"postgresql+asyncpg://bot@db.example.org/samvaer?password={PASSWORD}"
    with pytest.raises(ConfigError) as refused:
        parse_config({"database": {"url": query}})
    assert PASSWORD not in "\n".join(refused.value.problems)
    # A URL without a password is fine.
    parse_config({"database": {"url": "postgresql+asyncpg://bot@db.example.org/samvaer"}})


def test_the_password_of_a_database_url_from_the_environment_is_redacted(
    monkeypatch: pytest.MonkeyPatch, logged: pytest.CaptureFixture[str]
) -> None:
    encoded = "p@ss/w0rd:Distinctive"
    monkeypatch.setenv(
        "SAMVAER_DB_URL", "postgresql+asyncpg://bot:p%40ss%2Fw0rd%3ADistinctive@h/db"
    )
    config = parse_config({"database": {"url_env": "SAMVAER_DB_URL"}})
    configure_logging("INFO", _secrets(config))
    logging.getLogger("samvaer.test").error(
        "db.failed url=%s raw=%s", config.database.resolved_url(), encoded
    )
    err = logged.readouterr().err
    assert "w0rd" not in err
    assert "Distinctive" not in err


def test_check_config_does_not_echo_pasted_secrets(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "postgresql+asyncpg://bot:{PASSWORD}@db/samvaer"\n'
        f'[discord]\ntoken_env = "{TOKEN}"\nguild_ids = [1]\n',
        encoding="utf-8",
    )
    for args in (("check-config", str(config)), ("run", "--config", str(config))):
        result = _samvaer(*args, cwd=tmp_path)
        assert result.returncode == 1
        out = result.stdout + result.stderr
        assert "database.url" in out
        assert "discord.token_env" in out
        assert PASSWORD not in out
        assert TOKEN not in out
        assert "Traceback" not in out


# ------------------------------------------------------------------ L12 file modes


def test_database_and_exports_are_private_to_the_bot_user(tmp_path: Path) -> None:
    script = ":as alice\n!mydata\n"
    result = _samvaer("run", cwd=tmp_path, stdin=script)
    assert result.returncode == 0, result.stderr
    database = tmp_path / "samvaer.db"
    assert _mode(database) == 0o600
    for sidecar in (tmp_path / "samvaer.db-wal", tmp_path / "samvaer.db-shm"):
        if sidecar.exists():
            assert _mode(sidecar) == 0o600, sidecar
    exports = tmp_path / "exports"
    assert _mode(exports) == 0o700
    assert _mode(exports / "alice") == 0o700
    files = list((exports / "alice").glob("samvaer-mydata-*.json"))
    assert files
    for exported in files:
        assert _mode(exported) == 0o600


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    assert _samvaer("db", "upgrade", cwd=tmp_path).returncode == 0
    database = tmp_path / "samvaer.db"
    database.chmod(0o644)
    result = _samvaer("run", cwd=tmp_path, stdin="!help\n")
    assert result.returncode == 0, result.stderr
    assert _mode(database) == 0o600


def test_matrix_store_folder_and_files_are_private(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir(mode=0o755)
    store.chmod(0o755)  # an older install
    (store / "sync.json").write_text("{}", encoding="utf-8")
    (store / "sync.json").chmod(0o644)
    config = tmp_path / "config.toml"
    config.write_text(
        "[matrix]\n"
        'homeserver = "http://127.0.0.1:1"\n'  # nothing listens: the start fails after the store
        'user_id = "@samvaer:localhost"\n'
        'password_env = "SAMVAER_TEST_MATRIX_PASSWORD"\n'
        f'store_path = "{store}"\n',
        encoding="utf-8",
    )
    result = _samvaer(
        "run", "--config", str(config), cwd=tmp_path, env={"SAMVAER_TEST_MATRIX_PASSWORD": "pw"}
    )
    assert result.returncode == 1
    assert _mode(store) == 0o700
    assert _mode(store / "sync.json") == 0o600


def test_sync_state_and_session_are_written_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        store = StateStore(tmp_path / "store")
        store.save_sync(store.load_sync())
        store.save_session(Session("https://m.x", "@b:x", "D", TOKEN))
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "store") == 0o700
    assert _mode(tmp_path / "store" / "sync.json") == 0o600
    assert _mode(tmp_path / "store" / "session.json") == 0o600
    assert json.loads((tmp_path / "store" / "session.json").read_text())["access_token"] == TOKEN


# ------------------------------------------------------------------ L13 SQL echo


async def test_sql_echo_never_prints_parameters(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'echo.db'}"
    else:
        from tests.conftest import POSTGRES_URL

        request.getfixturevalue("postgres_schema")
        url = POSTGRES_URL
    engine = make_engine(url, echo=True)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TEMPORARY TABLE echo_notes (note TEXT UNIQUE)"))
            await connection.execute(text("INSERT INTO echo_notes VALUES (:note)"), {"note": NOTE})
            with pytest.raises(Exception) as failed:  # noqa: PT011 - any driver's error
                await connection.execute(
                    text("INSERT INTO echo_notes VALUES (:note)"), {"note": NOTE}
                )
    finally:
        await engine.dispose()
    out = capsys.readouterr()
    assert "INSERT INTO echo_notes" in out.out + out.err  # the echo is on
    assert NOTE not in out.out + out.err
    assert NOTE not in str(failed.value)  # nor in the error a log line would carry
