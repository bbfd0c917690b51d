"""`autocom history [N]` and `autocom rollback N` (docs/history.md).

Both read only autocom.yaml's settings to find the state store, so they work while
a rule file is broken (a rollback is how one gets out of that)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import socket
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocom.clock import Clock
from autocom.config.errors import ConfigError
from autocom.config.model import validate
from autocom.config.settings import Settings
from autocom.config.yaml_source import load_yaml
from autocom.context import CliContext
from autocom.history.files import (
    FileText,
    build_shadow,
    move_aside,
    read_files,
    unwritable,
    write_atomic,
)
from autocom.history.model import Version, inside, listing, unified
from autocom.history.store import History
from autocom.loader import Config, load_config
from autocom.reload import same_features
from autocom.site.model import Site
from autocom.store.base import StoreError


def add_history_commands(top: Any) -> None:
    history = top.add_parser(
        "history",
        help="the configs the servers applied: who changed which file, when, on which node",
    )
    history.add_argument("number", nargs="?", type=int, help="show this version's diff")
    history.set_defaults(run=cmd_history)
    rollback = top.add_parser(
        "rollback",
        help="write an earlier version's files back (checked first, like a reload); "
        "the servers reload them",
    )
    rollback.add_argument("number", type=int, help="the version (autocom history lists them)")
    rollback.add_argument(
        "--as",
        dest="author",
        default="",
        help="who asks, recorded as the author (default: $SUDO_USER, else your login)",
    )
    rollback.add_argument(
        "--dry-run", action="store_true", help="check and show what would change, write nothing"
    )
    rollback.set_defaults(run=cmd_rollback)


def _settings(cli: CliContext) -> Config | None:
    """autocom.yaml's settings in a Config without site or rules (to open the store)."""
    path = cli.config_path.absolute()
    try:
        return Config(path, validate(Settings, load_yaml(path)), Site())
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"autocom: {path} does not load: it names the state store", file=sys.stderr)
        return None


def cmd_history(args: argparse.Namespace, cli: CliContext) -> int:
    config = _settings(cli)
    if config is None:
        return 1
    try:
        return asyncio.run(_history(config, args.number))
    except StoreError as exc:
        print(f"autocom: the state store does not answer: {exc}", file=sys.stderr)
        return 2


async def _history(config: Config, number: int | None) -> int:
    from autocom.store.factory import open_store

    store = await open_store(config)
    try:
        history = History(store)
        if number is None:
            versions = await history.versions()
            if not versions:
                print("no version recorded yet (a server records the config it applies)")
            else:
                print("\n".join(listing(versions)))
            return 0
        version = await history.version(number)
        if version is None:
            print(f"no version {number} (`autocom history` lists those kept)", file=sys.stderr)
            return 1
        sys.stdout.writelines(await _diff(history, version))
        return 0
    finally:
        await store.close()


async def _diff(history: History, version: Version) -> list[str]:
    """The header of ``version`` then the unified diff of each changed file."""
    against = f"against version {version.base}" if version.base else "first version recorded"
    out = [
        f"version {version.number}: {version.at} on {version.node} by {version.who}, "
        f"{against}{f' ({version.note})' if version.note else ''}\n"
    ]
    labels = (f"version {version.base}", f"version {version.number}")
    for change in version.changes:
        old = await history.blob(change.old) if change.old else None
        new = await history.blob(change.new) if change.new else None
        if (change.old and old is None) or (change.new and new is None):
            out.append(f"{change.name}: its text is no longer stored\n")
            continue
        out.extend(unified(change.name, old, new, labels))
    return out


def _who(author: str) -> str:
    return author or os.environ.get("SUDO_USER") or getpass.getuser()


def cmd_rollback(args: argparse.Namespace, cli: CliContext) -> int:
    config = _settings(cli)
    if config is None:
        return 1
    try:
        return asyncio.run(_rollback(config, cli, args.number, _who(args.author), args.dry_run))
    except StoreError as exc:
        print(f"autocom: the state store does not answer: {exc}; nothing written", file=sys.stderr)
        return 2


async def _texts(history: History, number: int) -> tuple[Version, dict[str, bytes]] | str:
    """Version ``number`` and the bytes of its files, or why it cannot be restored."""
    version = await history.version(number)
    if version is None:
        return f"no version {number} (`autocom history` lists those kept)"
    outside = [name for name in version.files if not inside(name)]
    if outside:
        return (
            f"version {number} has files outside autocom.yaml's folder ({', '.join(outside)}): "
            "restore them by hand from `autocom history`"
        )
    texts: dict[str, bytes] = {}
    for name, digest in version.files.items():
        data = await history.blob(digest)
        if data is None:
            return f"version {number}: the text of {name} is no longer stored"
        texts[name] = data
    return version, texts


@dataclass(frozen=True)
class Plan:
    """What restoring version ``number`` does: its files that differ are written, and
    the files read today that it did not have (a department fragment added since) are
    moved aside; ``loaded`` is what a reload then reads."""

    number: int
    texts: Mapping[str, bytes]
    write: tuple[str, ...]
    aside: tuple[str, ...]
    loaded: tuple[FileText, ...]


