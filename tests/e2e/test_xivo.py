"""dialplan/xivo/ on a real Asterisk 22, called the way XiVO/Wazo's dialplan calls it.

tests/e2e/wazo_harness.py re-creates, from Wazo's sources (file:line in it),
the steps of Wazo's dialplan around its hook points: a generated internal
context, [user] (global subroutine before Dial, unconditional forward),
[forward] (the forward subroutine, then Goto the number), [outcall] (the
global subroutine for each trunk, after the outgoing caller id is set) and the
2023 [outcall] with XIVO_* names.  The real autocom server serves the hooks with
the example site and rules (rights, boss/secretary, directory), clock pinned
to a Monday at 10:00.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from apps.boss_secretary import BossSecretaryFeature
from apps.directory import DirectoryFeature
from apps.time_rules import TimeRulesFeature
from autocom.app import Server
from autocom.clock import Clock
from tests.e2e.conftest import EXAMPLES, Pbx, load_site
from tests.e2e.driver import CallResult
from tests.e2e.test_time_rules import audit
from tests.e2e.wazo_harness import WAZO_GLOBALS, harness_dialplan

pytestmark = pytest.mark.e2e

MONDAY_10 = datetime(2026, 11, 23, 10, 0)
MOBILE = "00612345678"
INTL = "000044123456789"


@pytest.fixture
async def server(tmp_path: Path, pbx: Pbx) -> AsyncIterator[Server]:
    folder = tmp_path / "config"
    folder.mkdir()
    for name in ("site.yaml", "rights.yaml", "filters.yaml", "directory.yaml", "directory.csv"):
        shutil.copy(EXAMPLES / name, folder / name)
    (folder / "autocom.yaml").write_text(
        f"timezone: Europe/Paris\nsite: site.yaml\nstate: {{path: {folder}/state.sqlite}}\n"
        "rules: {time_rules: rights.yaml, boss_secretary: filters.yaml, "
        "directory: directory.yaml}\n"
    )
    features = [TimeRulesFeature(), BossSecretaryFeature(), DirectoryFeature()]
    clock = Clock("Europe/Paris", pinned=MONDAY_10)
    async with pbx.autocom(folder / "autocom.yaml", features=features, clock=clock) as srv:
        await pbx.add_dialplan(harness_dialplan(load_site(folder / "site.yaml")))
        await pbx.set_globals(WAZO_GLOBALS)
        yield srv


def denied(result: CallResult, cause: int = 52) -> bool:
    return (
        result.trunk_calls == []
        and "cannot-complete-as-dialed" in result.played
        and result.hangup_cause == cause
    )


async def test_outgoing_call_rights_from_the_outcall_global_subroutine(
    pbx: Pbx, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "autocom.audit.rights")
    staff = await pbx.driver.call(MOBILE, "wazo-default", caller="2002")
    assert staff.trunk_calls == [("0612345678", "trunk-a")]
    assert {"wazo-global-subroutine", "xivo-subrgbl-outcall", "autocom-xivo-outcall"} <= set(
        staff.contexts
    )
    lobby = await pbx.driver.call(MOBILE, "wazo-default", caller="5001")
    assert denied(lobby), lobby.summary()
    # the caller is WAZO_SRCNUM, not the caller id Wazo formatted for the trunk
    assert [(x["caller"], x["decision"]) for x in audit(caplog)] == [
        ("2002", "allow"),
        ("5001", "deny"),
    ]


async def test_one_check_per_call_when_the_next_trunk_is_tried(
    pbx: Pbx, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "autocom.audit.rights")
    await pbx.driver.sink("0612345678", "congestion")
    result = await pbx.driver.call(MOBILE, "wazo-default", caller="2002")
    assert result.trunk_calls == [("0612345678", "trunk-a"), ("33612345678", "trunk-b")]
    assert len(audit(caplog)) == 1


async def test_xivo_2023_variable_names(pbx: Pbx, server: Server) -> None:
    staff = await pbx.driver.call("9" + MOBILE, "wazo-default", caller="2002")
    assert staff.trunk_calls == [("0612345678", "trunk-a")]
    lobby = await pbx.driver.call("9" + MOBILE, "wazo-default", caller="5001")
    assert denied(lobby), lobby.summary()


async def test_wazo_forward_checked_for_the_forwarding_user(
    pbx: Pbx, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "autocom.audit.rights")
    await pbx.set_globals({"HARNESS_UNC_2004": MOBILE})
    # the caller is a lobby phone: the forward is 2004's (staff may forward to
    # mobiles in office hours), checked once, at the forward hook
    allowed = await pbx.driver.call("2004", "wazo-default", caller="5001")
    assert allowed.trunk_calls == [("0612345678", "trunk-a")], allowed.summary()
    assert allowed.rang == []
    assert {"xivo-subrfwd-extension", "autocom-xivo-forward"} <= set(allowed.contexts)
    (line,) = audit(caplog)
    assert (line["caller"], line["purpose"], line["decision"]) == ("2004", "forward", "allow")
    await pbx.set_globals({"HARNESS_UNC_2004": INTL})  # staff may not forward abroad
    refused = await pbx.driver.call("2004", "wazo-default", caller="2002")
    assert denied(refused), refused.summary()


async def test_calls_to_users_get_the_directory_name_and_the_boss_filter(
    pbx: Pbx, server: Server
) -> None:
    direct = await pbx.driver.call("2004", "wazo-default", caller="2002")
    assert direct.rang == ["durand-desk"]  # Wazo's own Dial of WAZO_INTERFACE
    assert {"xivo-subrgbl-user", "autocom-xivo-user"} <= set(direct.contexts)
    assert direct.sink_caller("durand-desk") == ("2002", "BERNARD Luc - Scolarité")
    # 2001 is filtered in working time: her secretaries 2002 then 2003 ring first
    filtered = await pbx.driver.call("2001", "wazo-default", caller="2004")
    assert filtered.rang[0] == "bernard-desk", filtered.summary()
    assert "[MARTIN]" in filtered.sink_caller("bernard-desk")[1]
    assert "martin-desk" not in filtered.rang


async def test_autocom_down_takes_the_safe_paths(pbx: Pbx, server: Server) -> None:
    await pbx.set_globals({"AUTOCOM_AGI": "agi://127.0.0.1:1"})
    external = await pbx.driver.call(MOBILE, "wazo-default", caller="2002")
    assert denied(external, cause=21), external.summary()  # AUTOCOM_RIGHTS_ON_FAILURE=deny
    emergency = await pbx.driver.call("0112", "wazo-default", caller="5001")
    assert emergency.trunk_calls == [("112", "trunk-a")]
    user = await pbx.driver.call("2001", "wazo-default", caller="2004")
    # rung directly, unfiltered: both devices at once (in either order), no secretary
    assert sorted(user.rang) == ["martin-desk", "martin-soft"], user.summary()


async def test_a_did_call_filters_the_user_it_rings(pbx: Pbx, server: Server) -> None:
    # Wazo's [did] leaves WAZO_DSTNUM at the DID: the boss is WAZO_DST_USERNUM
    result = await pbx.driver.call("0389336001", "wazo-from-extern", caller="0387123456")
    assert {"xivo-subrgbl-user", "autocom-xivo-user"} <= set(result.contexts)
    assert result.variable("WAZO_DSTNUM") == "0389336001"
    assert result.rang[0] == "bernard-desk", result.summary()  # 2001's secretary first
