"""`autocom forwards list|set|clear` and `autocom explain forward`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from apps.forwards import engine, state
from apps.forwards.rights import RightsView, rights_for
from apps.forwards.rules import FORWARD_TYPES, ForwardsRules, ForwardType, forward_type
from autocom.clock import parse_instant
from autocom.context import CliContext
from autocom.feature import Commands

EXIT = {"allow": 0, "deny": 1, "pin": 2}


def add_commands(commands: Commands) -> None:
    group = commands.add_group("forwards", "show and change users' forwards (state store)")
    lst = group.add_parser("list", help="every forward, or those of one extension")
    lst.add_argument("extension", nargs="?", help="only this user")
    lst.set_defaults(run=cmd_list)
    st = group.add_parser(
        "set", help="set a forward, checked against the user's forward rights as *21 is"
    )
    st.add_argument("extension")
    st.add_argument("type", help="unconditional, noanswer or busy")
    st.add_argument("number", help="the destination, as the user would dial it")
    st.set_defaults(run=cmd_set)
    cl = group.add_parser("clear", help="forget every forward of an extension")
    cl.add_argument("extension")
    cl.set_defaults(run=cmd_clear)

    ex = commands.add_explain(
        "forward",
        "may USER forward calls to a number at a time? (exit 0 allow, 1 deny, 2 pin)",
        cmd_explain,
    )
    ex.add_argument("--user", required=True, help="the forwarding user's extension")
    ex.add_argument("--to", required=True, help="the forward's destination")
    ex.add_argument("--at", help="ISO 8601 time (default: now)")


def _rules(cli: CliContext) -> ForwardsRules:
    rules = cli.load().rules.get("forwards")
    return rules if isinstance(rules, ForwardsRules) else ForwardsRules()


def cmd_list(args: argparse.Namespace, cli: CliContext) -> int:
    async def run() -> dict[str, dict[ForwardType, engine.Forward]]:
        store = await cli.open_store()
        try:
            if args.extension:
                return {args.extension: await state.load(store, args.extension)}
            return await state.load_all(store)
        finally:
            await store.close()

    found = asyncio.run(run())
    lines = 0
    for user in sorted(found):
        for ftype in FORWARD_TYPES:
            fwd = found[user].get(ftype)
            if fwd is not None:
                on = "on" if fwd.enabled else "off"
                print(f"{user}\t{ftype}\t{fwd.destination}\t{on}")
                lines += 1
    if not lines:
        print(f"no forward for {args.extension}" if args.extension else "no forward")
    return 0


def cmd_set(args: argparse.Namespace, cli: CliContext) -> int:
    try:
        ftype = forward_type(args.type)
    except ValueError as exc:
        print(f"autocom forwards set: {exc}", file=sys.stderr)
        return 2
    config = cli.load()
    rights = rights_for(config, cli.clock.now(), "forward")
    request = engine.CodeRequest("set", ftype, args.number)

    async def run() -> engine.SetDecision:
        store = await cli.open_store()
        try:
            current = await state.load(store, args.extension)
            decision = engine.decide_set(
                _rules(cli), config.site, args.extension, request, current, rights
            )
            if decision.accepted:
                await state.save(store, args.extension, decision.changes)
            return decision
        finally:
            await store.close()

    decision = asyncio.run(run())
    if not decision.accepted:
        print(f"refused: {decision.reason}", file=sys.stderr)
        for line in decision.trace:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(decision.reason)
    print("(the phone's lamp follows at the next feature code; see docs/forwards.md)")
    return 0


def cmd_clear(args: argparse.Namespace, cli: CliContext) -> int:
    cli.load()

    async def run() -> int:
        store = await cli.open_store()
        try:
            return await state.clear(store, args.extension)
        finally:
            await store.close()

    removed = asyncio.run(run())
    print(f"{args.extension}: {removed} forward(s) removed")
    return 0


def format_explain(
    user: str,
    to: str,
    when: datetime,
    raw: RightsView | None,
    decision: engine.SetDecision | engine.Accepted,
) -> tuple[str, int]:
    """The text `explain forward` prints (as `explain rights` does), and its exit status."""
    if isinstance(decision, engine.Accepted):
        verdict = "allow"
        reason = raw.reason if raw is not None else "allowed"
        trace = decision.trace
    else:
        verdict = "pin" if raw is not None and raw.verdict == "pin" else "deny"
        reason = decision.reason
        trace = decision.trace or (tuple(raw.trace) if raw is not None else ())
    number = raw.number if raw is not None else to
    lines = [
        f"decision: {verdict}",
        f"reason:   {reason}",
        f"caller:   {user} (the forwarding user)",
        f"dialed:   {to} -> number {number}",
        f"category: {raw.category if raw is not None else '-'}",
        f"class:    {getattr(raw, 'class_name', None) or '-'}",
        f"slot:     {getattr(raw, 'slot', None) or '-'}",
        f"at:       {getattr(raw, 'when', '') or when.isoformat()}",
        "rules:",
        *(f"  {t}" for t in trace),
    ]
    return "\n".join(lines), EXIT[verdict]


def cmd_explain(args: argparse.Namespace, cli: CliContext) -> int:
    config = cli.load()
    try:
        when = parse_instant(args.at, config.settings.timezone) if args.at else cli.clock.now()
    except ValueError as exc:
        print(f"--at: {exc}", file=sys.stderr)
        return 64
    rights = rights_for(config, when, "forward")
    raw: RightsView | None = None
    if args.to.isdigit():
        raw = rights(args.user, args.to)
    decision = engine.check_destination(_rules(cli), config.site, args.user, args.to, rights)
    text, status = format_explain(args.user, args.to, when, raw, decision)
    print(text)
    return status
