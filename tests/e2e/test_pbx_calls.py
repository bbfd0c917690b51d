"""Calls through the base dialplan and the example site, on a real Asterisk."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocom.agi.session import AgiSession
from tests.e2e.conftest import DEFAULT_SITE as EXAMPLE_SITE
from tests.e2e.conftest import Pbx, call_driver, load_site, private_asterisk

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
async def base_flows_only(pbx: Pbx) -> None:
    """These tests are about the base dialplan: only the test's own local hooks run."""
    await pbx.only_local_hooks()


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
exten => s,1,AGI(${AUTOCOM_AGI}/test,${ARG1},${ARG2})
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


async def test_ringall_group_rings_every_member_device(pbx: Pbx) -> None:
    result = await pbx.driver.call("2900", "personnel", caller="2004")
    assert sorted(result.rang) == sorted(
        ["martin-desk", "martin-soft", "bernard-desk", "petit-desk", "petit-soft"]
    )
    assert result.variable("AUTOCOM_GROUP") == "2900"


async def test_linear_group_rings_the_next_member_when_one_is_busy(pbx: Pbx) -> None:
    await pbx.driver.sink("simon-desk", "busy")
    result = await pbx.driver.call("2901", "personnel", caller="2004")
    assert result.rang == ["simon-desk", "laurent-desk"]
    assert result.variable("DIALSTATUS") == "ANSWER"


async def test_linear_group_with_a_short_ring_time(pbx: Pbx) -> None:
    site = (EXAMPLE_SITE.read_text()).replace(
        'members: ["2102", "2103"], strategy: linear, ring_time: 10',
        'members: ["2102", "2103"], strategy: linear, ring_time: 1',
    )
    await pbx.load_site(site)
    await pbx.driver.sink("simon-desk", "noanswer")
    result = await pbx.driver.call("2901", "personnel", caller="2004")
    assert result.rang == ["simon-desk", "laurent-desk"]


async def test_busy_user_gets_busy(pbx: Pbx) -> None:
    await pbx.driver.sink("bernard-desk", "busy")
    result = await pbx.driver.call("2002", "personnel", caller="2004")
    assert result.rang == ["bernard-desk"]
    assert result.variable("AUTOCOM_ACTION") == "busy"
    assert result.apps("Busy", "autocom-act") == ["5"]  # busy tone (the caller may hang up first)


async def test_did_reaches_its_user(pbx: Pbx) -> None:
    result = await pbx.driver.call("0389336101", "entrant", caller="0612345678")
    assert sorted(result.rang) == ["moreau-desk", "moreau-soft"]
    assert result.variable("AUTOCOM_DID") == "0389336101"
    assert result.sink_caller("moreau-desk")[0] == "0612345678"


async def test_did_to_a_group(pbx: Pbx) -> None:
    result = await pbx.driver.call("0389336190", "entrant", caller="0612345678")
    assert result.rang[0] == "simon-desk"


async def test_hallway_phone_reaches_staff_and_outside_through_includes(pbx: Pbx) -> None:
    result = await pbx.driver.call("2002", "couloirs", caller="5001")
    assert result.rang == ["bernard-desk"]
    result = await pbx.driver.call("0388000000", "couloirs", caller="5001")
    assert result.dialed == ["388000000"]


async def test_emergency_with_the_line_prefix_and_trunk_failover(pbx: Pbx) -> None:
    await pbx.driver.sink("18", "congestion")  # the first trunk fails: the second one is tried
    result = await pbx.driver.call("018", "personnel", caller="2001")
    assert result.trunk_calls == [("18", "trunk-orange"), ("18", "trunk-sfr")]
    assert result.variable("AUTOCOM_EMERGENCY") == "18"


async def test_outgoing_number_with_non_digits_is_refused(pbx: Pbx) -> None:
    result = await pbx.driver.call("01a2", "personnel", caller="2001")
    assert result.dialed == []
    assert result.hangup_cause == 28


