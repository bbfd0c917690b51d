"""SIPp phones on the real Asterisk: registration, a call through autocom's hooks,
and a phone answering 302 Moved Temporarily (a forward set on the phone)."""

from __future__ import annotations

import os

import pytest

from tests.e2e.asterisk import SipEndpoint
from tests.e2e.conftest import ConfigDir, Pbx
from tests.e2e.driver import CallResult
from tests.e2e.sipp import ANSWER, BUSY, CALL, MOVED, REGISTER

pytestmark = pytest.mark.e2e


async def phone_calls_2002(pbx: Pbx, config: ConfigDir, phone: str, caller_name: str) -> CallResult:
    """``phone`` registers, then calls 2002 with ``caller_name`` as its SIP display
    name while autocom serves ``config``; the call's result once it is over."""
    sipp = pbx.sipp()
    reg = await sipp.run(REGISTER, service=phone, user=phone, password="secret")
    assert reg.ok, reg.explain()
    async with pbx.autocom(config.path):
        mark = pbx.driver.mark()
        run = await sipp.start(
            CALL,
            service="2002",
            user=phone,
            password="secret",
            port=reg.port,
            variables={"caller_name": caller_name},
        )
        call = await pbx.driver.call_from(f"PJSIP/{phone}-", mark)
        result = await call.finished(20)
        await run.wait()
    assert run.ok, run.explain()
    return result


async def test_phone_registers_with_digest_auth(pbx: Pbx) -> None:
    sipp = pbx.sipp()
    run = await sipp.run(REGISTER, service="phone-c", user="phone-c", password="secret")
    assert run.ok, run.explain()
    contacts = await pbx.driver.command("pjsip show contacts")
    assert f"phone-c/sip:phone-c@127.0.0.1:{run.port}" in contacts
    bad = await sipp.run(REGISTER, service="phone-c", user="phone-c", password="wrong")
    assert not bad.ok


