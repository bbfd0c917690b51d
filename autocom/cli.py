"""The `autocom` command: serve, check, version, dialplan, explain, and features' commands."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from autocom import __version__
from autocom.clock import parse_instant
from autocom.config.errors import ConfigError
from autocom.config.model import validate
from autocom.config.settings import Settings
from autocom.config.yaml_source import load_yaml
from autocom.context import CliContext
from autocom.feature import Commands, Feature
from autocom.features import FeatureLoadError, imported, installed
from autocom.loader import load_config
from autocom.logs import setup_logging
from autocom.store.base import StoreError

log = logging.getLogger("autocom.cli")

# `autocom serve`'s threshold of young objects for the cycle collector (CPython: 700).
# A call in progress holds about fifty objects that live for its few milliseconds:
# with 700, the collector walks every call's objects once or twice (about 2 us of
# CPU per call, bench/agi_compare.py `served`); with 10,000 it runs when that many
# more objects are alive than after the last collection, not while calls come and go.
GC_YOUNG = 10_000


def tune_gc() -> None:
    """The young-objects threshold of `autocom serve` (the older generations' kept)."""
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])


SYSTEM_CONFIG = Path("/etc/autocom/autocom.yaml")


def default_config_path() -> Path | None:
    """$AUTOCOM_CONFIG, else ./autocom.yaml, else /etc/autocom/autocom.yaml; None when
    none of them exists (never the examples shipped with the source: checking those
    and saying OK would hide that the site's own files were not read)."""
    env = os.environ.get("AUTOCOM_CONFIG")
    if env:
        return Path(env)
    for candidate in (Path("autocom.yaml"), SYSTEM_CONFIG):
        if candidate.exists():
            return candidate
    return None


def build_parser(features: Sequence[Feature]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autocom",
        description="PABX features for Asterisk: call rights, forwards, speed dials, "
        "boss/secretary filtering, directory, IVR.",
    )
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=None,
        help=f"autocom.yaml (default: $AUTOCOM_CONFIG, ./autocom.yaml, then {SYSTEM_CONFIG})",
    )
    top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = top.add_parser("serve", help="run the FastAGI and HTTP servers")
    serve.add_argument("--now", help="pin the clock (ISO 8601), for tests and drills")
    serve.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="json: every log line one JSON object, tracebacks inside (default: text, "
        "with events as JSON)",
    )
    serve.set_defaults(run=cmd_serve)

    check = top.add_parser("check", help="validate every config and rule file (exit 1 on error)")
    check.set_defaults(run=cmd_check)

    version = top.add_parser("version", help="print the version")
    version.set_defaults(run=cmd_version)

    dialplan = top.add_parser("dialplan", help="render the site's dialplan (users, groups)")
    dialplan.add_argument("-o", "--output", type=Path, help="write to this file (default: stdout)")
    dialplan.set_defaults(run=cmd_dialplan)

    from autocom.site.sync.cli import add_site_commands

    add_site_commands(top)

    from autocom.history.cli import add_history_commands

    add_history_commands(top)

    from autocom.departments.cli import add_departments_command

    add_departments_command(top)

    explain = top.add_parser("explain", help="print a decision with the rules that made it")
    explain_sub = explain.add_subparsers(dest="explain_command", required=True, metavar="WHAT")

    commands = Commands(top, explain_sub)
    for feature in features:
        feature.add_commands(commands.of(feature.name))
    return parser


def cmd_version(args: argparse.Namespace, cli: CliContext) -> int:
    print(f"autocom {__version__}")
    return 0


def cmd_check(args: argparse.Namespace, cli: CliContext) -> int:
    try:
        config = load_config(cli.config_path, cli.features)
        if config.settings.sync:  # sync.yaml: read by `autocom site sync` and serve
            from autocom.site.sync.run import SyncPlan

            SyncPlan.load(config.path)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"{len(exc.issues)} error(s)", file=sys.stderr)
        return 1
    print(
        f"OK: {config.path}: {len(config.site.users)} users, {len(config.site.groups)} groups, "
        f"{len(config.site.contexts)} contexts"
    )
    for feature in config.features:
        rule_file = config.settings.rules.get(feature.name)
        print(f"  runs: {feature.name} ({rule_file or 'no rule file: its defaults'})")
    idle = sorted({f.name for f in cli.features} - set(config.feature_names))
    if idle:
        print(f"  not running (not named under rules:): {', '.join(idle)}")
    for line in config.departments.summary() if config.departments else ():
        print(f"  department {line}")
    return 0


def cmd_dialplan(args: argparse.Namespace, cli: CliContext) -> int:
    from autocom.site.dialplan import render_dialplan

    text = render_dialplan(cli.load())
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_serve(args: argparse.Namespace, cli: CliContext) -> int:
    setup_logging(args.verbose, json_lines=args.log_format == "json")
    config = cli.load()  # every issue printed, exit 1: before any socket is opened
    clock = cli.clock
    if args.now:
        try:
            clock.pin(parse_instant(args.now, config.settings.timezone))
        except ValueError as exc:
            print(f"--now: {exc}", file=sys.stderr)
            return 2
    from autocom.agi.server import new_event_loop
    from autocom.app import serve

    tune_gc()
    try:
        # uvloop when installed: about half the CPU per FastAGI session (bench/agi_compare.py)
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(serve(config, cli.features, clock=clock))
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return 1
    except StoreError as exc:  # one line, not the traceback of every layer
        log.critical(
            "cannot serve: the state store does not answer (%s); start it or fix state: in %s",
            exc,
            config.path,
        )
        return 1
    except OSError as exc:
        log.critical("cannot serve: %s", exc)
        return 1
    return 0


def _site_features(argv: Sequence[str] | None, features: Sequence[Feature]) -> list[Feature]:
    """``features`` and those of autocom.yaml's ``features:`` list, for their commands
    (a config that does not load adds none: the command's own load reports why)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("-c", "--config", type=Path, default=None)
    path = pre.parse_known_args(argv)[0].config or default_config_path()
    if path is None:
        return list(features)
    try:
        doc = load_yaml(path)
        return [*features, *imported(validate(Settings, doc), doc, features)]
    except (ConfigError, OSError):
        return list(features)


def _not_running(args: argparse.Namespace, cli: CliContext) -> str | None:
    """Why the command cannot run: its feature is not named under rules: (None: it runs)."""
    feature = getattr(args, "feature", "")
    if not feature or feature in cli.load().feature_names:
        return None
    return (
        f"autocom: the feature {feature} is not configured: {cli.config_path} does not "
        f"name it under rules: (add '{feature}: <its rule file>' there to run it)"
    )


def main(argv: Sequence[str] | None = None, features: Sequence[Feature] | None = None) -> int:
    if features is None:
        try:
            features = installed()
        except FeatureLoadError as exc:
            print(f"autocom: {exc}", file=sys.stderr)
            return 2
    features = _site_features(argv, features)
    parser = build_parser(features)
    args = parser.parse_args(argv)
    config_path = args.config or default_config_path()
    if config_path is None:
        if args.run is not cmd_version:
            print(
                f"autocom: no config found: neither ./autocom.yaml nor {SYSTEM_CONFIG} exists "
                "(give one with -c FILE or $AUTOCOM_CONFIG)",
                file=sys.stderr,
            )
            return 2
        config_path = SYSTEM_CONFIG
    cli = CliContext(config_path, tuple(features))
    refused = _not_running(args, cli)
    if refused is not None:
        print(refused, file=sys.stderr)
        return 2
    status: int = args.run(args, cli)
    return status


def entry() -> None:
    sys.exit(main())