async def test_outgoing_hook_deny_plays_the_prompt_and_hangs_up(pbx: Pbx) -> None:
    await pbx.add_dialplan(
        """
[autocom-local-outgoing]
exten => s,1,Set(TEST_ARGS=${ARG1}|${ARG2}|${ARG3}|${ARG4}|${ARG5})
 same => n,Set(AUTOCOM_ACTION=deny)
 same => n,Set(AUTOCOM_PROMPT=beep)
 same => n,Return()
"""
    )
    result = await pbx.driver.call("00612345678", "personnel", caller="2001")
    assert result.dialed == []
    assert result.variable("TEST_ARGS") == "0612345678|00612345678|sortie|call|"
    assert result.played == ["beep"]
    assert result.hangup_cause == 21


async def test_unknown_action_from_a_hook_refuses_the_call(pbx: Pbx) -> None:
    await pbx.add_dialplan(
        """
[autocom-local-user]
exten => s,1,Set(AUTOCOM_ACTION=bogus)
 same => n,Return()
"""
    )
    result = await pbx.driver.call("2001", "personnel", caller="2002")
    assert result.rang == []
    assert result.hangup_cause == 21


async def test_unanswered_hook_gets_the_dial_status(pbx: Pbx) -> None:
    await pbx.add_dialplan(
        """
[autocom-local-unanswered]
exten => s,1,Set(TEST_ARGS=${ARG1}|${ARG2}|${ARG3})
 same => n,Set(AUTOCOM_ACTION=redirect)
 same => n,Set(AUTOCOM_TARGET=2003)
 same => n,Return()
"""
    )
    await pbx.driver.sink("bernard-desk", "busy")
    result = await pbx.driver.call("2002", "personnel", caller="2004")
    assert result.variable("TEST_ARGS") == "2002|personnel|BUSY"
    assert result.rang[0] == "bernard-desk"
    assert sorted(result.rang[1:]) == ["petit-desk", "petit-soft"]  # they ring together


async def test_feature_codes_context_keeps_the_callers_context(pbx: Pbx) -> None:
    await pbx.add_dialplan(
        """
[autocom-local-codes]
exten => *99,1,Set(TEST_CONTEXT=${CONTEXT})
 same => n,Hangup()
"""
    )
    result = await pbx.driver.call("*99", "couloirs", caller="5001")
    assert result.variable("TEST_CONTEXT") == "couloirs"


async def test_unanswered_user_with_a_mailbox_goes_to_voicemail(pbx: Pbx) -> None:
    await pbx.set_globals({"AUTOCOM_RING_TIME": "1"})
    await pbx.driver.sink("martin-desk", "noanswer")
    await pbx.driver.sink("martin-soft", "noanswer")
    result = await pbx.driver.call("2001", "personnel", caller="2002", hangup_after=1)
    assert sorted(result.rang) == ["martin-desk", "martin-soft"]
    assert result.apps("VoiceMail") == ["2001@default,u"]
    assert result.variable("DIALSTATUS") == "NOANSWER"


async def test_unanswered_user_without_a_mailbox_just_ends(pbx: Pbx) -> None:
    await pbx.set_globals({"AUTOCOM_RING_TIME": "1"})
    await pbx.driver.sink("bernard-desk", "noanswer")
    result = await pbx.driver.call("2002", "personnel", caller="2001")
    assert result.apps("VoiceMail") == []
    assert result.variable("AUTOCOM_ACTION") == "done"


async def test_hints_follow_the_device_dial_template_from_boot(asterisk_root: Path) -> None:
    """A site whose phones are not dialed PJSIP/<device>: the lamps watch what the
    calls dial, already when Asterisk boots (no dialplan function is loaded then)."""
    template = "IAX2/campus-{device}/s"
    with private_asterisk(
        asterisk_root,
        site=load_site(EXAMPLE_SITE),
        globals={"AUTOCOM_DEVICE_DIAL": template},
    ) as instance:
        async with call_driver(instance) as driver:
            state = await driver.ami.action("ExtensionState", Exten="2001", Context="personnel")
            single = await driver.ami.action("ExtensionState", Exten="2002", Context="personnel")
    assert state["Hint"] == "IAX2/campus-martin-desk/s&IAX2/campus-martin-soft/s"
    assert single["Hint"] == "IAX2/campus-bernard-desk/s"


