"""`autocom simulate --rules NEWDIR --tickets 2027-01`: what new rules would have done.

The calls of a month (this feature's tickets) are decided again by the current
rules and by the rules of NEWDIR (a folder with an autocom.yaml and its rule
files, e.g. a copy of the config folder with edits; or that autocom.yaml), each
at its own time; every call whose outcome differs is listed (autocom.whatif).
The state a ticket does not record (forwards, do-not-disturb, boss filter
switches) is read from the state store now and printed as an assumption.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from apps.accounting.rules import AccountingRules
from apps.accounting.service import open_ticket_store
from apps.accounting.state import TicketStore
from autocom.config.errors import ConfigError
from autocom.loader import Config, load_config
from autocom.rights import TimeRules
from autocom.services import replay_services
from autocom.store.base import StoreError
from autocom.whatif.replay import PastCall, Replay, Report, ordered_steps, simulate
from autocom.whatif.report import Header, as_json, text
from autocom.whatif.time_classes import time_classes

if TYPE_CHECKING:
    from autocom.context import CliContext
    from autocom.feature import Commands


def add_command(commands: Commands, month: Callable[[str], str]) -> None:
    p = commands.add(
        "simulate",
        "what-if: replay a month of past calls (call tickets) through other rules and "
        "list every call whose outcome would change",
        cmd_simulate,
    )
    p.add_argument(
        "--rules",
        required=True,
        type=Path,
        help="a folder with an autocom.yaml and its rule files (e.g. a copy of the config "
        "folder, edited), or that autocom.yaml",
    )
    p.add_argument("--tickets", required=True, type=month, help="the month (UTC), e.g. 2027-01")
    p.add_argument("--json", action="store_true", help="the report as one JSON document")
    p.add_argument("--summary", action="store_true", help="the counts only, not every call")


def load_new(path: Path, ctx: CliContext) -> Config | None:
    """The new rules, checked as `autocom check` checks them (issues printed)."""
    main = path / "autocom.yaml" if path.is_dir() else path
    try:
        return load_config(main, ctx.features)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"--rules {path}: {len(exc.issues)} error(s): nothing simulated", file=sys.stderr)
        return None
    except OSError as exc:
        print(f"--rules {path}: {exc}", file=sys.stderr)
        return None


@dataclass(frozen=True, repr=False)  # millions of calls: never in a log line
class Inputs:
    calls: list[PastCall]
    replays: list[Replay]
    tickets: TicketStore  # open: the details of the changed calls are read after


async def gather(ctx: CliContext, current: Config, new: Config, month: str) -> Inputs:
    """The month's calls from the ticket store, the features' steps with today's state."""
    rules = current.rules["accounting"]
    assert isinstance(rules, AccountingRules)
    store = await ctx.open_store()
    try:
        running = {*current.feature_names, *new.feature_names}
        offered = replay_services(f for f in ctx.features if f.name in running)
        replays = [await s.replay(store, current, new) for s in offered]
    finally:
        await store.close()
    tickets = await open_ticket_store(current, rules)
    try:
        return Inputs(await tickets.past_calls(month), replays, tickets)
    except BaseException:
        await tickets.close()
        raise


def month_range(month: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    return start, (start + timedelta(days=32)).replace(day=1)


def run(current: Config, new: Config, inputs: Inputs, month: str) -> Report:
    """The pure part: time classes of the month for both rule sets, then the replay."""
    rights = [r for c in (current, new) if isinstance(r := c.rules.get("time_rules"), TimeRules)]
    start, end = month_range(month)
    first = min((c.start for c in inputs.calls), default=start.timestamp())
    last = max((c.start for c in inputs.calls), default=end.timestamp())
    times = time_classes(
        rights,
        min(start, datetime.fromtimestamp(first, UTC)),
        max(end, datetime.fromtimestamp(last, UTC)),
    )
    return simulate(current, new, inputs.calls, ordered_steps(inputs.replays), times)


async def replay(
    ctx: CliContext, current: Config, new: Config, month: str
) -> tuple[Report, Inputs]:
    """gather, run, then the details (id, department) of the calls that change."""
    inputs = await gather(ctx, current, new, month)
    try:
        report = run(current, new, inputs, month)
        refs = [c.call.ref for c in report.changes]
        report.details.update(await inputs.tickets.call_details(refs))
    finally:
        await inputs.tickets.close()
    return report, inputs


def cmd_simulate(args: argparse.Namespace, ctx: CliContext) -> int:
    current = ctx.load()
    if not isinstance(current.rules.get("accounting"), AccountingRules):
        print("no accounting rules: name a file under rules: accounting:", file=sys.stderr)
        return 1
    new = load_new(args.rules, ctx)
    if new is None:
        return 1
    try:
        report, inputs = asyncio.run(replay(ctx, current, new, args.tickets))
    except StoreError as exc:  # the forwards and filter switches the replay assumes
        print(f"the state store does not answer ({exc}): nothing simulated", file=sys.stderr)
        return 1
    except OSError as exc:  # the ticket store (PostgreSQL down, a file not readable)
        print(f"the ticket store cannot be read ({exc}): nothing simulated", file=sys.stderr)
        return 1
    header = Header(
        args.tickets,
        str(current.path),
        str(new.path),
        current.settings.timezone,
        tuple(line for r in inputs.replays for line in r.assumed),
    )
    if args.json:
        json.dump(as_json(report, header), sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for line in text(report, header, with_calls=not args.summary):
            print(line)
    return 0
