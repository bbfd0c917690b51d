"""A phone answering 302 (a forward set on the phone): SIPp plays the phone.

The phone is a PJSIP endpoint whose AOR has a static contact (SIPp's port), so
no REGISTER is needed.  SIPp answers the INVITE with 302 Moved Temporarily to an
external number; Asterisk dials Local/<target>@autocom-forward, where autocom
checks the forward with the rights of the phone's owner.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from autocom.clock import Clock
from tests.e2e.conftest import ConfigDir, Pbx
from tests.e2e.sipp import MOVED, SippRun

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)


async def phone_302(pbx: Pbx, cfg: ConfigDir, user: str) -> SippRun:
    """``user``'s only device is a SIPp phone answering 302 to 00612345678."""
    site = cfg.folder / "site.yaml"
    text = site.read_text()
    old = {"2002": "devices: [bernard-desk]", "5001": "devices: [amphi-a]"}[user]
    site.write_text(text.replace(old, "devices: [sipp-phone]"))
    port = await pbx.sip_phone("sipp-phone")
    return await pbx.sipp().start(MOVED, port=port, variables={"target": "00612345678"})


async def test_302_to_a_mobile_followed_for_an_allowed_user(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    phone = await phone_302(pbx, autocom_config, "2002")
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)):
        result = await pbx.driver.call("2002", "personnel", caller="2004", max_wait=20)
    await phone.wait()
    assert phone.ok, phone.explain()  # the phone was rung and answered 302
    assert result.dialed == ["0612345678"], result.summary()
    assert "autocom-forward" in result.contexts
    assert "external:00612345678" in result.values("AUTOCOM_FWD"), result.summary()


async def test_302_to_a_mobile_blocked_for_a_restricted_user(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    phone = await phone_302(pbx, autocom_config, "5001")
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)):
        result = await pbx.driver.call("5001", "couloirs", caller="2004", max_wait=20)
    await phone.wait()
    assert phone.ok, phone.explain()  # the phone was rung and answered 302
    assert result.dialed == [], result.summary()
    assert "autocom-forward" in result.contexts
    # autocom answered (no safe path) and refused: the forward leg hung up
    assert set(result.values("AUTOCOM_FWD")) == {""}, result.summary()
    assert "forward-phone" in " ".join(
        e.get("Command", "") + e.get("AppData", "") for e in result.events
    )
    assert "SUCCESS" in result.agistatus
