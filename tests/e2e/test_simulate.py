"""What-if on real tickets: a simulated change lists exactly the calls a real rerun
refuses (issue 20).

A private Asterisk 22 with CEL and the real autocom server (call accounting on):
calls are made and their tickets collected; `autocom simulate` replays them through
a changed copy of the rules; the change is applied and the same calls are made
again: the calls refused now and not before are exactly those the simulation
lists as ``allowed -> refused``, and the forward it lists as changed is no longer
followed.

The clock is pinned (as test_accounting does: 2001 is a boss filtered in office
hours) while the tickets keep Asterisk's real time, at which the simulation
decides.  So the calls are chosen among those whose decisions do not depend on the
time under either rule set, and the test checks that premise: the replay of the
tickets at the pinned time lists the same calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from apps import features
from apps.accounting.service import open_ticket_store, rules_of
from apps.accounting.simulate import Inputs, run
from autocom.cli import main
from autocom.clock import Clock
from autocom.loader import load_config
from autocom.services import replay_services
from autocom.store.factory import open_store
from tests.e2e.asterisk import AsteriskInstance
from tests.e2e.driver import CallDriver, CallResult
from tests.e2e.test_accounting import (
    DAY,
    accounting,
    accounting_config,
    autocom_on,
    cel_asterisk,
    driver,
    tickets,
)
from tests.support.call_month import edit

pytestmark = pytest.mark.e2e
__all__ = ["cel_asterisk", "driver"]  # the fixtures, shared with test_accounting

# (dialed, caller's context, caller): each decided alike at any time by both rule sets
CALLS = (
    ("00612345678", "personnel", "2002"),  # staff, a mobile: allowed, then refused
    ("00140000000", "personnel", "2003"),  # staff, national: allowed by both
    ("00698765432", "personnel", "2004"),  # staff, a mobile: allowed, then refused
    ("00612345678", "couloirs", "5001"),  # lobby, a mobile: refused by both
    ("00612345678", "personnel", "2101"),  # direction, a mobile: allowed by both
    ("2002", "personnel", "2004"),  # 2002 forwards to a campus number: then not any more
    ("2004", "personnel", "2003"),  # internal: rings 2004 with both
)
FORWARDED = 5  # the call to 2002
CAMPUS = "00389331234"


def new_rules(config: Path, folder: Path) -> Path:
    """A copy of the config folder where staff may neither call mobiles nor forward to
    campus numbers."""
    shutil.copytree(config.parent, folder, ignore=shutil.ignore_patterns("var", "*.sqlite*"))
    rights = folder / "rights.yaml"
    edit(rights, r"(  staff:\n(?:    .*\n)*?    mobile: )allow", r"\1deny")
    edit(rights, r"(    forward:\n)      campus: allow\n", r"\1")
    return folder


def refused(result: CallResult) -> bool:
    return "deny" in result.values("AUTOCOM_RIGHTS") and not result.dialed


async def make_calls(driver: CallDriver) -> list[CallResult]:
    return [await driver.call(n, ctx, caller=c, max_wait=20) for n, ctx, c in CALLS]


def simulate_cli(config: Path, new: Path, month: str) -> dict[str, object]:
    out = io.StringIO()
    argv = ["-c", str(config), "simulate", "--rules", str(new), "--tickets", month, "--json"]
    with contextlib.redirect_stdout(out):
        assert main(argv, features()) == 0
    report: dict[str, object] = json.loads(out.getvalue())
    return report


async def replay_at(config: Path, new: Path, month: str, when: datetime) -> set[str]:
    """The ids the replay lists when every ticket is decided at ``when``."""
    feats = tuple(features())
    current, newer = load_config(config, feats), load_config(new / "autocom.yaml", feats)
    rules = rules_of(current)
    assert rules is not None
    store, state = await open_ticket_store(current, rules), await open_store(current)
    try:
        calls = [c._replace(start=when.timestamp()) for c in await store.past_calls(month)]
        replays = [await s.replay(state, current, newer) for s in replay_services(feats)]
        report = run(current, newer, Inputs(calls, replays, store), month)
        found = await store.call_details([c.call.ref for c in report.changes])
    finally:
        await store.close()
        await state.close()
    return {found[c.call.ref].id for c in report.changes}


async def test_a_simulated_change_lists_exactly_the_calls_a_real_rerun_refuses(
    cel_asterisk: AsteriskInstance, driver: CallDriver, tmp_path: Path
) -> None:
    config = accounting_config(tmp_path / "config", cel_asterisk)
    new = new_rules(config, tmp_path / "new")
    feats = features()
    clock = Clock("Europe/Paris", pinned=DAY)
    async with autocom_on(cel_asterisk, driver, config, feats, clock=clock):
        code = await driver.call(f"*21{CAMPUS}", "personnel", caller="2002")
        before = await make_calls(driver)
        got = await tickets(accounting(feats), {r.call_id for r in (code, *before)})
    assert len(got) == len(CALLS) + 1, got.keys()
    assert before[FORWARDED].dialed == [CAMPUS[1:]], before[FORWARDED].summary()
    month = datetime.fromisoformat(got[before[0].call_id]["start"]).astimezone(UTC)
    report = await asyncio.to_thread(simulate_cli, config, new, f"{month:%Y-%m}")
    changes = report["changes"]
    assert isinstance(changes, list)
    # the premise: these calls are decided alike at the tickets' times and at DAY's
    pinned = DAY.replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert await replay_at(config, new, f"{month:%Y-%m}", pinned) == {c["id"] for c in changes}

    # the change applied: the same calls again, with the same clock
    shutil.copy(new / "rights.yaml", config.parent / "rights.yaml")
    async with autocom_on(cel_asterisk, driver, config, features(), clock=clock):
        after = await make_calls(driver)

    simulated = {c["id"] for c in changes if c["change"] == "allowed -> refused"}
    now_refused = {b.call_id for b, a in zip(before, after, strict=True) if refused(a)}
    refused_before = {b.call_id for b in before if refused(b)}
    assert simulated == now_refused - refused_before
    assert simulated == {before[0].call_id, before[2].call_id}
    assert refused_before == {before[3].call_id}  # unchanged: not listed
    forward = [c for c in changes if c["change"] == "a different forward"]
    assert [c["id"] for c in forward] == [before[FORWARDED].call_id]
    assert forward[0]["current"] == f"forward: follow external:{CAMPUS}"
    assert (after[FORWARDED].dialed, after[FORWARDED].rang) == ([], ["bernard-desk"])
    assert len(changes) == 3 and report["by_caller_class"] == {"staff": 3}
    not_replayed = report["not_replayed"]
    assert isinstance(not_replayed, dict) and sum(not_replayed.values()) == 1  # the *21 call
