"""Start-up as a person meets it: from exec of ``samvaer run`` to its first answer.

Each round starts, in rotated order:
  samvaer   ``samvaer run --adapter console`` with ``!help`` already waiting on its
            stdin (a pipe); timed to the first line on stdout (the answer), then stopped
  import    ``python -c "import bot.app"``, timed to its exit (loading the code)
  python    ``python -c pass``, timed to its exit (the interpreter alone)

The bot uses a SQLite file made by one untimed run first (as on any start but the
very first), with the default configuration otherwise.

    .venv/bin/python bench/startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _samvaer(config: Path) -> list[str]:
    return [str(BIN / "samvaer"), "run", "--adapter", "console", "--config", str(config)]


def time_first_answer(config: Path, timeout: float = 60.0) -> float:
    """Seconds from exec to the first line the bot writes on stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(
        _samvaer(config),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=config.parent,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        process.stdin.write("!help\n")
        process.stdin.flush()
        line = process.stdout.readline()
        seconds = time.perf_counter() - started
        if not line.strip():
            raise RuntimeError("samvaer run ended without answering")
        return seconds
    finally:
        process.stdin.close()
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def time_exit(arguments: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(arguments, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(ordered):.3f} s, p95 {p95:.3f} s "
        f"(min {ordered[0]:.3f}, max {ordered[-1]:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.toml"
        config.write_text(
            '[community]\nlanguage = "en"\n\n[database]\n'
            f'url = "sqlite+aiosqlite:///{Path(folder) / "bot.db"}"\n'
        )
        time_first_answer(config)  # makes the database; not timed
        runs = {
            "samvaer": lambda: time_first_answer(config),
            "import": lambda: time_exit([sys.executable, "-c", "import bot.app"]),
            "python": lambda: time_exit([sys.executable, "-c", "pass"]),
        }
        names = list(runs)
        times: dict[str, list[float]] = {name: [] for name in names}
        for round_ in range(args.rounds):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(runs[name]())
    print(
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds, order rotated"
    )
    labels = {
        "samvaer": "samvaer run → first answer",
        "import": 'python -c "import bot.app"',
        "python": "python -c pass",
    }
    for name in names:
        print(f"{labels[name]:>28}: {summary(times[name])}")
    ratios = [s / i for s, i in zip(times["samvaer"], times["import"], strict=True)]
    print(
        f"{'samvaer / import, per round':>28}: median {statistics.median(ratios):.2f} "
        f"(range {min(ratios):.2f}–{max(ratios):.2f})"
    )
    beyond = [s - i for s, i in zip(times["samvaer"], times["import"], strict=True)]
    print(f"{'samvaer − import, per round':>28}: median {statistics.median(beyond):.3f} s")


if __name__ == "__main__":
    main()
