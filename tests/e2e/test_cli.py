"""The installed command line, run as a user would."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _samvaer(
    *args: str, cwd: Path, stdin: str = "", lang: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(cwd)}
    if lang:
        env["LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_console_session_in_danish_then_english(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "!hjælp",
            "!sprog en",
            "!help",
            ":as vol volunteer",
            ":who",
            ":as alice",
            "!mydata",
            "!forget",
            "1",
        ]
    )
    result = _samvaer("run", cwd=tmp_path, stdin=script + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Det her kan jeg" in out
    assert "I'll write to you in English" in out
    assert "du er vol (frivillig)" in out
    assert "samvaer-mydata-" in out
    assert "Alt om dig er slettet" in out
    # The export was written, and forget deleted it with everything else.
    assert not list((tmp_path / "exports" / "alice").glob("*.json"))
    assert (tmp_path / "samvaer.db").exists()


def test_check_config_reports_key_paths(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[meals]\nreminders_before = ["24h", "15x"]\n[comunity]\n', encoding="utf-8")
    result = _samvaer("check-config", str(bad), cwd=tmp_path, lang="en_GB.UTF-8")
    assert result.returncode == 1
    assert 'meals.reminders_before[1]: "15x" is not a duration like "15m" or "24h"' in result.stdout
    assert 'did you mean "community"' in result.stdout
    result = _samvaer("run", "--config", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "meals.reminders_before[1]" in result.stderr


def test_init_writes_a_valid_config(tmp_path: Path) -> None:
    result = _samvaer("init", cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "config.toml").exists()
    assert _samvaer("check-config", cwd=tmp_path).returncode == 0
    assert _samvaer("db", "upgrade", cwd=tmp_path).returncode == 0


def test_a_second_process_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    first = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
    )
    try:
        assert first.stdin is not None
        assert first.stdout is not None
        first.stdin.write("!hjælp\n")
        first.stdin.flush()
        assert "Det her kan jeg" in first.stdout.readline()  # the first one is up
        second = _samvaer("run", cwd=tmp_path, stdin="!help\n")
        assert second.returncode == 1
        assert "bruges allerede af proces" in second.stderr
        assert "PostgreSQL" in second.stderr
    finally:
        first.communicate(":quit\n", timeout=60)
    assert first.returncode == 0


def test_secrets_never_reach_the_logs(tmp_path: Path) -> None:
    secret = "S3cr3t-Distinctive-Passw0rd-4711"
    config = tmp_path / "config.toml"
    config.write_text(
        "[matrix]\n"
        'homeserver = "http://127.0.0.1:1"\n'  # nothing listens: login fails
        'user_id = "@samvaer:localhost"\n'
        'password_env = "SAMVAER_TEST_MATRIX_PASSWORD"\n'
        f'store_path = "{tmp_path / "store"}"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config), "--log-level", "DEBUG"],
        cwd=tmp_path,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "HOME": str(tmp_path),
            "SAMVAER_TEST_MATRIX_PASSWORD": secret,
        },
    )
    assert result.returncode == 1
    assert "matrix" in result.stderr.lower()  # it did try, and said why it stopped
    assert secret not in result.stdout
    assert secret not in result.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_check_config_and_start_refuse_dangerous_settings_with_the_fix(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[discord]\ntoken_env = "SAMVAER_DISCORD_TOKEN"\n'
        '[console]\nprefix = ""\n'
        "[privacy]\nmin_group_size = 2\n"
        '[meals]\njitsi_base_url = "http://meet.example.org"\n',
        encoding="utf-8",
    )
    checked = _samvaer("check-config", str(config), cwd=tmp_path)
    assert checked.returncode == 1
    for fix in ("guild_ids = [", 'prefix = "!"', "min_group_size = 5", "https://"):
        assert fix in checked.stdout
    assert "http://meet.example.org" not in checked.stdout
    started = _samvaer("run", "--config", str(config), cwd=tmp_path, stdin="!help\n")
    assert started.returncode == 1
    assert "discord.guild_ids" in started.stderr
    assert not (tmp_path / "samvaer.db").exists()  # refused before anything was opened


def test_alerts_with_nowhere_to_go_are_warned_about_but_accepted(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[discord]\nguild_ids = [123456789012345678]\n", encoding="utf-8")
    checked = _samvaer("check-config", str(config), cwd=tmp_path)
    assert checked.returncode == 0
    assert "advarsel: rooms.volunteers: deling er slået til, men der er hverken" in checked.stdout
    assert 'volunteers = ["discord:<channel id>"]' in checked.stdout
    assert "i orden" in checked.stdout


def test_crisis_words_in_a_console_room_are_answered_privately(tmp_path: Path) -> None:
    script = "\n".join([":as alice", ":room lounge", "honestly i want to end my life"])
    result = _samvaer("run", cwd=tmp_path, stdin=script + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # The lines are in Alice's private chat; the room sees one neutral line at most.
    private = out[out.index("[to alice]") :]
    assert "70 201 201" in private.split("\n[#")[0]
    in_room = [line for line in out.splitlines() if line.startswith("[#lounge]")]
    assert len(in_room) <= 1
    assert not any("70 201 201" in line or "end my life" in line for line in in_room)


def test_check_config_speaks_the_communitys_language_about_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "\n".join(
            [
                "[community]",
                'language = "da"',
                'timezone = "Europe/Kobenhavn"',
                "[comunity]",
                "[privacy]",
                'min_group_size = "fem"',
                "[impact]",
                "enabled = 3",
                "min_days_between = 2",
                "[buddies]",
                'match_at = "25:00"',
                "[rooms]",
                'volunteers = ["frivillige"]',
                "",
            ]
        ),
        encoding="utf-8",
    )
    # The environment says English; the file says Danish, and the file wins.
    result = _samvaer("check-config", str(bad), cwd=tmp_path, lang="en_GB.UTF-8")
    assert result.returncode == 1
    out = result.stdout
    assert 'community.timezone: "Europe/Kobenhavn" er ikke en tidszone som' in out
    assert 'comunity: ukendt nøgle – mente du "community"?' in out
    assert "buddies.match_at: '25:00' er ikke et klokkeslæt som" in out
    assert "privacy.min_group_size: 'fem': skal være et helt tal" in out
    assert "impact.enabled: 3: skal være true eller false" in out
    assert "impact.min_days_between: 2: skal være mindst 7" in out
    assert 'rooms.volunteers: "frivillige" er ikke et rum som' in out
    for english in ("is not", "unknown key", "Input should", "must be"):
        assert english not in out, english
    # A refused (dangerous) setting, and a file that is not there, in Danish too.
    risky = tmp_path / "risky.toml"
    risky.write_text('[community]\nlanguage = "da"\n[privacy]\nmin_group_size = 2\n')
    out = _samvaer("check-config", str(risky), cwd=tmp_path, lang="en_GB.UTF-8").stdout
    assert "privacy.min_group_size: er 2; tal for færre end 5 personer" in out
    out = _samvaer("check-config", str(tmp_path / "nowhere.toml"), cwd=tmp_path).stdout
    assert "nowhere.toml: filen findes ikke" in out
    result = _samvaer("run", "--config", str(bad), cwd=tmp_path, lang="en_GB.UTF-8")
    assert result.returncode == 1
    assert "Konfigurationen" in result.stderr
    assert "comunity: ukendt nøgle" in result.stderr
