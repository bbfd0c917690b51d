"""Calls through the base dialplan and the example site, on a real Asterisk."""

from __future__ import annotations

import pytest

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
