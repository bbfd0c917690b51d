"""`autocom site sync [--dry-run] [--force]`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from autocom.config.errors import ConfigError
from autocom.context import CliContext
from autocom.site.sync.run import SyncPlan, SyncReport, sync_site

EXIT = {"written": 0, "unchanged": 0, "dry-run": 0, "refused": 1, "failed": 2}


def add_site_commands(top: Any) -> None:
    site = top.add_parser("site", help="the site file: build it from Wazo, LDAP, CSV")
    sub = site.add_subparsers(dest="site_command", required=True, metavar="WHAT")
    sync = sub.add_parser(
        "sync",
        help="read the sources of sync.yaml, show the difference, write the site "
        "(exit 1 refused, 2 a source failed: the last good site stays)",
    )
    sync.add_argument("--dry-run", action="store_true", help="show the difference, write nothing")
    sync.add_argument(
        "--force", action="store_true", help="write even if more users go than max_removed_share"
    )
    sync.set_defaults(run=cmd_site_sync)


def print_report(report: SyncReport, output: str) -> None:
    stream = sys.stdout if report.ok else sys.stderr
    for note in report.notes:
        print(f"note: {note}", file=stream)
    if report.diff is not None:
        for line in report.diff.lines():
            print(line, file=stream)
    for reason in report.reasons:
        print(f"{report.outcome}: {reason}", file=stream)
    verdict = {
        "written": f"written: {output} ({report.users} users, {report.devices} devices)",
        "unchanged": f"unchanged: {output}",
        "dry-run": f"dry run: {output} not written",
        "refused": f"nothing written: {output} keeps the last good site",
        "failed": f"nothing written: {output} keeps the last good site",
    }[report.outcome]
    print(verdict, file=stream)


def cmd_site_sync(args: argparse.Namespace, cli: CliContext) -> int:
    try:
        plan = SyncPlan.load(cli.config_path)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return 1
    report = asyncio.run(sync_site(plan, dry_run=args.dry_run, force=args.force))
    print_report(report, str(plan.output))
    return EXIT[report.outcome]