async def _rollback(config: Config, cli: CliContext, number: int, who: str, dry: bool) -> int:
    from autocom.store.factory import open_store

    store = await open_store(config)
    try:
        history = History(store)
        found = await _texts(history, number)
        if isinstance(found, str):
            print(f"autocom: {found}; nothing written", file=sys.stderr)
            return 1
        plan = await asyncio.to_thread(check_version, config.base, cli, number, found[1])
        if isinstance(plan, list):
            for line in plan:
                print(line, file=sys.stderr)
            print(
                f"version {number} does not pass check today ({len(plan)} error(s)); "
                "nothing written",
                file=sys.stderr,
            )
            return 1
        _report(plan, dry)
        if dry or not (plan.write or plan.aside):
            return 0
        note = f"rollback to version {number}"
        for name in plan.write:
            await history.declare_author(plan.texts[name], who, note)
        if not _apply(config.base, plan):
            return 1
        clock = Clock(config.settings.timezone)
        node = f"{socket.gethostname()} (rollback)"
        keep = config.settings.history.keep
        recorded = await history.record(plan.loaded, node, clock.now(), keep, author=who, note=note)
        _recorded(recorded, await history.head())
        return 0
    finally:
        await store.close()


def _differ(base: Path, texts: Mapping[str, bytes]) -> tuple[str, ...]:
    def current(name: str) -> bytes | None:
        try:
            return (base / name).read_bytes()
        except FileNotFoundError:
            return None

    return tuple(sorted(name for name, data in texts.items() if current(name) != data))


def _apply(base: Path, plan: Plan) -> bool:
    """Write each file (atomically), then move the others aside; False, and why on
    stderr, if it could not."""
    refused = unwritable(base, (*plan.write, *plan.aside))
    if refused:
        print(
            f"autocom: you may not write {', '.join(refused)} in {base}; nothing written "
            "(run it as the files' owner, e.g. sudo -u autocom or as root)",
            file=sys.stderr,
        )
        return False
    done: list[str] = []
    try:
        for name in plan.write:
            write_atomic(base / name, plan.texts[name])
            done.append(name)
        for name in plan.aside:
            done.append(f"{name} -> {move_aside(base / name).name}")
    except OSError as exc:
        print(
            f"autocom: {exc}; done before it: {', '.join(done) or 'nothing'}; "
            "run the rollback again once it is fixed",
            file=sys.stderr,
        )
        return False
    for line in done[len(plan.write) :]:
        print(f"moved aside: {line}")
    return True


def _report(plan: Plan, dry: bool) -> None:
    if not (plan.write or plan.aside):
        print(f"the files are those of version {plan.number} already: nothing to write")
        return
    verb = "would write" if dry else "writing"
    print(f"version {plan.number} passes check; {verb}: {', '.join(plan.write) or 'nothing'}")
    if plan.aside:
        verb = "would move" if dry else "moving"
        print(
            f"{verb} aside (read today, not part of version {plan.number}; renamed "
            f"<file>.rolled-back): {', '.join(plan.aside)}"
        )


def _recorded(recorded: Version | None, head: Version | None) -> None:
    if recorded is not None:
        print(f"recorded as version {recorded.number} (by {recorded.who})")
    elif head is not None:
        print(f"recorded as version {head.number} by {head.node}")
    print("the servers reload these files (file watch, or systemctl reload autocom)")


def check_version(
    base: Path, cli: CliContext, number: int, texts: Mapping[str, bytes]
) -> Plan | list[str]:
    """Load version ``number``'s ``texts`` over the config folder as a reload would (in
    a shadow folder: the real one is untouched): the plan, or every issue.  A file the
    load reads that the version did not have is hidden and the load done again."""
    loaded = _shadow_load(base, cli, texts, ())
    if isinstance(loaded, list):
        return loaded
    aside = tuple(sorted(f.name for f in loaded if f.name not in texts))
    if aside:
        loaded = _shadow_load(base, cli, texts, aside)
        if isinstance(loaded, list):
            return loaded
    return Plan(number, texts, _differ(base, texts), aside, loaded)


def _shadow_load(
    base: Path, cli: CliContext, texts: Mapping[str, bytes], hide: tuple[str, ...]
) -> tuple[FileText, ...] | list[str]:
    with tempfile.TemporaryDirectory(prefix="autocom-rollback-") as tmp:
        root = Path(tmp) / "config"
        build_shadow(base, texts, root, hide)
        try:
            new = load_config(root / cli.config_path.name, cli.features)
            _same_features_as_now(cli, new)
        except ConfigError as exc:
            return [str(issue).replace(str(root), str(base)) for issue in exc.issues]
        return read_files(root, new.files)


def _same_features_as_now(cli: CliContext, new: Config) -> None:
    """A reload refuses a change of the features that run: so does a rollback (when
    the current files load; when they do not, the servers serve their last good ones)."""
    try:
        now = load_config(cli.config_path, cli.features)
    except ConfigError:
        return
    same_features(now, new)
