"""Calls through the base dialplan and the example site, on a real Asterisk."""

from __future__ import annotations

import pytest

from autocom.agi.session import AgiSession
from tests.e2e.conftest import Pbx

pytestmark = pytest.mark.e2e


async def test_internal_call_rings_every_device_of_the_user(pbx: Pbx) -> None:
    result = await pbx.driver.call("2001", "personnel", caller="2002", caller_name="Bernard Luc")
    assert sorted(result.rang) == ["martin-desk", "martin-soft"]
    assert result.variable("DIALSTATUS") == "ANSWER"
    assert result.sink_caller("martin-desk") == ("2002", "Bernard Luc")


async def test_outgoing_call_reaches_the_first_trunk_without_the_prefix(pbx: Pbx) -> None:
    result = await pbx.driver.call("00612345678", "personnel", caller="2001")
    assert result.trunk_calls == [("0612345678", "trunk-orange")]


async def test_emergency_number_goes_straight_to_the_trunk(pbx: Pbx) -> None:
    result = await pbx.driver.call("112", "couloirs", caller="5001")
    assert result.dialed == ["112"]
    assert result.agistatus == []  # no hook, no AGI on the way
    assert "autocom-hooks" not in result.contexts


LOCAL_USER_HOOK = """
[autocom-local-user]
exten => s,1,AGI(agi://${AUTOCOM_AGI}/test,${ARG1},${ARG2})
 same => n,Set(TEST_AGISTATUS=${AGISTATUS})
 same => n,Return()
"""


async def test_user_hook_redirects_the_call(pbx: Pbx) -> None:
    seen: list[tuple[str, ...]] = []

    async def hook(session: AgiSession) -> None:
        seen.append(session.env.args)
        if session.env.args[0] == "2001":
            await session.set_variable("AUTOCOM_ACTION", "redirect")
            await session.set_variable("AUTOCOM_TARGET", "2002")

    await pbx.add_dialplan(LOCAL_USER_HOOK)
    async with pbx.agi(hook):
        result = await pbx.driver.call("2001", "personnel", caller="2003")
    assert seen == [("2001", "personnel"), ("2002", "personnel")]
    assert result.rang == ["bernard-desk"]
    assert result.values("TEST_AGISTATUS") == ["SUCCESS", "SUCCESS"]


async def test_user_hook_safe_path_when_autocom_is_down(pbx: Pbx) -> None:
    await pbx.add_dialplan(LOCAL_USER_HOOK)
    result = await pbx.driver.call("2001", "personnel", caller="2003")
    assert result.values("TEST_AGISTATUS") == ["FAILURE"]
    assert sorted(result.rang) == ["martin-desk", "martin-soft"]


async def test_redirect_loop_is_cut(pbx: Pbx) -> None:
    async def hook(session: AgiSession) -> None:
        target = "2002" if session.env.args[0] == "2001" else "2001"
        await session.set_variable("AUTOCOM_ACTION", "redirect")
        await session.set_variable("AUTOCOM_TARGET", target)

    await pbx.add_dialplan(LOCAL_USER_HOOK)
    async with pbx.agi(hook):
        result = await pbx.driver.call("2001", "personnel", caller="2003")
    assert result.rang == []
    assert len(result.values("TEST_AGISTATUS")) == 6  # AUTOCOM_MAX_REDIRECTS=5, then cut
    assert result.hangup_cause == 25