async def test_user_lamp_lights_while_the_device_the_call_dials_rings(pbx: Pbx) -> None:
    """The session's devices are dialed Local/<device>@autocom-test-device-sink: the
    hint watches those channels, so the lamp of 2002 is in use while it rings."""
    idle = await pbx.ami.action("ExtensionState", Exten="2002", Context="personnel")
    assert idle["Hint"] == "Local/bernard-desk@autocom-test-device-sink"
    assert idle["StatusText"] == "Idle"
    await pbx.driver.sink("bernard-desk", "noanswer")
    call = await pbx.driver.originate("2002", "personnel", caller="2004")
    await call.wait_rang("bernard-desk")
    busy = await pbx.ami.action("ExtensionState", Exten="2002", Context="personnel")
    await call.hangup()
    await call.finished()
    assert busy["StatusText"] == "InUse"


LINEAR_GROUP = 'members: ["2102", "2103"], strategy: linear, ring_time: 10'
RINGALL_GROUP = (
    'members: ["2001", "2002", "2003"], strategy: ringall, ring_time: 20,\n'
    '     overflow: {voicemail: "2001"}'
)


def ringall_with(ring_time: str, overflow: str) -> str:
    """The example's group 2900 with another ring time and overflow."""
    return RINGALL_GROUP.replace("ring_time: 20", f"ring_time: {ring_time}").replace(
        'voicemail: "2001"', overflow
    )


def linear_with(ring_time: str, overflow: str) -> str:
    """The example's group 2901 with another ring time and an overflow."""
    return LINEAR_GROUP.replace("ring_time: 10", f"ring_time: {ring_time}") + (
        f", overflow: {{{overflow}}}"
    )


def example_site_with(old: str, new: str) -> str:
    text = EXAMPLE_SITE.read_text()
    assert old in text
    return text.replace(old, new)


async def test_group_nobody_answers_in_time_overflow_rings_the_extension(pbx: Pbx) -> None:
    await pbx.load_site(
        example_site_with(
            RINGALL_GROUP,
            ringall_with(ring_time="1", overflow='extension: "2004"'),
        )
    )
    for device in ("martin-desk", "martin-soft", "bernard-desk", "petit-desk", "petit-soft"):
        await pbx.driver.sink(device, "noanswer")
    result = await pbx.driver.call("2900", "personnel", caller="0612345678")
    assert sorted(result.rang[:5]) == sorted(
        ["martin-desk", "martin-soft", "bernard-desk", "petit-desk", "petit-soft"]
    )
    assert result.rang[5:] == ["durand-desk"]  # the overflow, after the members
    assert result.variable("AUTOCOM_GROUP_STATUS") == "NOANSWER"
    assert result.variable("DIALSTATUS") == "ANSWER"  # Durand answered


async def test_linear_group_all_busy_overflow_to_a_mailbox(pbx: Pbx) -> None:
    await pbx.load_site(example_site_with(LINEAR_GROUP, linear_with("10", 'voicemail: "2101"')))
    await pbx.driver.sink("simon-desk", "busy")
    await pbx.driver.sink("laurent-desk", "busy")
    result = await pbx.driver.call("2901", "personnel", caller="2004", hangup_after=1)
    assert result.rang == ["simon-desk", "laurent-desk"]
    assert result.apps("VoiceMail") == ["2101@default,b"]


