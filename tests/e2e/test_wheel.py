"""The built wheel, installed into a fresh virtual environment, works from an empty folder.

Nothing is fetched: the wheel is built without an isolated build environment (the dev
extras carry setuptools) and installed with ``--no-index --no-deps``; the fresh
environment reaches the project's dependencies through a path file pointing at the
current environment's site-packages, so only the wheel's own files provide ``bot``.
"""

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(command: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PIP_NO_INDEX": "1"},
    )


@pytest.mark.wheel
def test_the_wheel_installs_and_runs_from_an_empty_folder(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(dist.glob("samvaer-*.whl"))

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    fresh_site = next((env_dir / "lib").glob("python3*/site-packages"))
    (fresh_site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    bin_dir = env_dir / "bin"
    installed = _run(
        [str(bin_dir / "pip"), "install", "-q", "--no-index", "--no-deps", str(wheel)],
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stderr

    home = tmp_path / "empty"
    home.mkdir()
    where = _run([str(bin_dir / "python"), "-c", "import bot; print(bot.__file__)"], cwd=home)
    assert str(fresh_site) in where.stdout, where.stdout + where.stderr

    samvaer = str(bin_dir / "samvaer")
    init = _run([samvaer, "init"], cwd=home)
    assert init.returncode == 0, init.stderr
    assert (home / "config.toml").exists()
    checked = _run([samvaer, "check-config"], cwd=home)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    session = _run([samvaer, "run"], cwd=home, stdin="!hjælp\njeg vil ikke leve mere\n")
    assert session.returncode == 0, session.stderr
    assert "Det her kan jeg" in session.stdout
    assert "70 201 201" in session.stdout  # the crisis phrases and lines ship in the wheel
    assert os.stat(home / "samvaer.db").st_mode & 0o077 == 0
