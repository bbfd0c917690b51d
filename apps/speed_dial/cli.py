"""`autocom speeddial list|add|remove|import|export`.

Collective entries live in speeddial.yaml: add/remove edit it in place keeping
comments and order (ruamel round trip), after checking the edited file as
`autocom check` would; the running server picks the change up by hot reload.
Personal entries live in the state store.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from apps.speed_dial import engine, state, tables
from apps.speed_dial.numbering import classifier
from apps.speed_dial.rules import Entry, SpeedDialRules
from autocom.context import CliContext
from autocom.feature import Commands
from autocom.loader import Config
from autocom.rights import rights_for
from autocom.store.base import StoreError


def add_commands(commands: Commands) -> None:
    group = commands.add_group(
        "speeddial", "collective (speeddial.yaml) and personal (state store) speed dials"
    )
    lst = group.add_parser("list", help="collective entries and every personal one")
    lst.add_argument("--user", help="only this user's personal entries")
    lst.set_defaults(run=cmd_list)

    add = group.add_parser(
        "add",
        help="collective: add CODE NUMBER [LABEL] to speeddial.yaml; "
        "personal: --user EXT SLOT NUMBER [LABEL]",
    )
    add.add_argument("code", help="collective code, or the slot (0-99) with --user")
    add.add_argument("number", help="the number as a user dials it")
    add.add_argument("label", nargs="?", default="", help="shown on the caller's phone")
    add.add_argument("--user", help="a personal entry of this extension")
    add.add_argument(
        "--bypass-rights",
        action="store_true",
        help="collective: dialed whatever the caller's rights (e.g. the security desk)",
    )
    add.set_defaults(run=cmd_add)

    rm = group.add_parser("remove", help="collective: remove CODE; personal: --user EXT SLOT")
    rm.add_argument("code")
    rm.add_argument("--user")
    rm.set_defaults(run=cmd_remove)

    imp = group.add_parser(
        "import", help="import a CSV table (all rows or nothing; see docs/speed_dial.md)"
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="only validate and report")
    imp.set_defaults(run=cmd_import)

    exp = group.add_parser("export", help="write every entry as CSV")
    exp.add_argument("file", type=Path, nargs="?", help="default: stdout")
    exp.set_defaults(run=cmd_export)


def _rules(config: Config) -> SpeedDialRules:
    rules = config.rules.get("speed_dial")
    return rules if isinstance(rules, SpeedDialRules) else SpeedDialRules()


def _rule_file(config: Config) -> Path | None:
    name = config.settings.rules.get("speed_dial")
    return config.resolve(name) if name else None


async def _personal(
    cli: CliContext, user: str | None
) -> dict[str, dict[str, engine.PersonalEntry]]:
    async with cli.store() as store:
        if user:
            return {user: await state.load(store, user)}
        return await state.load_all(store)


def cmd_list(args: argparse.Namespace, cli: CliContext) -> int:
    config = cli.load()
    rules = _rules(config)
    if not args.user:
        col = rules.collective
        print(f"collective ({col.describe_range() if col.entries else 'none'}):")
        for e in col.entries:
            bypass = "\tbypass_rights" if e.bypass_rights else ""
            print(f"  {e.code}\t{e.number}\t{e.label}{bypass}")
    personal = asyncio.run(_personal(cli, args.user))
    print("personal:")
    for user in sorted(personal):
        for slot in sorted(personal[user]):
            p = personal[user][slot]
            print(f"  {user}\t{slot}\t{p.number}\t{p.label}")
    return 0


def _edit_yaml(config: Config, add: list[Entry], remove: list[str]) -> tuple[int, list[str]]:
    path = _rule_file(config)
    if path is None:
        print(
            "no speed_dial file under rules: in autocom.yaml: add 'speed_dial: speeddial.yaml'",
            file=sys.stderr,
        )
        return 1, []
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        new_text, missing = tables.edit_collective(text, add=add, remove=remove)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1, []
    issues = tables.validate_text(new_text, str(path), config.site, classifier(config))
    if issues:
        print(f"{path} not changed, the edit would make it invalid:", file=sys.stderr)
        for issue in issues:
            print(f"  {issue}", file=sys.stderr)
        return 1, missing
    if missing:
        return 1, missing
    tables.write_atomic(path, new_text)
    return 0, []


def cmd_add(args: argparse.Namespace, cli: CliContext) -> int:
    config = cli.load()
    if args.user:
        slot = engine.slot_of(args.code, _rules(config).personal.slots)
        if slot is None:
            print(f"slot {args.code!r}: write 0 to 99", file=sys.stderr)
            return 1
        res = engine.resolve(
            _rules(config),
            config.site,
            args.user,
            engine.Request("store", slot=slot, number=args.number),
            {},
            rights_for(config, cli.clock.now(), "call"),
        )
        if res.outcome != "stored":
            print(f"refused: {res.reason}", file=sys.stderr)
            return 1
        changes = {slot: engine.PersonalEntry(args.number, args.label)}

        async def run() -> None:
            async with cli.store() as store:
                await state.apply(store, args.user, changes)

        asyncio.run(run())
        print(res.reason)
        return 0
    try:
        entry = Entry(
            code=args.code, number=args.number, label=args.label, bypass_rights=args.bypass_rights
        )
    except ValueError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    taken = _rules(config).entry(args.code)
    if taken is not None:  # speeddial.yaml's, or a department's (docs/departments.md)
        own = taken.source is None or taken.source.file == str(_rule_file(config))
        where = "speeddial.yaml" if own else f"a department's fragment, {taken.source}"
        print(f"refused: code {args.code} is already in {where}", file=sys.stderr)
        return 1
    status, _ = _edit_yaml(config, [entry], [])
    if status == 0:
        print(f"collective {args.code} -> {args.number} added to {_rule_file(config)}")
    return status


def cmd_remove(args: argparse.Namespace, cli: CliContext) -> int:
    config = cli.load()
    if args.user:
        slot = engine.slot_of(args.code)
        if slot is None:
            print(f"slot {args.code!r}: write 0 to 99", file=sys.stderr)
            return 1

        async def run() -> bool:
            async with cli.store() as store:
                return await store.delete(state.NAMESPACE, f"{args.user}:{slot}")

        if not asyncio.run(run()):
            print(f"{args.user} has no speed dial in slot {slot}", file=sys.stderr)
            return 1
        print(f"slot {slot} of {args.user} removed")
        return 0
    status, missing = _edit_yaml(config, [], [args.code])
    if missing:
        print(f"no collective speed dial {args.code} in speeddial.yaml", file=sys.stderr)
        return 1
    if status == 0:
        print(f"collective {args.code} removed from {_rule_file(config)}")
    return status


def cmd_import(args: argparse.Namespace, cli: CliContext) -> int:
    config = cli.load()
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.file}: cannot read: {exc}", file=sys.stderr)
        return 1
    existing = asyncio.run(_personal(cli, None))
    plan = tables.plan_import(text, _rules(config), config.site, classifier(config), existing)
    if plan.refused:
        print(
            f"{args.file}: nothing imported, {len(plan.refused)} row(s) refused:", file=sys.stderr
        )
        for refused in plan.refused:
            print(f"  {refused}", file=sys.stderr)
        return 1
    summary = (
        f"{len(plan.collective)} collective, {len(plan.personal)} personal "
        f"({plan.replaced} replacing a stored number)"
    )
    if args.dry_run:
        print(f"{args.file}: valid, would import {summary}")
        return 0
    status = asyncio.run(_import(cli, config, plan, existing, args.file))
    if status != 0:
        return status
    print(f"{args.file}: imported {summary}")
    return 0


async def _import(
    cli: CliContext,
    config: Config,
    plan: tables.ImportPlan,
    existing: dict[str, dict[str, engine.PersonalEntry]],
    file: Path,
) -> int:
    """Write the table whole, or nothing: the collective part to speeddial.yaml, the
    personal part to the state store; a store failure undoes both."""
    path = _rule_file(config)
    before = path.read_text(encoding="utf-8") if path is not None and path.exists() else None
    async with cli.store() as store:
        if not await store.ping():
            print("the state store does not answer: nothing imported", file=sys.stderr)
            return 1
        if plan.collective:
            status, _ = _edit_yaml(config, plan.collective, [])
            if status != 0:
                print(f"{file}: nothing imported", file=sys.stderr)
                return status
        written: list[tuple[str, str]] = []
        try:
            for user, slot, entry in plan.personal:
                await state.apply(store, user, {slot: entry})
                written.append((user, slot))
        except StoreError as exc:
            # undo: the table goes in whole or not at all
            if plan.collective and path is not None:
                if before is None:
                    path.unlink(missing_ok=True)
                else:
                    tables.write_atomic(path, before)
            for user, slot in written:
                await state.apply(store, user, {slot: existing.get(user, {}).get(slot)})
            print(f"{file}: state store failed ({exc}): nothing imported", file=sys.stderr)
            return 1
    return 0


def cmd_export(args: argparse.Namespace, cli: CliContext) -> int:
    config = cli.load()
    text = tables.export_csv(_rules(config), asyncio.run(_personal(cli, None)))
    if args.file:
        args.file.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
