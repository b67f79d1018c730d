"""The ``samvaer`` command line: run, init, check-config, db upgrade, export, report.

What it prints to the operator is in the community's language (``[community]
language`` of the configuration it finds; before one is read, the language of the
environment, ``LANG``), from the catalogs like everything else.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.config import Config, ConfigError, Problem, load_config, warning_problems
from bot.core.i18n import Translator, load_catalogs
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


LANGUAGES = ("da", "nb", "en")
# The environment's language codes that mean one of ours.
ENVIRONMENT_LANGUAGES = {"da": "da", "nb": "nb", "no": "nb", "nn": "nb", "en": "en"}


def environment_language(default: str = "da") -> str:
    """The operator's language from ``LC_ALL``/``LC_MESSAGES``/``LANG`` (``da_DK.UTF-8``)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        code = os.environ.get(name, "").split("_")[0].split(".")[0].casefold()
        if code in ENVIRONMENT_LANGUAGES:
            return ENVIRONMENT_LANGUAGES[code]
    return default


def operator_language(given: str | None = None) -> str:
    """The community's language from the configuration, if one can be read; else the
    environment's."""
    path = _config_path(given)
    if path is not None and path.exists():
        try:
            return load_config(path).community.language
        except (ConfigError, OSError, ValueError):
            pass
    return environment_language()


