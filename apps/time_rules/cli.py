"""`autocom explain rights`, `autocom rights hash-pin|set-pin|clear-pin|slots`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import datetime

from apps.time_rules.engine import RightsDecision, decide
from apps.time_rules.pins import STORE_NAMESPACE, hash_pin
from apps.time_rules.rules import TimeRules, assignment_of
from apps.time_rules.slots import is_active, local_time
from autocom.clock import parse_instant
from autocom.context import CliContext
from autocom.feature import Commands

EXIT = {"allow": 0, "deny": 1, "pin": 2}


def add_commands(commands: Commands) -> None:
    ex = commands.add_explain(
        "rights",
        "may a caller dial a number at a time? (exit 0 allow, 1 deny, 2 pin)",
        cmd_explain,
    )
    ex.add_argument("--from", dest="caller", required=True, help="the caller's extension")
    ex.add_argument("--to", required=True, help="the number dialed, line prefix included")
    ex.add_argument("--at", help="ISO 8601 time, e.g. 2026-12-25T10:00:00+01:00 (default: now)")
    ex.add_argument("--context", help="the caller's context, if not a site user")
    ex.add_argument(
        "--purpose", choices=("call", "forward"), default="call", help="a call or a forward"
    )

    group = commands.add_group("rights", "call rights: PINs and time slots")
    hp = group.add_parser("hash-pin", help="print a salted hash of a PIN, for pins: in the file")
    hp.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    hp.set_defaults(run=cmd_hash_pin)
    sp = group.add_parser("set-pin", help="store a user's PIN hash in the state store")
    sp.add_argument("extension")
    sp.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    sp.set_defaults(run=cmd_set_pin)
    cp = group.add_parser("clear-pin", help="remove a user's PIN from the state store")
    cp.add_argument("extension")
    cp.set_defaults(run=cmd_clear_pin)
    sl = group.add_parser("slots", help="list the time slots and whether each is active")
    sl.add_argument("--at", help="ISO 8601 time (default: now)")
    sl.set_defaults(run=cmd_slots)


def _rules(cli: CliContext) -> TimeRules:
    rules = cli.load().rules.get("time_rules")
    if not isinstance(rules, TimeRules):
        print("no time_rules rules loaded", file=sys.stderr)
        raise SystemExit(1)
    return rules


def when_arg(cli: CliContext, at: str | None) -> datetime:
    """The --at time (ISO 8601, read in the site's zone; default now); exit 64 if bad."""
    tz = cli.load().settings.timezone
    if at is None:
        return cli.clock.now()
    try:
        return parse_instant(at, tz)
    except ValueError as exc:
        print(f"--at: {exc}", file=sys.stderr)
        raise SystemExit(64) from None


def cmd_explain(args: argparse.Namespace, cli: CliContext) -> int:
    rules = _rules(cli)
    config = cli.load()
    when = when_arg(cli, args.at)
    d = decide(rules, config.site, args.caller, args.to, when, args.purpose, args.context)
    assigned = assignment_of(rules, config.site, args.caller, args.context)
    return print_explain(d, assigned.selector if assigned else None)


def print_explain(d: RightsDecision, caller_note: str | None) -> int:
    """Print a decision as every `autocom explain` of rights does; its exit status."""
    print(f"decision: {d.verdict}")
    print(f"reason:   {d.reason}")
    print(f"caller:   {d.caller}" + (f" ({caller_note})" if caller_note else ""))
    print(f"dialed:   {d.dialed} -> number {d.number}")
    print(f"category: {d.category}")
    print(f"class:    {d.class_name or '-'}")
    print(f"slot:     {d.slot or '-'}")
    print(f"at:       {d.when}")
    print("rules:")
    for line in d.trace:
        print(f"  {line}")
    return EXIT[d.verdict]


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("PIN: ")
        if getpass.getpass("PIN again: ") != pin:
            print("the two PINs differ", file=sys.stderr)
            raise SystemExit(1)
    if not pin.isdigit() or not 1 <= len(pin) <= 20:
        print("a PIN is 1 to 20 digits", file=sys.stderr)
        raise SystemExit(1)
    return pin


def cmd_hash_pin(args: argparse.Namespace, cli: CliContext) -> int:
    print(hash_pin(_read_pin(args.pin_stdin)))
    return 0


def cmd_set_pin(args: argparse.Namespace, cli: CliContext) -> int:
    rules = _rules(cli)
    pin = _read_pin(args.pin_stdin)
    settings = rules.model.pin
    if not settings.min_digits <= len(pin) <= settings.max_digits:
        print(
            f"the rule file wants PINs of {settings.min_digits} to {settings.max_digits} digits",
            file=sys.stderr,
        )
        return 1
    hashed = hash_pin(pin)

    async def run() -> None:
        store = await cli.open_store()
        try:
            await store.set(STORE_NAMESPACE, args.extension, hashed)
        finally:
            await store.close()

    asyncio.run(run())
    print(f"PIN of {args.extension} stored (state store, {STORE_NAMESPACE})")
    return 0


def cmd_clear_pin(args: argparse.Namespace, cli: CliContext) -> int:
    async def run() -> bool:
        store = await cli.open_store()
        try:
            return await store.delete(STORE_NAMESPACE, args.extension)
        finally:
            await store.close()

    existed = asyncio.run(run())
    print(f"PIN of {args.extension} {'removed' if existed else 'was not in the state store'}")
    return 0


def cmd_slots(args: argparse.Namespace, cli: CliContext) -> int:
    rules = _rules(cli)
    when = when_arg(cli, args.at)
    local = local_time(rules.tz, when)
    print(f"at {local.isoformat()}")
    for name, slot in rules.slots.items():
        state = "active" if is_active(rules.slots, name, local) else "-"
        print(f"  {name:24} {state:7} {slot.where}")
    return 0
