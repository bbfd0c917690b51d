"""`autocom forwards list|set|clear` and `autocom explain forward`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from apps.forwards import engine, lamps, service, state
from apps.forwards.rules import FORWARD_TYPES, ForwardsRules, ForwardType, forward_type
from autocom.context import CliContext
from autocom.feature import Commands
from autocom.rights.access import RightsView, rights_for
from autocom.rights.decision import RightsDecision, VerdictT
from autocom.rights.explain import print_explain


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
        async with cli.store() as store:
            if args.extension:
                return {args.extension: await state.load(store, args.extension)}
            return await state.load_all(store)

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
    request = engine.CodeRequest("set", ftype, args.number)

    async def run() -> tuple[engine.SetDecision, str]:
        async with cli.store() as store:
            decision, current = await service.change(
                store, config, args.extension, request, cli.clock.now()
            )
            if not decision.accepted:
                return decision, ""
        wanted = engine.lamp_states(args.extension, decision.lamps(current))
        return decision, await lamps.push(config.settings.ari, wanted)

    decision, lamp_report = asyncio.run(run())
    if not decision.accepted:
        print(f"refused: {decision.reason}", file=sys.stderr)
        for line in decision.trace:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(decision.reason)
    print(lamp_report)
    return 0


def cmd_clear(args: argparse.Namespace, cli: CliContext) -> int:
    config = cli.load()

    async def run() -> tuple[int, str]:
        async with cli.store() as store:
            removed = await state.clear(store, args.extension)
        if config.site.user(args.extension) is None:
            return removed, "no lamps: not a user of the site"
        wanted = engine.lamp_states(args.extension, engine.current_lamps({}))
        return removed, await lamps.push(config.settings.ari, wanted)

    removed, lamp_report = asyncio.run(run())
    print(f"{args.extension}: {removed} forward(s) removed")
    print(lamp_report)
    return 0


def explained(
    user: str,
    to: str,
    when: datetime,
    raw: RightsView | None,
    decision: engine.SetDecision | engine.Accepted,
) -> RightsDecision:
    """The rights decision `explain forward` prints: the forward engine's verdict,
    reason and trace over what time_rules said of the number (``raw``)."""
    if isinstance(decision, engine.Accepted):
        verdict: VerdictT = "allow"
        reason = raw.reason if raw is not None else "allowed"
        trace = decision.trace
    else:
        verdict = "pin" if raw is not None and raw.verdict == "pin" else "deny"
        reason = decision.reason
        trace = decision.trace or (tuple(raw.trace) if raw is not None else ())
    if not isinstance(raw, RightsDecision):  # not a number: time_rules was not asked
        raw = RightsDecision(
            "deny", "-", None, None, "", (), to, user, to, "forward", when.isoformat()
        )
    return raw._replace(verdict=verdict, reason=reason, trace=trace)


def cmd_explain(args: argparse.Namespace, cli: CliContext) -> int:
    config = cli.load()
    when = cli.when(args.at)
    rights = rights_for(config, when, "forward")
    raw = rights(args.user, args.to) if args.to.isdigit() else None
    decision = engine.check_destination(_rules(cli), config.site, args.user, args.to, rights)
    return print_explain(explained(args.user, args.to, when, raw, decision), "the forwarding user")