class Say:
    """The command line's messages in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "en"
        self.translator = Translator(load_catalogs(), self.lang)

    def __call__(self, key: str, /, **values: object) -> str:
        return self.translator.text(self.lang, f"cli.{key}", **values)

    def plural(self, key: str, n: int, /, **values: object) -> str:
        return self.translator.plural(self.lang, f"cli.{key}", n, **values)


def problem_text(say: Say, item: Problem) -> str:
    """One config problem or warning in the operator's language; the English when the
    catalogs have no words for it."""
    key = f"cli.config.{item.key}"
    if not item.key or not say.translator.has(key, say.lang):
        return item.english
    return say(f"config.{item.key}", **item.values)


def _load(given: str | None) -> Config:
    path = _config_path(given)
    try:
        return load_config(path)
    except ConfigError as error:
        say = Say(error.language or environment_language())
        print(say("config_problems", path=path), file=sys.stderr)
        for item in error.items:
            print(f"  {problem_text(say, item)}", file=sys.stderr)
        print(say("config_fix"), file=sys.stderr)
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
    from bot.single_process import AlreadyRunning, lock_sqlite

    # One registry and one translator, shared by the core and the adapters.
    translator = Translator(load_catalogs(), config.community.language)
    registry = build_registry(catalogs=translator.catalogs)
    try:
        adapters = make_adapters(config, adapter_choice, registry=registry, translator=translator)
    except ConfigError as error:
        say = Say(config.community.language)
        for item in error.items:
            print(problem_text(say, item), file=sys.stderr)
        return 1
    try:
        lock = lock_sqlite(config.database.resolved_url())
    except AlreadyRunning as error:
        say = Say(config.community.language)
        print(say(f"config.{error.key}", **error.values), file=sys.stderr)
        return 1
    try:
        app = await bootstrap(config, adapters=adapters, registry=registry, translator=translator)
        await run_forever(app)
    except ConfigError as error:  # an adapter that cannot log in names the key and why
        say = Say(config.community.language)
        for item in error.items:
            print(problem_text(say, item), file=sys.stderr)
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

    say = Say(config.community.language)
    try:
        since = parse_day(since_text)
    except ValueError:
        print(say("bad_day", text=since_text.strip()), file=sys.stderr)
        return 1
    if command == "export":
        written = asyncio.run(export_to_folder(config, since, out, bootstrap))
        print(say.plural("wrote_csv", len(written), folder=out))
    else:
        path = asyncio.run(report_to_file(config, since, out, bootstrap))
        print(say("wrote_report", path=path))
    return 0


def _impact_report(since_text: str | None, months: int, out: str | None, config: Config) -> int:
    from bot.bootstrap import bootstrap
    from bot.impact.offline import report_to_folder
    from bot.organising.offline import parse_day, start_of_day

    say = Say(config.community.language)
    since = None
    if since_text:
        try:
            since = start_of_day(parse_day(since_text), config.community.timezone)
        except ValueError:
            print(say("bad_day", text=since_text.strip()), file=sys.stderr)
            return 1
    if not 1 <= months <= 120:
        print(say("bad_months"), file=sys.stderr)
        return 1
    folder = Path(out or "impact-report")
    written = asyncio.run(report_to_folder(config, folder, bootstrap, months=months, since=since))
    print(
        say.plural(
            "wrote_impact", len(written), folder=folder, files=", ".join(p.name for p in written)
        )
    )
    return 0


def _localise(parser: argparse.ArgumentParser, say: Say) -> argparse.ArgumentParser:
    """The parser's own words (usage, headings, -h) in the operator's language."""
    usage = say("usage")

    class Formatter(argparse.HelpFormatter):
        def add_usage(
            self,
            text: str | None,
            actions: Any,
            groups: Any,
            prefix: str | None = None,
        ) -> None:
            super().add_usage(text, actions, groups, usage if prefix is None else prefix)

    parser.formatter_class = Formatter
    parser.add_argument("-h", "--help", action="help", help=say("help.help"))
    parser._positionals.title = say("arguments")
    parser._optionals.title = say("options")
    return parser


def _parser(say: Say) -> argparse.ArgumentParser:
    parser = _localise(
        argparse.ArgumentParser(prog="samvaer", description=say("description"), add_help=False),
        say,
    )
    parser._positionals.title = say("commands")

    class SubParser(argparse.ArgumentParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "add_help": False})
            _localise(self, say)

    sub = parser.add_subparsers(dest="command", parser_class=SubParser)
    run = sub.add_parser("run", help=say("help.run"))
    run.add_argument("--config", help=say("help.config"))
    run.add_argument(
        "--adapter",
        choices=["console", "matrix", "discord", "all"],
        default="all",
        help=say("help.adapter"),
    )
    run.add_argument(
        "--log-level",
        default=os.environ.get("SAMVAER_LOG_LEVEL", "WARNING"),
        help=say("help.log_level"),
    )
    sub.add_parser("init", help=say("help.init"))
    check = sub.add_parser("check-config", help=say("help.check"))
    check.add_argument("path", nargs="?")
    db = sub.add_parser("db", help=say("help.db"))
    db.add_argument("action", choices=["upgrade"])
    db.add_argument("--config", help=say("help.config"))
    export = sub.add_parser("export", help=say("help.export"))
    export.add_argument("--since", required=True, help=say("help.since"))
    export.add_argument("--out", required=True, help=say("help.out_folder"))
    export.add_argument("--config", help=say("help.config"))
    report = sub.add_parser("report", help=say("help.report"))
    report.add_argument("--since", help=say("help.since"))
    report.add_argument("--out", help=say("help.out_file"))
    report.add_argument("--config", help=say("help.config"))
    report.add_argument("--impact", action="store_true", help=say("help.impact"))
    report.add_argument("--months", type=int, default=12, help=say("help.months"))
    return parser


def _config_argument(argv: list[str]) -> str | None:
    """The ``--config`` (or ``check-config``'s path) given, read before parsing so that
    even the help is in the configured language."""
    for index, arg in enumerate(argv):
        if arg == "--config" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    if len(argv) >= 2 and argv[0] == "check-config" and not argv[1].startswith("-"):
        return argv[1]
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``samvaer`` command."""
    # Everything the bot writes (database, Matrix store, exports, reports) is for its own
    # user only: files 0600, folders 0700.
    private_umask()
    arguments = sys.argv[1:] if argv is None else argv
    say = Say(operator_language(_config_argument(arguments)))
    args = _parser(say).parse_args(arguments)

    from bot.logs import configure_logging

    if args.command in (None, "run"):
        config_arg = getattr(args, "config", None)
        config = _load(config_arg)
        say = Say(config.community.language)
        configure_logging(getattr(args, "log_level", "WARNING"), _secrets(config))
        for warning in warning_problems(config):
            print(say("warning", warning=problem_text(say, warning)), file=sys.stderr)
        return asyncio.run(_run(config, getattr(args, "adapter", "all")))
    if args.command == "init":
        if DEFAULT_CONFIG.exists():
            print(say("init_exists", path=DEFAULT_CONFIG))
            return 1
        shutil.copyfile(EXAMPLE_CONFIG, DEFAULT_CONFIG)
        print(say("init_done", path=DEFAULT_CONFIG))
        return 0
    if args.command == "check-config":
        path = Path(args.path) if args.path else _config_path(None)
        if path is None:
            print(say("no_config"))
            return 0
        try:
            config = load_config(path)
        except ConfigError as error:
            say = Say(error.language) if error.language else say
            for item in error.items:
                print(problem_text(say, item))
            return 1
        say = Say(config.community.language)
        for warning in warning_problems(config):
            print(say("warning", warning=problem_text(say, warning)))
        print(say("config_ok", path=path, adapters=", ".join(config.adapters())))
        return 0
    if args.command == "report" and args.impact:
        return _impact_report(args.since, args.months, args.out, _load(args.config))
    if args.command == "report" and not args.since:
        print(say("since_needed"), file=sys.stderr)
        return 2
    if args.command in ("export", "report"):
        out = args.out or "report.html"
        return _statistics_files(args.command, args.since, Path(out), _load(args.config))
    if args.command == "db":
        config = _load(args.config)
        configure_logging("INFO", _secrets(config))
        asyncio.run(_upgrade(config))
        print(Say(config.community.language)("db_ready"))
        return 0
    _parser(say).print_help()
    return 2
