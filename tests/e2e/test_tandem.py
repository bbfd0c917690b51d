"""Tandems (parallel sets) end to end: a real Asterisk 22, the real autocom server
with the call rights, the example site's tandem of 2010 (zimmer-desk, then the DECT
handset zimmer-dect and the mobile 00698765432; here without the mobile's delay).

Paul Zimmer is in class staff: forwarding to a mobile is allowed in office hours
only, so his mobile leg rings by day and not at night.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from apps.time_rules import TimeRulesFeature
from autocom.app import Server
from autocom.clock import Clock
from tests.e2e.asterisk import SipEndpoint
from tests.e2e.conftest import EXAMPLES, Pbx, write_autocom_yaml
from tests.e2e.sipp import ANSWER, BUSY

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
TUESDAY_10 = datetime(2026, 11, 24, 10, 0)  # office hours
TUESDAY_22 = datetime(2026, 11, 24, 22, 0)  # night
MOBILE = "0698765432"  # as it reaches the trunk (dialed 00698765432)


def _site(tmp: Path, *, outgoing: str = "") -> None:
    text = (EXAMPLES / "site.yaml").read_text(encoding="utf-8")
    old = '{number: "00698765432", delay: 10}'
    assert old in text
    text = text.replace(old, '{number: "00698765432"}')
    if outgoing:
        text = text.replace(
            "{device: zimmer-dect}", f"{{device: zimmer-dect, outgoing: {outgoing}}}"
        )
    (tmp / "site.yaml").write_text(text, encoding="utf-8")


@pytest.fixture
def config(tmp_path: Path, pbx: Pbx) -> Path:
    _site(tmp_path)
    shutil.copy(EXAMPLES / "rights.yaml", tmp_path / "rights.yaml")
    return write_autocom_yaml(tmp_path, pbx.asterisk, {"time_rules": "rights.yaml"}, timezone=TZ)


@pytest.fixture
async def server(pbx: Pbx, config: Path) -> AsyncIterator[Server]:
    clock = Clock(TZ, pinned=TUESDAY_10)
    async with pbx.autocom(config, features=[TimeRulesFeature()], clock=clock) as srv:
        yield srv


async def test_all_sets_ring_and_the_mobile_by_day(pbx: Pbx, server: Server) -> None:
    await pbx.driver.sink("zimmer-desk", "noanswer")
    await pbx.driver.sink("zimmer-dect", "noanswer")
    await pbx.driver.sink(MOBILE, "answer")
    result = await pbx.driver.call("2010", "personnel", caller="0387123456")
    assert sorted(result.rang) == ["zimmer-dect", "zimmer-desk"], result.summary()
    assert result.dialed == [MOBILE]
    assert result.sink_caller(MOBILE)[0] == "0387123456"  # mobile_caller_id: caller
    assert result.variable("DIALSTATUS") == "ANSWER"
    # the call rights decided the mobile leg, as a forward on behalf of 2010
    rights = result.apps("AGI", "autocom-time_rules-outgoing")
    assert len(rights) == 1 and rights[0].endswith("/rights,2010,00698765432,,forward")


async def test_at_night_the_mobile_is_not_rung(pbx: Pbx, server: Server) -> None:
    server.ctx.clock.pin(TUESDAY_22)
    await pbx.set_globals({"AUTOCOM_RING_TIME": "2"})
    await pbx.driver.sink("zimmer-desk", "noanswer")
    await pbx.driver.sink("zimmer-dect", "noanswer")
    result = await pbx.driver.call("2010", "personnel", caller="0387123456", hangup_after=3)
    assert sorted(result.rang) == ["zimmer-dect", "zimmer-desk"], result.summary()
    assert result.dialed == []  # staff may not forward to a mobile at night
    rights = result.apps("AGI", "autocom-time_rules-outgoing")
    assert len(rights) == 1 and rights[0].endswith("/rights,2010,00698765432,,forward")
    assert "21" in result.values("AUTOCOM_TANDEM_CAUSE"), result.summary()  # refused quietly
    assert result.apps("Playback") == []  # no refusal prompt while the other sets ring


async def test_answered_on_a_secondary_the_others_stop(pbx: Pbx, server: Server) -> None:
    await pbx.driver.sink("zimmer-desk", "noanswer")  # would ring 120 s if not cancelled
    await pbx.driver.sink("zimmer-dect", "answer")
    await pbx.driver.sink(MOBILE, "noanswer")
    result = await pbx.driver.call("2010", "personnel", caller="0387123456", max_wait=10)
    assert "zimmer-dect" in result.rang, result.summary()
    assert result.variable("DIALSTATUS") == "ANSWER"  # answered on the DECT handset
    assert result.apps("VoiceMail") == []


async def test_main_set_answers_busy_the_secondary_still_rings(pbx: Pbx, server: Server) -> None:
    """when_main_busy: skip looks at the main set's state (it is in no call), not at
    its answer: a 486 from the desk phone leaves the DECT handset ringing."""
    server.ctx.clock.pin(TUESDAY_22)  # keep the mobile out
    desk_port = await pbx.sip_phone("zimmer-desk")
    dect_port = await pbx.sip_phone("zimmer-dect")
    desk = await pbx.sipp().start(BUSY, port=desk_port)
    dect = await pbx.sipp().start(ANSWER, port=dect_port)
    result = await pbx.driver.call("2010", "personnel", caller="2002", hangup_after=0.5)
    await desk.wait()
    await dect.wait()
    assert desk.ok, desk.explain()
    assert dect.ok, dect.explain()
    assert result.variable("DIALSTATUS") == "ANSWER", result.summary()


async def _dect_calls(pbx: Pbx, number: str) -> tuple[list[str], list[str]]:
    """zimmer-dect (a hallway endpoint whose own caller ID is 5001, class lobby)
    registers and calls ``number``: (numbers dialed on the trunks, callers seen there)."""
    dect = SipEndpoint("zimmer-dect", context="couloirs", callerid='"Amphi A" <5001>')
    result = await pbx.phone_dials(dect, number)
    return result.dialed, [result.sink_caller(n)[0] for n in result.dialed]


async def test_secondary_calls_out_with_the_main_users_class_and_number(
    pbx: Pbx, server: Server
) -> None:
    dialed, callers = await _dect_calls(pbx, "00388123456")  # national: staff yes, lobby no
    assert dialed == ["0388123456"]
    assert callers == ["2010"]


async def test_secondary_with_outgoing_own_keeps_its_own_class(
    pbx: Pbx, server: Server, config: Path
) -> None:
    _site(config.parent, outgoing="own")
    await pbx.reload_autocom(server)
    dialed, _ = await _dect_calls(pbx, "00388123456")
    assert dialed == []  # judged as 5001, class lobby: national refused


async def test_main_set_in_a_call_the_secondaries_stay_quiet(pbx: Pbx, server: Server) -> None:
    """when_main_busy: skip: while zimmer-desk is in another call, a call to 2010 rings
    only the main set (call waiting, here refused busy): no DECT, no mobile."""
    await pbx.set_globals({"AUTOCOM_TEST_ANSWER_SECONDS": "20"})
    await pbx.add_dialplan(
        "[tandem-test]\nexten => 1,1,Dial(Local/zimmer-desk@autocom-test-device-sink)\n"
    )
    first = await pbx.driver.originate("1", "tandem-test", caller="2002")
    await first.wait_for(lambda e: e.get("Event") == "BridgeEnter")  # zimmer-desk answered
    await pbx.driver.sink("zimmer-desk", "busy")
    result = await pbx.driver.call("2010", "personnel", caller="0387123456", hangup_after=2)
    await first.hangup()
    await first.finished()
    assert result.rang == ["zimmer-desk"], result.summary()
    assert result.values("AUTOCOM_TANDEM_CAUSE").count("17") == 2  # both secondaries quiet
    assert result.dialed == []
    assert result.apps("VoiceMail") == ["2010@default,b"]  # busy: his mailbox, busy greeting


async def test_a_tandem_rings_inside_a_hunt_group(pbx: Pbx, server: Server, config: Path) -> None:
    site = config.parent / "site.yaml"
    text = site.read_text(encoding="utf-8")
    site.write_text(text.replace('members: ["2001", "2002", "2003"]', 'members: ["2002", "2010"]'))
    await pbx.reload_autocom(server)
    server.ctx.clock.pin(TUESDAY_22)  # keep the mobile out
    for device in ("bernard-desk", "zimmer-desk"):
        await pbx.driver.sink(device, "noanswer")
    await pbx.driver.sink("zimmer-dect", "answer")
    result = await pbx.driver.call("2900", "personnel", caller="0387123456")
    assert sorted(result.rang) == ["bernard-desk", "zimmer-dect", "zimmer-desk"], result.summary()
    assert result.variable("DIALSTATUS") == "ANSWER"  # the DECT took the group's call
