"""The command line speaks to the operator in the community's language."""

from pathlib import Path

import pytest

from bot import cli

ENGLISH = ("usage", "options", "show this help", "Wrote", "already exists", "platforms", "warning")


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # main() makes every file private for the real process; not for the test run.
    monkeypatch.setattr(cli, "private_umask", lambda: None)
    monkeypatch.chdir(tmp_path)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "SAMVAER_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def _config(tmp_path: Path, lang: str) -> Path:
    path = tmp_path / f"{lang}.toml"
    path.write_text(f'[community]\nlanguage = "{lang}"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("lang", "ok", "heading"),
    [("da", "i orden (platforme:", "brug: samvaer"), ("nb", "i orden (plattformer:", "bruk:")],
)
def test_check_config_and_help_in_danish_and_norwegian(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str, ok: str, heading: str
) -> None:
    config = _config(tmp_path, lang)
    assert cli.main(["check-config", str(config)]) == 0
    assert ok in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["report", "--config", str(config), "--help"])
    shown = capsys.readouterr().out
    assert heading in shown
    assert "HTML" in shown
    for word in ENGLISH:
        assert word not in shown, word


def test_english_when_the_community_speaks_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, "en")
    assert cli.main(["check-config", str(config)]) == 0
    assert "OK (platforms: console)" in capsys.readouterr().out
    assert cli.main(["report", "--since", "soon", "--config", str(config)]) == 1
    assert "“soon” is not a date like 2026-01-31" in capsys.readouterr().err


def test_without_a_config_the_environment_language_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "nb_NO.UTF-8")
    assert cli.main(["check-config"]) == 0
    assert "Ingen config.toml her" in capsys.readouterr().out
    assert cli.main(["init"]) == 0
    assert "Fyll ut [community]" in capsys.readouterr().out
    # Now there is a config.toml, and its community speaks Danish.
    assert cli.main(["init"]) == 1
    assert "config.toml findes allerede" in capsys.readouterr().out


def test_a_broken_config_is_explained_in_the_environment_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "da_DK.UTF-8")
    bad = tmp_path / "bad.toml"
    bad.write_text('[community]\nlanguage = "xx"\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["db", "upgrade", "--config", str(bad)])
    err = capsys.readouterr().err
    assert f"Konfigurationen {bad} har problemer:" in err
    assert "Ret dem, og prøv igen" in err


def test_every_config_problem_the_code_names_has_words_in_every_language() -> None:
    import re

    from bot import config as config_module
    from bot import config_problems, config_values
    from bot.core.i18n import load_catalogs

    source = "\n".join(
        Path(module.__file__).read_text(encoding="utf-8")
        for module in (config_module, config_problems, config_values)
    )
    keys = set(re.findall(r'KeyedValueError\(\s*"([a-z_]+)"', source))
    keys |= set(re.findall(r'_problem\(\s*[^,]+,\s*"([a-z_]+)"', source))
    keys |= {f"type.{kind}" for kind in config_problems._TYPED_ERRORS}
    keys |= {"unknown_key", "unknown_key_hint", "required", "already_running"}
    assert len(keys) > 30
    catalogs = load_catalogs()
    for lang in ("da", "nb", "en"):
        missing = sorted(k for k in keys if f"cli.config.{k}" not in catalogs[lang])
        assert not missing, (lang, missing)


def test_a_problem_without_words_falls_back_to_english() -> None:
    from bot.config import Problem

    say = cli.Say("da")
    assert cli.problem_text(say, Problem("", {}, "x: something new")) == "x: something new"
    assert cli.problem_text(say, Problem("nothing_here", {}, "x: new")) == "x: new"
    shown = cli.problem_text(say, Problem("required", {"path": "matrix.user_id"}, "english"))
    assert shown == "matrix.user_id: skal udfyldes"