async def test_registered_phone_calls_a_user_through_autocom_hooks(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    result = await phone_calls_2002(pbx, autocom_config, "phone-a", "Durand Marc")
    assert result.rang == ["bernard-desk"]
    assert result.agistatus and set(result.agistatus) == {"SUCCESS"}
    assert result.sink_caller("bernard-desk")[0] == "2004"  # the endpoint's caller id
    assert "autocom-hooks" in result.contexts


async def test_phone_forward_302_lands_in_the_forward_context(pbx: Pbx) -> None:
    """Bernard's desk phone answers 302 to 00612345678: the forward leg goes through
    the forward hook, then out on behalf of Bernard, purpose forward."""
    await pbx.only_local_hooks()
    await pbx.add_dialplan(
        """
[autocom-local-forward]
exten => s,1,Set(TEST_FORWARD=${ARG1}|${ARG2}|${ARG3}|${FORWARDERNAME})
 same => n,Return()

[autocom-local-outgoing]
exten => s,1,Set(TEST_OUTGOING=${ARG1}|${ARG2}|${ARG3}|${ARG4}|${ARG5})
 same => n,Return()
"""
    )
    port = await pbx.sip_phone("bernard-desk")
    phone = await pbx.sipp().start(MOVED, port=port, variables={"target": "00612345678"})
    result = await pbx.driver.call("2002", "personnel", caller="2004")
    await phone.wait()
    assert phone.ok, phone.explain()
    assert result.dialed == ["0612345678"]
    forward = result.values("TEST_FORWARD")
    assert len(forward) == 1 and forward[0].startswith(
        "00612345678|2002|personnel|PJSIP/bernard-desk-"
    )
    assert result.values("TEST_OUTGOING") == ["0612345678|00612345678|sortie|forward|2002"]
    assert "autocom-forward" in result.contexts


async def test_phone_forward_302_to_an_invalid_target_is_refused(pbx: Pbx) -> None:
    await pbx.only_local_hooks()
    port = await pbx.sip_phone("bernard-desk")
    phone = await pbx.sipp().start(MOVED, port=port, variables={"target": "0612;evil"})
    result = await pbx.driver.call("2002", "personnel", caller="2004")
    await phone.wait()
    assert result.dialed == []
    # refused by the digits check, not for another reason (unknown device, hook...)
    assert result.apps("Hangup", "autocom-forward") == ["28"]
    assert result.apps("Gosub", "autocom-forward") == []  # no owner lookup, no forward hook


async def test_sip_phone_busy_and_answering(pbx: Pbx) -> None:
    await pbx.only_local_hooks()
    port = await pbx.sip_phone("bernard-desk")
    phone = await pbx.sipp().start(BUSY, port=port)
    result = await pbx.driver.call("2002", "personnel", caller="2004")
    await phone.wait()
    assert phone.ok, phone.explain()
    assert result.variable("DIALSTATUS") == "BUSY"
    assert result.apps("Busy", "autocom-act") == ["5"]
    phone = await pbx.sipp().start(ANSWER, port=port)
    result = await pbx.driver.call("2002", "personnel", caller="2004", hangup_after=0.5)
    await phone.wait()
    assert phone.ok, phone.explain()
    assert result.variable("DIALSTATUS") == "ANSWER"


async def test_phone_forward_302_from_a_group_member_is_on_behalf_of_the_device_owner(
    pbx: Pbx,
) -> None:
    """In a ringall group no single user is being called: the forwarding device's
    owner (autocom-site-devices) is the user the forward is placed for."""
    await pbx.only_local_hooks()
    await pbx.add_dialplan(
        """
[autocom-local-outgoing]
exten => s,1,Set(TEST_OUTGOING=${ARG4}|${ARG5})
 same => n,Return()
"""
    )
    port = await pbx.sip_phone("bernard-desk", dial_sip=False)
    # bernard-desk is dialed as a SIP phone, the other members ring their sinks unanswered
    await pbx.add_dialplan(
        """
[autocom-test-device-sink]
exten => bernard-desk,1,Dial(PJSIP/bernard-desk)
"""
    )
    for device in ("martin-desk", "martin-soft", "petit-desk", "petit-soft"):
        await pbx.driver.sink(device, "noanswer")
    phone = await pbx.sipp().start(MOVED, port=port, variables={"target": "00388000000"})
    result = await pbx.driver.call("2900", "personnel", caller="2004")
    await phone.wait()
    assert phone.ok, phone.explain()
    assert result.dialed == ["0388000000"]
    assert result.values("TEST_OUTGOING") == ["forward|2002"]
    assert result.values("AUTOCOM_FORWARDER_DEVICE")[-1] == "bernard-desk"


async def test_hostile_caller_name_stays_data_through_every_hook(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    """A SIP display name that would run SHELL if anything expanded it goes through
    the whole dialplan (every feature's hooks, autocom running) as plain data."""
    marker = f"/tmp/autocom-pwned-{os.getpid()}"
    outside = pbx.asterisk.outside(marker)
    outside.unlink(missing_ok=True)
    name = f'Evil\\" ${{SHELL(touch {marker})}},x&y'
    # an endpoint without a callerid= of its own: the phone's display name is used
    await pbx.add_endpoint(SipEndpoint("phone-evil", context="personnel"))
    result = await phone_calls_2002(pbx, autocom_config, "phone-evil", name)
    assert result.rang == ["bernard-desk"]
    received = [
        e.get("CallerIDName", "")
        for e in result.events
        if e.get("Event") == "Newchannel" and e.get("Channel", "").startswith("PJSIP/phone-evil-")
    ]
    assert received and f"SHELL(touch {marker})" in received[0]  # the name did arrive
    assert f"SHELL(touch {marker})" in result.sink_caller("bernard-desk")[1]  # and rang on
    assert set(result.agistatus) == {"SUCCESS"}  # and went through autocom's hooks
    assert not outside.exists()  # but nothing expanded it
