"""`autocom calls list|report|stats|catch-up|retention` and `autocom simulate`
(simulate.py): the tickets from the command line.

``list`` and ``report`` print a table, or CSV with ``--csv`` (for a spreadsheet);
``stats`` (also `autocom accounting stats`) a department's statistics, or every
department's, as text or JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apps.accounting import simulate
from apps.accounting.rules import AccountingRules
from apps.accounting.service import Accounting, department_stats, open_ticket_store, rules_of
from apps.accounting.state import REPORT_KEYS, Query
from apps.accounting.stats import stats_dict, stats_text, summary_text
from autocom.services import DepartmentStats, stats_period

if TYPE_CHECKING:
    from autocom.context import CliContext
    from autocom.feature import Commands
    from autocom.loader import Config

LIST_COLUMNS = (
    "start",
    "caller",
    "called",
    "answered_by",
    "direction",
    "disposition",
    "ring_seconds",
    "talk_seconds",
    "category",
    "price",
    "id",
)
REPORT_COLUMNS = ("key", "department", "cost_center", "calls", "answered", "talk_seconds", "cost")


def add_commands(commands: Commands) -> None:
    sub = commands.add_group("calls", "call tickets: list, cost reports, backlog catch-up")
    p = sub.add_parser("list", help="the calls of a user, newest first")
    p.add_argument("--user", default="", help="an extension: calls it made, got or missed")
    p.add_argument("--role", choices=("dialed", "received", "missed"), default="")
    p.add_argument("--since", type=_when, default=None, help="e.g. 2027-01-01 or ISO time")
    p.add_argument("--until", type=_when, default=None)
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--csv", action="store_true", help="CSV on stdout")
    p.set_defaults(run=cmd_list)
    p = sub.add_parser("report", help="calls and cost per department, cost center or user")
    p.add_argument("--by", choices=tuple(REPORT_KEYS), default="department")
    p.add_argument("--month", required=True, type=_month, help="e.g. 2027-01")
    p.add_argument("--csv", action="store_true")
    p.set_defaults(run=cmd_report)
    _add_stats(sub)
    _add_stats(commands.add_group("accounting", "call accounting: per-department statistics"))
    p = sub.add_parser("catch-up", help="read the CEL backlog now and build the tickets")
    p.set_defaults(run=cmd_catch_up)
    p = sub.add_parser("retention", help="mask and delete what the retention rules say")
    p.add_argument("--now", type=_when, default=None, help="as if it were then (drills)")
    p.set_defaults(run=cmd_retention)
    simulate.add_command(commands, _month)


def _add_stats(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "stats", help="a department's calls: out, in, internal, answered, time, cost, hours"
    )
    p.add_argument("--department", default=None, help="site.yaml's department: (default: all)")
    p.add_argument("--month", default="", help="e.g. 2027-01")
    p.add_argument("--day", default="", help="e.g. 2027-01-31")
    p.add_argument("--from", dest="first", default="", help="first day of a range, 2027-01-01")
    p.add_argument("--to", dest="last", default="", help="last day of the range (included)")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.set_defaults(run=cmd_stats)


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write e.g. 2027-01-31 or 2027-01-31T08:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _month(text: str) -> str:
    try:
        datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write a month like 2027-01") from None
    return text


def _table(rows: list[list[str]], columns: tuple[str, ...], as_csv: bool) -> None:
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
        return
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    for row in [list(columns), *rows]:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _store_rules(ctx: CliContext) -> tuple[Config, AccountingRules]:
    config = ctx.load()
    rules = rules_of(config)
    if rules is None:
        print("no accounting rules: name a file under rules: accounting:", file=sys.stderr)
        raise SystemExit(1)
    return config, rules


def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    config, rules = _store_rules(ctx)
    query = Query(args.user, args.role, args.since, args.until, args.limit)

    async def run() -> list[list[str]]:
        store = await open_ticket_store(config, rules)
        try:
            found = await store.tickets(query)
        finally:
            await store.close()
        return [[str(t.body.get(c, "")) for c in LIST_COLUMNS] for t in found]

    _table(asyncio.run(run()), LIST_COLUMNS, args.csv)
    return 0


def cmd_report(args: argparse.Namespace, ctx: CliContext) -> int:
    config, rules = _store_rules(ctx)

    async def run() -> list[list[str]]:
        store = await open_ticket_store(config, rules)
        try:
            rows = await store.report(args.by, args.month)
        finally:
            await store.close()
        return [[str(getattr(r, c)) for c in REPORT_COLUMNS] for r in rows]

    _table(asyncio.run(run()), REPORT_COLUMNS, args.csv)
    return 0


def cmd_stats(args: argparse.Namespace, ctx: CliContext) -> int:
    config, rules = _store_rules(ctx)
    try:
        since, until = stats_period(
            ZoneInfo(config.settings.timezone), args.month, args.day, args.first, args.last
        )
    except ValueError as exc:
        print(f"autocom calls stats: {exc}", file=sys.stderr)
        return 2

    async def run() -> list[DepartmentStats]:
        store = await open_ticket_store(config, rules)
        try:
            names = [args.department]
            if args.department is None:
                names = await store.departments(since, until)
            return [await department_stats(store, rules, n, since, until) for n in names]
        finally:
            await store.close()

    found = asyncio.run(run())
    if args.json:
        one = args.department is not None
        print(json.dumps(stats_dict(found[0]) if one else [stats_dict(s) for s in found]))
    elif args.department is not None:
        print(stats_text(found[0]))
    else:
        print(summary_text(found))
    return 0


def _service_run(ctx: CliContext, what: str, now: datetime | None = None) -> int:
    config, rules = _store_rules(ctx)
    clock = ctx.clock
    if now is not None:
        clock.pin(now)

    async def run() -> int:
        from autocom.reload import ConfigHolder

        store = await open_ticket_store(config, rules)
        service = Accounting(ConfigHolder(config, ctx.features), store, clock.now)
        try:
            return await (service.catch_up() if what == "catch-up" else service.retention())
        finally:
            await service.close()

    count = asyncio.run(run())
    print(f"{what}: {count} {'events read' if what == 'catch-up' else 'tickets changed'}")
    return 0


def cmd_catch_up(args: argparse.Namespace, ctx: CliContext) -> int:
    return _service_run(ctx, "catch-up")


def cmd_retention(args: argparse.Namespace, ctx: CliContext) -> int:
    return _service_run(ctx, "retention", args.now)