async def test_group_overflow_to_an_external_number_is_a_forward_of_the_group(
    pbx: Pbx,
) -> None:
    """The overflow goes out through the outgoing hook like any external call, as a
    forward on behalf of the group (call rights check purpose forward for 2901)."""
    await pbx.add_dialplan(
        """
[autocom-local-outgoing]
exten => s,1,Set(TEST_OUTGOING=${ARG1}|${ARG2}|${ARG3}|${ARG4}|${ARG5})
 same => n,Return()
"""
    )
    await pbx.load_site(example_site_with(LINEAR_GROUP, linear_with("1", 'number: "00612345678"')))
    await pbx.driver.sink("simon-desk", "noanswer")
    await pbx.driver.sink("laurent-desk", "unavailable")
    result = await pbx.driver.call("0389336190", "entrant", caller="0388000000")
    assert result.rang == ["simon-desk", "laurent-desk"]
    assert result.variable("AUTOCOM_GROUP_STATUS") == "CHANUNAVAIL"
    assert result.values("TEST_OUTGOING") == ["0612345678|00612345678|sortie|forward|2901"]
    assert result.trunk_calls == [("0612345678", "trunk-orange")]


async def test_group_overflow_refused_by_the_outgoing_hook_is_not_dialed(pbx: Pbx) -> None:
    await pbx.add_dialplan(
        """
[autocom-local-outgoing]
exten => s,1,Set(AUTOCOM_ACTION=deny)
 same => n,Set(AUTOCOM_CAUSE=52)
 same => n,Return()
"""
    )
    await pbx.load_site(example_site_with(LINEAR_GROUP, linear_with("1", 'number: "00612345678"')))
    await pbx.driver.sink("simon-desk", "busy")
    await pbx.driver.sink("laurent-desk", "busy")
    result = await pbx.driver.call("2901", "personnel", caller="2004")
    assert result.dialed == []
    assert result.hangup_cause == 52


async def test_group_overflow_to_another_group_then_its_own_overflow(pbx: Pbx) -> None:
    site = example_site_with(
        LINEAR_GROUP,
        linear_with("1", 'extension: "2900"'),
    ).replace(
        RINGALL_GROUP,
        ringall_with(ring_time="1", overflow='extension: "2101"'),
    )
    await pbx.load_site(site)
    for device in ("simon-desk", "laurent-desk", "martin-desk", "martin-soft"):
        await pbx.driver.sink(device, "busy")
    for device in ("bernard-desk", "petit-desk", "petit-soft"):
        await pbx.driver.sink(device, "noanswer")
    result = await pbx.driver.call("2901", "personnel", caller="2004")
    assert result.rang[:2] == ["simon-desk", "laurent-desk"]
    assert sorted(result.rang[2:7]) == sorted(
        ["martin-desk", "martin-soft", "bernard-desk", "petit-desk", "petit-soft"]
    )
    assert sorted(result.rang[7:]) == ["moreau-desk", "moreau-soft"]
    assert result.values("AUTOCOM_GROUP") == ["2901", "2900"]


async def test_example_reception_group_overflows_to_a_mailbox(pbx: Pbx) -> None:
    await pbx.load_site(example_site_with(RINGALL_GROUP, ringall_with("1", 'voicemail: "2001"')))
    for device in ("martin-desk", "martin-soft", "bernard-desk", "petit-desk", "petit-soft"):
        await pbx.driver.sink(device, "noanswer")
    result = await pbx.driver.call("2900", "personnel", caller="2004", hangup_after=1)
    assert len(result.rang) == 5
    assert result.apps("VoiceMail") == ["2001@default,u"]


async def test_group_without_overflow_still_gives_busy(pbx: Pbx) -> None:
    await pbx.driver.sink("simon-desk", "busy")
    await pbx.driver.sink("laurent-desk", "busy")
    result = await pbx.driver.call("2901", "personnel", caller="2004")
    assert result.rang == ["simon-desk", "laurent-desk"]
    assert result.variable("AUTOCOM_ACTION") == "busy"
    assert result.apps("Busy", "autocom-act") == ["5"]
