"""The optional periodic sync of `autocom serve` (sync.yaml ``interval``).

Every ``interval`` seconds: one sync (as `autocom site sync` without --force),
then, when it wrote the site, a reload in a thread (the calls in progress keep
their config snapshot).  A sync that fails or is refused is logged with its
reasons and the last good site keeps serving; the next one is tried at the
next interval.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from autocom.config.errors import ConfigError
from autocom.reload import ConfigHolder
from autocom.site.sync.run import Announce, SyncPlan, SyncReport, sync_site

log = logging.getLogger("autocom.site.sync")


def log_report(report: SyncReport, output: Path) -> None:
    if report.outcome == "written":
        changes = "; ".join(report.diff.lines()) if report.diff else ""
        log.info("site sync wrote %s (%d users): %s", output, report.users, changes)
    elif report.ok:
        log.debug("site sync: %s unchanged", output)
    else:
        log.error(
            "site sync %s, %s keeps the last good site: %s",
            report.outcome,
            output,
            "; ".join(report.reasons),
        )


async def sync_once(
    plan: SyncPlan, holder: ConfigHolder, announce: Announce | None = None
) -> SyncReport:
    report = await sync_site(plan, announce=announce)
    log_report(report, plan.output)
    if report.outcome == "written":
        await holder.refresh()
    return report


def periodic_plan(autocom_yaml: Path) -> SyncPlan | None:
    """The sync to run periodically, or None (no sync: file, or interval 0)."""
    try:
        plan = SyncPlan.load(autocom_yaml)
    except ConfigError as exc:
        log.error("no periodic site sync: %s", exc)
        return None
    return plan if plan.settings.interval > 0 else None


async def sync_forever(
    plan: SyncPlan, holder: ConfigHolder, announce: Announce | None = None
) -> None:
    """Run until cancelled.  Sources, merges, checks and writes that fail are
    reports, not exceptions; anything else is a bug, logged with its traceback,
    and the next interval tries again rather than leave the server without a
    sync until it restarts."""
    while True:
        await asyncio.sleep(plan.settings.interval)
        try:
            await sync_once(plan, holder, announce)
        except Exception:
            log.exception("site sync crashed (a bug); the last good site keeps serving")
