"""`autocom explain rights`; `autocom rights hash-pin|set-pin|clear-pin|slots` and
`autocom rights pin-status|pin-unlock` (PIN lockout)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from apps.time_rules.hooks import audit
from apps.time_rules.state import Failure, PinLocks, valid_owner
from autocom.context import CliContext
from autocom.feature import Commands
from autocom.rights.decision import decide
from autocom.rights.explain import print_explain
from autocom.rights.lockout import (
    LockDecision,
    PinHistory,
    decide_lock,
    format_duration,
    local_iso,
)
from autocom.rights.pins import STORE_NAMESPACE, hash_pin
from autocom.rights.rules import TimeRules, assignment_of
from autocom.rights.slots import is_active, local_time
from autocom.store.base import StoreError


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
    ps = group.add_parser(
        "pin-status",
        help="is a PIN owner locked out after wrong PINs? (exit 0 no, 1 locked, 2 store down)",
    )
    ps.add_argument("extension", help="the PIN owner (the caller, or EXT of EXT*PIN)")
    ps.set_defaults(run=cmd_pin_status)
    pu = group.add_parser("pin-unlock", help="lift a PIN lock and forget the owner's wrong PINs")
    pu.add_argument("extension", help="the PIN owner")
    pu.set_defaults(run=cmd_pin_unlock)
    sl = group.add_parser("slots", help="list the time slots and whether each is active")
    sl.add_argument("--at", help="ISO 8601 time (default: now)")
    sl.set_defaults(run=cmd_slots)


def _rules(cli: CliContext) -> TimeRules:
    rules = cli.load().rules.get("time_rules")
    if not isinstance(rules, TimeRules):
        print("no time_rules rules loaded", file=sys.stderr)
        raise SystemExit(1)
    return rules


def cmd_explain(args: argparse.Namespace, cli: CliContext) -> int:
    rules = _rules(cli)
    config = cli.load()
    when = cli.when(args.at)
    d = decide(rules, config.site, args.caller, args.to, when, args.purpose, args.context)
    assigned = assignment_of(rules, config.site, args.caller, args.context)
    status = print_explain(d, assigned.selector if assigned else None)
    if d.verdict == "pin" and d.purpose == "call":
        print_pin_lock(cli, rules, args.caller)
    return status


def print_pin_lock(cli: CliContext, rules: TimeRules, owner: str) -> None:
    """The caller's own PIN lock, now (whatever --at says: a lock is state, not a rule)."""
    if rules.lockout is None:
        print("pin lock: off (pin: lockout: off)")
        return
    if not valid_owner(owner):
        print(f"pin lock: {owner!r} cannot own a PIN: every PIN typed as its own is refused")
        return
    try:
        lock, _ = _lock_state(cli, rules, owner)
    except StoreError as exc:
        print(f"pin lock: unknown: state store unavailable ({exc}); a PIN would be refused")
        return
    now = local_iso(cli.clock.now().timestamp(), rules.tz)
    if lock.locked:
        print(f"pin lock: LOCKED now ({now}): {lock.reason}")
        print(f"          its PIN is refused, the right one too; autocom rights pin-unlock {owner}")
    else:
        print(f"pin lock: not locked now ({now}): {lock.reason}")
    for line in lock.trace:
        print(f"  {line}")


def _lock_state(
    cli: CliContext, rules: TimeRules, owner: str
) -> tuple[LockDecision, list[Failure]]:
    """Read the owner's lockout state (StoreError when the store cannot answer)."""

    async def run() -> tuple[PinHistory, list[Failure]]:
        async with cli.store() as store:
            locks = PinLocks(store)
            return await locks.history(owner), await locks.failures(owner)

    history, failures = asyncio.run(run())
    now = cli.clock.now().timestamp()
    return decide_lock(rules.lockout, history, now, rules.tz), failures


def _owner_arg(owner: str) -> str:
    if not valid_owner(owner):
        print(f"{owner!r} is not an extension (digits, letters, * # + . _ -)", file=sys.stderr)
        raise SystemExit(64)
    return owner


def cmd_pin_status(args: argparse.Namespace, cli: CliContext) -> int:
    rules = _rules(cli)
    owner = _owner_arg(args.extension)
    if rules.lockout is None:
        print(f"{owner}: PIN lockout is off in {rules.file} (pin: lockout: off)")
        return 0
    try:
        lock, failures = _lock_state(cli, rules, owner)
    except StoreError as exc:
        print(f"autocom rights pin-status: state store unavailable: {exc}", file=sys.stderr)
        return 2
    policy = rules.lockout
    print(f"{owner}: {'LOCKED' if lock.locked else 'not locked'}")
    print(f"reason:  {lock.reason}")
    print(f"rule:    {policy.where} pin.lockout: {policy.describe()}")
    if failures:
        print(f"wrong PINs stored (each kept {format_duration(policy.window)}):")
        for f in failures:
            note = "" if f.at in lock.counted else "  (no longer counts)"
            print(f"  {local_iso(f.at, rules.tz)} typed from {f.caller or '?'}{note}")
    if lock.locked:
        print(f"unlock:  autocom rights pin-unlock {owner}")
    return 1 if lock.locked else 0


def cmd_pin_unlock(args: argparse.Namespace, cli: CliContext) -> int:
    _rules(cli)  # the config must load (and name a rights file)
    owner = _owner_arg(args.extension)

    async def run() -> bool:
        async with cli.store() as store:
            return await PinLocks(store).unlock(owner, cli.clock.now().timestamp())

    try:
        was_locked = asyncio.run(run())
    except StoreError as exc:
        print(f"autocom rights pin-unlock: state store unavailable: {exc}", file=sys.stderr)
        return 2
    audit(
        {
            "event": "rights-pin-unlock",
            "by": owner,
            "was_locked": was_locked,
            "at": cli.clock.now().isoformat(),
        }
    )
    if was_locked:
        print(f"{owner}: PIN unlocked, its wrong PINs forgotten")
    else:
        print(f"{owner}: was not locked; its wrong PINs are forgotten")
    return 0


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
        async with cli.store() as store:
            await store.set(STORE_NAMESPACE, args.extension, hashed)

    asyncio.run(run())
    print(f"PIN of {args.extension} stored (state store, {STORE_NAMESPACE})")
    return 0


def cmd_clear_pin(args: argparse.Namespace, cli: CliContext) -> int:
    async def run() -> bool:
        async with cli.store() as store:
            return await store.delete(STORE_NAMESPACE, args.extension)

    existed = asyncio.run(run())
    print(f"PIN of {args.extension} {'removed' if existed else 'was not in the state store'}")
    return 0


def cmd_slots(args: argparse.Namespace, cli: CliContext) -> int:
    rules = _rules(cli)
    when = cli.when(args.at)
    local = local_time(rules.tz, when)
    print(f"at {local.isoformat()}")
    for name, slot in rules.slots.items():
        state = "active" if is_active(rules.slots, name, local) else "-"
        print(f"  {name:24} {state:7} {slot.where}")
    return 0
