"""Do-not-disturb end to end: a real Asterisk 22 and the example site's tandem of 2010.

*78 dialed from the numberless DECT secondary zimmer-dect (a SIPp phone whose own
caller ID is 5001) turns on the DND of the main user 2010: a call to 2010 rings
none of the tandem's sets and goes on as busy (here 2010's voicemail, busy
greeting); *79 and they ring again.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from apps.forwards import state as forwards_state
from autocom.clock import Clock
from tests.e2e.asterisk import SipEndpoint
from tests.e2e.conftest import ConfigDir, Pbx
from tests.e2e.driver import CallResult

pytestmark = pytest.mark.e2e

DAY = datetime(2026, 11, 24, 22, 0)  # night: the tandem's mobile leg stays out


async def _dect_dials(pbx: Pbx, code: str) -> CallResult:
    """zimmer-dect registers and dials ``code``; the call as Asterisk saw it."""
    dect = SipEndpoint("zimmer-dect", context="personnel", callerid="<5001>")
    return await pbx.phone_dials(dect, code)


async def test_dnd_silences_the_tandem_and_the_caller_gets_busy(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    async with pbx.autocom(autocom_config.path, clock=Clock("Europe/Paris", pinned=DAY)) as srv:
        await pbx.set_globals({"AUTOCOM_RING_TIME": "2"})
        on = await _dect_dials(pbx, "*78")
        assert "do-not-disturb" in on.played, on.summary()
        on_now, _ = await forwards_state.recall_dnd(srv.ctx.last_known, srv.ctx.store, "2010")
        assert on_now  # stored as the main user's
        await pbx.driver.sink("zimmer-desk", "noanswer")
        await pbx.driver.sink("zimmer-dect", "noanswer")
        quiet = await pbx.driver.call("2010", "personnel", caller="2002", hangup_after=3)
        assert quiet.rang == [], quiet.summary()
        assert "dnd:" in quiet.values("AUTOCOM_FWD"), quiet.summary()
        # as if busy: 2010 has a mailbox, so its busy greeting
        assert [a.split(",")[:2] for a in quiet.apps("VoiceMail")] == [["2010@default", "b"]]

        off = await _dect_dials(pbx, "*79")
        assert "de-activated" in off.played, off.summary()
        rings = await pbx.driver.call("2010", "personnel", caller="2002", hangup_after=3)
        assert sorted(rings.rang) == ["zimmer-dect", "zimmer-desk"], rings.summary()
