"""The ``samvaer`` command line: run, init, check-config, db upgrade, export, report."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.config import Config, ConfigError, config_warnings, load_config
from bot.files import private_umask

DEFAULT_CONFIG = Path("config.toml")
# Shipped inside the package (a link to the top-level file in the repository).
EXAMPLE_CONFIG = Path(__file__).resolve().parent / "config.example.toml"


def _config_path(given: str | None) -> Path | None:
    if given:
        return Path(given)
    from_env = os.environ.get("SAMVAER_CONFIG")
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def _load(given: str | None) -> Config:
    path = _config_path(given)
    try:
        return load_config(path)
    except ConfigError as error:
        print(f"The configuration {path} has problems:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        print("Fix them and try again (`samvaer check-config` checks).", file=sys.stderr)
        raise SystemExit(1) from None


def _secrets(config: Config) -> list[str]:
    """Every configured secret, to be hidden from the logs (the password of the database
    URL included; a Matrix session token is added by the adapter when it has one)."""
    names = []
    if config.matrix is not None:
        names += [config.matrix.password_env, config.matrix.access_token_env]
    if config.discord is not None:
        names.append(config.discord.token_env)
    secrets = [os.environ[n] for n in names if n and os.environ.get(n)]
    url = urlsplit(config.database.resolved_url())
    if url.password:
        secrets += [url.password, unquote(url.password)]
    return secrets


async def _run(config: Config, adapter_choice: str) -> int:
    from bot.adapters.factory import make_adapters
    from bot.app import run_forever
    from bot.bootstrap import bootstrap, build_registry
    from bot.core.i18n import Translator, load_catalogs
    from bot.single_process import AlreadyRunning, lock_sqlite

    # One registry and one translator, shared by the core and the adapters.
    registry = build_registry()
    translator = Translator(load_catalogs(), config.community.language)
    try:
        adapters = make_adapters(config, adapter_choice, registry=registry, translator=translator)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    try:
        lock = lock_sqlite(config.database.resolved_url())
    except AlreadyRunning as error:
        print(error, file=sys.stderr)
        return 1
    try:
        app = await bootstrap(config, adapters=adapters, registry=registry, translator=translator)
        await run_forever(app)
    except ConfigError as error:  # an adapter that cannot log in names the key and why
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    finally:
        if lock is not None:
            lock.close()
    return 0


async def _upgrade(config: Config) -> None:
    from bot.db.engine import make_engine, upgrade

    engine = make_engine(config.database.resolved_url())
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _statistics_files(command: str, since_text: str, out: Path, config: Config) -> int:
    from bot.bootstrap import bootstrap
    from bot.organising.offline import export_to_folder, parse_day, report_to_file

    try:
        since = parse_day(since_text)
    except ValueError as error:
        print(f"--since: {error}", file=sys.stderr)
        return 1
    if command == "export":
        written = asyncio.run(export_to_folder(config, since, out, bootstrap))
        print(f"Wrote {len(written)} CSV files to {out}")
    else:
        print(f"Wrote {asyncio.run(report_to_file(config, since, out, bootstrap))}")
    return 0


def _impact_report(since_text: str | None, months: int, out: str | None, config: Config) -> int:
    from bot.bootstrap import bootstrap
    from bot.impact.offline import report_to_folder
    from bot.organising.offline import parse_day, start_of_day

    since = None
    if since_text:
        try:
            since = start_of_day(parse_day(since_text), config.community.timezone)
        except ValueError as error:
            print(f"--since: {error}", file=sys.stderr)
            return 1
    if not 1 <= months <= 120:
        print("--months: give a number of months from 1 to 120", file=sys.stderr)
        return 1
    folder = Path(out or "impact-report")
    written = asyncio.run(report_to_folder(config, folder, bootstrap, months=months, since=since))
    print(f"Wrote {len(written)} files to {folder}: " + ", ".join(p.name for p in written))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``samvaer`` command."""
    # Everything the bot writes (database, Matrix store, exports, reports) is for its own
    # user only: files 0600, folders 0700.
    private_umask()
    parser = argparse.ArgumentParser(prog="samvaer", description="Samvær community bot")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the bot")
    run.add_argument("--config", help="path to config.toml")
    run.add_argument("--adapter", choices=["console", "matrix", "discord", "all"], default="all")
    run.add_argument("--log-level", default=os.environ.get("SAMVAER_LOG_LEVEL", "WARNING"))
    sub.add_parser("init", help="write config.toml from the example")
    check = sub.add_parser("check-config", help="validate a config file")
    check.add_argument("path", nargs="?")
    db = sub.add_parser("db", help="database tasks")
    db.add_argument("action", choices=["upgrade"])
    db.add_argument("--config")
    export = sub.add_parser("export", help="write anonymised statistics as CSV files")
    export.add_argument("--since", required=True, help="first day, like 2026-01-01")
    export.add_argument("--out", required=True, help="folder for the CSV files")
    export.add_argument("--config")
    report = sub.add_parser("report", help="write a one-page HTML report with charts")
    report.add_argument("--since", help="first day, like 2026-01-01")
    report.add_argument("--out", help="the HTML file (with --impact: the folder) to write")
    report.add_argument("--config")
    report.add_argument(
        "--impact",
        action="store_true",
        help="the impact report (HTML and PDF in da, nb and en, CSV with a data dictionary)",
    )
    report.add_argument("--months", type=int, default=12, help="with --impact: whole months")
    args = parser.parse_args(argv)

    from bot.logs import configure_logging

    if args.command in (None, "run"):
        config_arg = getattr(args, "config", None)
        config = _load(config_arg)
        configure_logging(getattr(args, "log_level", "WARNING"), _secrets(config))
        for warning in config_warnings(config):
            print(f"warning: {warning}", file=sys.stderr)
        return asyncio.run(_run(config, getattr(args, "adapter", "all")))
    if args.command == "init":
        if DEFAULT_CONFIG.exists():
            print(f"{DEFAULT_CONFIG} already exists; not overwriting it.")
            return 1
        shutil.copyfile(EXAMPLE_CONFIG, DEFAULT_CONFIG)
        print(
            f"Wrote {DEFAULT_CONFIG}. Fill in [community] (name, timezone, language),\n"
            "and [matrix] and/or [discord] to connect; put tokens and passwords in the\n"
            "environment variables the *_env keys name. Then: samvaer check-config"
        )
        return 0
    if args.command == "check-config":
        path = Path(args.path) if args.path else _config_path(None)
        if path is None:
            print("No config.toml here; the defaults are used (console, SQLite).")
            return 0
        try:
            config = load_config(path)
        except ConfigError as error:
            for problem in error.problems:
                print(problem)
            return 1
        for warning in config_warnings(config):
            print(f"warning: {warning}")
        print(f"{path}: OK (adapters: {', '.join(config.adapters())})")
        return 0
    if args.command == "report" and args.impact:
        return _impact_report(args.since, args.months, args.out, _load(args.config))
    if args.command == "report" and not args.since:
        parser.error("report: --since is required (or use --impact)")
    if args.command in ("export", "report"):
        out = args.out or "report.html"
        return _statistics_files(args.command, args.since, Path(out), _load(args.config))
    if args.command == "db":
        config = _load(args.config)
        configure_logging("INFO", _secrets(config))
        asyncio.run(_upgrade(config))
        print("Database is up to date.")
        return 0
    parser.print_help()
    return 2
