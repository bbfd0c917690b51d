"""`autocom filter list|on|off BOSS` and `autocom explain filter`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime

from apps.boss_secretary import engine, lamps, state
from apps.boss_secretary.rules import FilterRules
from apps.boss_secretary.slots import slot_check
from autocom.clock import parse_instant
from autocom.context import CliContext
from autocom.feature import Commands
from autocom.store.base import StoreUnavailable


def add_commands(commands: Commands) -> None:
    group = commands.add_group("filter", "boss/secretary filters: show and switch (state store)")
    lst = group.add_parser("list", help="every boss, its filter and whether it is on")
    lst.set_defaults(run=cmd_list)
    on = group.add_parser("on", help="switch a boss's filter on (as *37<boss> does)")
    on.add_argument("boss", help="the boss's extension")
    on.set_defaults(run=cmd_on)
    off = group.add_parser("off", help="switch a boss's filter off")
    off.add_argument("boss", help="the boss's extension")
    off.set_defaults(run=cmd_off)

    ex = commands.add_explain(
        "filter",
        "who rings, in which order and why, for a call to a boss (exit 0 filtered, 1 direct)",
        cmd_explain,
    )
    ex.add_argument("--caller", required=True, help="the caller's number or extension")
    ex.add_argument("--boss", required=True, help="the boss's extension")
    ex.add_argument("--at", help="ISO 8601 time (default: now)")
    ex.add_argument("--name", default="", help="the caller's name (for the name secretaries see)")
    ex.add_argument(
        "--state",
        choices=("on", "off", "store"),
        default="store",
        help="the boss's filter state (default: read the state store, with the VIP numbers"
        " secretaries added)",
    )


def _rules(cli: CliContext) -> FilterRules:
    rules = cli.load().rules.get("boss_secretary")
    return rules if isinstance(rules, FilterRules) else FilterRules()


def cmd_list(args: argparse.Namespace, cli: CliContext) -> int:
    rules = _rules(cli)

    async def run() -> dict[str, bool]:
        async with cli.store() as store:
            return await state.all_states(store)

    try:
        stored = asyncio.run(run())
    except StoreUnavailable as exc:
        print(f"autocom filter list: state store unavailable: {exc}", file=sys.stderr)
        return 2
    site = cli.load().site
    if not rules.filters:
        print("no filter defined")
        return 0
    for f in rules.filters:
        for b in f.bosses:
            user = site.user(b.extension)
            name = user.display_name if user is not None else "?"
            on = stored.get(b.extension, f.default)
            origin = "" if b.extension in stored else " (default)"
            secretaries = ",".join(m.extension for m in f.secretaries)
            print(
                f"{b.extension}\t{name}\t{'on' if on else 'off'}{origin}\t"
                f"filter={f.name}\tmode={f.mode}\tsecretaries={secretaries}"
            )
    return 0


def _switch(args: argparse.Namespace, cli: CliContext, on: bool) -> int:
    rules = _rules(cli)
    if rules.filter_of(args.boss) is None:
        known = ", ".join(rules.bosses()) or "none"
        print(f"autocom filter: {args.boss} is not a boss (bosses: {known})", file=sys.stderr)
        return 2

    async def run() -> str:
        async with cli.store() as store:
            await state.set_state(store, args.boss, on)
        return await lamps.push(cli.load().settings.ari, {args.boss: on})

    try:
        lamp = asyncio.run(run())
    except StoreUnavailable as exc:
        print(f"autocom filter: state store unavailable: {exc}", file=sys.stderr)
        return 2
    print(f"filter of {args.boss}: {'on' if on else 'off'} ({lamp})")
    return 0


def cmd_on(args: argparse.Namespace, cli: CliContext) -> int:
    return _switch(args, cli, True)


def cmd_off(args: argparse.Namespace, cli: CliContext) -> int:
    return _switch(args, cli, False)


def cmd_explain(args: argparse.Namespace, cli: CliContext) -> int:
    config = cli.load()
    rules = _rules(cli)
    try:
        when: datetime = (
            parse_instant(args.at, config.settings.timezone) if args.at else cli.clock.now()
        )
    except ValueError as exc:
        print(f"--at: {exc}", file=sys.stderr)
        return 2
    stored: dict[str, bool] = {}
    added: tuple[str, ...] = ()
    if args.state == "store":

        async def run() -> tuple[bool | None, tuple[str, ...]]:
            async with cli.store() as store:
                return await state.get_state(store, args.boss), await state.get_vips(
                    store, args.boss
                )

        try:
            value, added = asyncio.run(run())
        except StoreUnavailable:
            print("(state store unavailable: the filter's default is used, no added VIP)")
            value = None
        if value is not None:
            stored[args.boss] = value
    else:
        stored[args.boss] = args.state == "on"
    caller = engine.Caller(number=args.caller, name=args.name)
    plan = engine.decide(
        rules,
        config.site,
        caller,
        args.boss,
        when,
        stored,
        slot_check(config.rules.get("time_rules")),
        added,
    )
    print(format_plan(plan, when))
    return 0 if plan.action == "filter" else 1


def format_plan(plan: engine.FilterPlan, when: datetime) -> str:
    """The plan as `autocom explain filter` prints it."""
    out = [f"call to {plan.boss} at {when.isoformat()}"]
    if plan.action == "direct":
        devices = ", ".join(plan.boss_devices) or "(no device)"
        out.append(f"decision: DIRECT: {plan.reason}")
        out.append(f"  the boss rings as usual: {devices}")
    else:
        out.append(f"decision: FILTER: {plan.reason}")
        out.append(f"  secretaries see the caller as: {plan.caller_name!r}")
        for n, step in enumerate(plan.steps, 1):
            shown = ", filtered name shown" if step.show_filtered else ""
            out.append(f"  step {n}: {step.role}, {step.ring_time} s{shown}")
            for leg in step.legs:
                if len(leg.rings) == 1:
                    out.append(f"    {leg.label}: {', '.join(leg.rings[0].devices)}")
                else:
                    out.append(f"    {leg.label}, one after the other:")
                    for ring in leg.rings:
                        out.append(
                            f"      {ring.who}: {', '.join(ring.devices)} ({ring.ring_time} s)"
                        )
        fb = plan.fallback
        if fb is not None:
            if fb.kind == "voicemail":
                out.append(f"  no answer: voicemail {fb.target}")
            elif fb.kind == "destination":
                out.append(f"  no answer: {fb.target} (context {fb.context})")
            else:
                out.append("  no answer: hang up")
    out.append("why:")
    out.extend(f"  {line}" for line in plan.trace)
    return "\n".join(out)
