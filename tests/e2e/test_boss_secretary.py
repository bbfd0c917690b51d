"""Boss/secretary filtering end to end: a real Asterisk 22, autocom serving bsfilter.

The session Asterisk (``pbx`` fixture): this module's site is rendered into it
(dialplan and mailboxes) by ``pbx.autocom`` and put back after each test.
Devices are Local channels into the PBX harness's device sinks, which report
each device that rang and the caller name it was shown.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from apps import features
from apps.boss_secretary import BossSecretaryFeature, state
from autocom.app import Server, running
from autocom.clock import Clock
from tests.e2e.asterisk import AsteriskInstance
from tests.e2e.conftest import Pbx, write_autocom_yaml
from tests.e2e.driver import CallDriver, CallResult
from tests.unit.boss_secretary.sample import site as site_from

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)  # a Tuesday, in office hours
NIGHT = datetime(2026, 11, 24, 21, 30)
OUTSIDE = "0387123456"

SITE = """
name: e2e
contexts:
  - {name: direction, users: "2001-2089", groups: "2090-2099"}
users:
  - {extension: "2001", name: Dupont, first_name: Marie, context: direction,
     devices: [desk-2001, soft-2001], voicemail: "2001"}
  - {extension: "2002", name: Martin, first_name: Anne, context: direction, devices: [desk-2002]}
  - {extension: "2003", name: Bernard, first_name: Luc, context: direction, devices: [desk-2003]}
  - {extension: "2004", name: Petit, first_name: Paul, context: direction, devices: [desk-2004]}
  - {extension: "2005", name: Roux, first_name: Eve, context: direction, devices: [desk-2005]}
  - {extension: "2006", name: Moreau, first_name: Jean, context: direction, devices: [desk-2006]}
  - {extension: "2007", name: Simon, first_name: Lea, context: direction, devices: [desk-2007]}
  - {extension: "2008", name: Garnier, first_name: Ines, context: direction, devices: [desk-2008]}
  - {extension: "2009", name: Faure, first_name: Hugo, context: direction, devices: [desk-2009]}
groups:
  - {extension: "2091", name: Pool, context: direction, members: ["2006", "2007"],
     strategy: linear, ring_time: 2}
  - {extension: "2092", name: Accueil, context: direction, members: ["2006", "2007"],
     strategy: ringall, ring_time: 2}
"""

FILTERS = """
caller_name: "[{boss_upper}] {caller_name}"
filters:
  - name: presidency
    bosses: [{extension: "2001", vip: ["0145678900", "_06XXXXXXXX"]}]
    secretaries: ["2002", "2003"]
    mode: secretaries_first_serial
    secretary_ring_time: 1
    boss_ring_time: 2
    slots: [office_hours]
  - name: deans
    bosses: ["2008"]
    secretaries: ["2005", "2091"]
    mode: secretaries_first_simultaneous
    secretary_ring_time: 1
    boss_ring_time: 1
    fallback: {destination: "2004"}
  - name: lab
    bosses: ["2009"]
    secretaries: ["2092"]
    mode: secretaries_first_serial
    boss_ring_time: 1
    fallback: hangup
"""

RIGHTS = """
timezone: Europe/Paris
slots:
  office_hours:
    weekdays: mon-fri
    hours: ["08:00-18:00"]
"""


def write_config(folder: Path, asterisk: AsteriskInstance) -> Path:
    (folder / "site.yaml").write_text(textwrap.dedent(SITE))
    (folder / "rights.yaml").write_text(textwrap.dedent(RIGHTS))
    (folder / "filters.yaml").write_text(textwrap.dedent(FILTERS))
    return write_autocom_yaml(
        folder,
        asterisk,
        {"time_rules": "rights.yaml", "boss_secretary": "filters.yaml"},
        timezone=TZ,
    )


@pytest.fixture
async def server(tmp_path: Path, pbx: Pbx) -> AsyncIterator[Server]:
    config = write_config(tmp_path, pbx.asterisk)
    async with pbx.autocom(config, clock=Clock(TZ, pinned=DAY)) as srv:
        yield srv


async def call(
    ami: CallDriver,
    exten: str,
    caller: str,
    name: str = "",
    variables: dict[str, str] | None = None,
    **kw: object,
) -> CallResult:
    return await ami.call(
        exten, "direction", caller=caller, caller_name=name, variables=variables, max_wait=30, **kw
    )


async def lamp(ami: CallDriver, boss: str) -> str:
    return await ami.get_global(f"DEVICE_STATE({state.lamp_device(boss)})")


async def test_secretaries_ring_first_then_both_devices_of_the_boss(
    server: Server, ami: CallDriver
) -> None:
    for dev in ("desk-2002", "desk-2003"):
        await ami.sink(dev, "noanswer")
    result = await call(ami, "2001", OUTSIDE, "Jean Martin")
    assert result.rang[:2] == ["desk-2002", "desk-2003"], result.summary()
    assert sorted(result.rang[2:]) == ["desk-2001", "soft-2001"], result.summary()
    # the secretaries see the call is filtered and for whom; the boss sees the caller
    assert result.sink_caller("desk-2002") == (OUTSIDE, "[DUPONT] Jean Martin")
    assert result.sink_caller("desk-2003") == (OUTSIDE, "[DUPONT] Jean Martin")
    assert result.sink_caller("desk-2001") == (OUTSIDE, "Jean Martin")
    assert result.variable("AUTOCOM_BS_FILTERED") == "2001"
    # bsfilter (and the other features' hooks at the user point) answered
    assert result.agistatus and set(result.agistatus) == {"SUCCESS"}
    assert any(data.startswith("agi://") and "/bsfilter," in data for data in result.apps("AGI"))


async def test_a_secretary_who_answers_takes_the_call(server: Server, ami: CallDriver) -> None:
    result = await call(ami, "2001", OUTSIDE, "Jean Martin")
    assert result.rang == ["desk-2002"], result.summary()


async def test_a_vip_caller_reaches_the_boss_directly(server: Server, ami: CallDriver) -> None:
    for caller in ("0145678900", "0612345678"):
        result = await call(ami, "2001", caller, "Important")
        assert sorted(result.rang) == ["desk-2001", "soft-2001"], result.summary()
        assert result.sink_caller("desk-2001") == (caller, "Important")
        assert result.variable("_AUTOCOM_BS_PLAN") == "direct"  # AMI shows the '_'


async def test_a_secretary_calling_the_boss_is_not_filtered(
    server: Server, ami: CallDriver
) -> None:
    result = await call(ami, "2001", "2002", "Martin Anne")
    assert sorted(result.rang) == ["desk-2001", "soft-2001"], result.summary()


async def test_a_call_put_through_by_a_secretary_rings_the_boss(
    server: Server, ami: CallDriver
) -> None:
    # after a blind transfer the caller's channel comes back with what it carried
    put_through = {"AUTOCOM_BS_FILTERED": "2001"}
    result = await call(ami, "2001", OUTSIDE, "Jean", variables=put_through)
    assert sorted(result.rang) == ["desk-2001", "soft-2001"], result.summary()
    transferred = {"BLINDTRANSFER": "PJSIP/desk-2003-0000002a"}
    result = await call(ami, "2001", OUTSIDE, "Jean", variables=transferred)
    assert sorted(result.rang) == ["desk-2001", "soft-2001"], result.summary()


async def test_outside_the_time_slot_the_boss_rings_directly(
    server: Server, ami: CallDriver
) -> None:
    server.ctx.clock.pin(NIGHT)
    result = await call(ami, "2001", OUTSIDE, "Jean Martin")
    assert sorted(result.rang) == ["desk-2001", "soft-2001"], result.summary()


async def test_the_toggle_from_a_secretary_switches_the_filter_and_the_lamp(
    server: Server, ami: CallDriver
) -> None:
    # the server synced the lamp from the store at start: on by default
    await wait_lamp(ami, "2001", "INUSE")
    result = await call(ami, "*372001", "2002")
    assert result.variable("AUTOCOM_BS_TOGGLE") == "off", result.summary()
    assert "de-activated" in result.played
    assert await lamp(ami, "2001") == "NOT_INUSE"
    assert await state.get_state(server.ctx.store, "2001") is False
    # the hint of *372001 follows the lamp (pattern hint, one per boss)
    assert await extension_state(ami, "*372001") == "0"  # idle

    # the filter is off: the boss rings directly
    result = await call(ami, "2001", OUTSIDE, "Jean Martin")
    assert sorted(result.rang) == ["desk-2001", "soft-2001"], result.summary()

    # someone who is neither the boss nor a secretary is refused
    result = await call(ami, "*372001", "2004")
    assert result.variable("AUTOCOM_BS_TOGGLE") == "denied"
    assert "beeperr" in result.played
    assert await lamp(ami, "2001") == "NOT_INUSE"

    # the boss switches it back on
    result = await call(ami, "*372001", "2001")
    assert result.variable("AUTOCOM_BS_TOGGLE") == "on"
    assert await lamp(ami, "2001") == "INUSE"
    assert await extension_state(ami, "*372001") == "1"  # in use
    # not a boss
    result = await call(ami, "*372004", "2004")
    assert result.variable("AUTOCOM_BS_TOGGLE") == "unknown"


async def test_a_linear_group_as_secretary_rings_its_members_beside_the_other(
    server: Server, ami: CallDriver
) -> None:
    for dev in ("desk-2005", "desk-2006", "desk-2007", "desk-2008"):
        await ami.sink(dev, "noanswer")
    result = await call(ami, "2008", OUTSIDE, "Jean Martin")
    rang = result.rang
    # 2005 and the group's first member together, then the second member, then the boss,
    # then the fallback destination 2004 (answers)
    assert sorted(rang[:2]) == ["desk-2005", "desk-2006"], result.summary()
    assert rang[2:] == ["desk-2007", "desk-2008", "desk-2004"], result.summary()
    assert result.sink_caller("desk-2007") == (OUTSIDE, "[GARNIER] Jean Martin")


async def test_a_ringall_group_as_secretary_rings_all_members_then_the_boss(
    server: Server, ami: CallDriver
) -> None:
    for dev in ("desk-2006", "desk-2007", "desk-2009"):
        await ami.sink(dev, "noanswer")
    result = await call(ami, "2009", OUTSIDE, "X")
    assert sorted(result.rang[:2]) == ["desk-2006", "desk-2007"], result.summary()
    assert result.rang[2:] == ["desk-2009"], result.summary()
    assert result.hangup_cause == 19  # fallback: hang up, no answer


async def test_nobody_answers_the_caller_leaves_a_message_in_the_boss_mailbox(
    server: Server, pbx: Pbx, ami: CallDriver
) -> None:
    # presidency's fallback is the default, voicemail: the boss's box 2001 (site.yaml)
    for dev in ("desk-2002", "desk-2003", "desk-2001", "soft-2001"):
        await ami.sink(dev, "noanswer")
    assert pbx.mailbox_messages("2001") == []
    # the caller keys # to skip the greeting, then leaves 2 s of (silent) message
    leave = {"AUTOCOM_TEST_CALLER_SECONDS": "2"}
    result = await call(ami, "2001", OUTSIDE, "Jean Martin", variables=leave, dtmf="#")
    assert result.rang[:2] == ["desk-2002", "desk-2003"], result.summary()
    assert sorted(result.rang[2:]) == ["desk-2001", "soft-2001"], result.summary()
    # the filter's fallback ran VoiceMail for the boss's box (not the PBX's unanswered path)
    assert result.apps("VoiceMail") == ["2001,u"], result.summary()
    assert result.apps("VoiceMail", "autocom-boss_secretary-user") == ["2001,u"]
    # app_voicemail really took the call: one message in box 2001, from the caller
    messages = pbx.mailbox_messages("2001")
    assert [(m["origmailbox"], m["callerid"]) for m in messages] == [
        ("2001", f'"Jean Martin" <{OUTSIDE}>')
    ]


async def test_autocom_down_rings_the_boss_directly(pbx: Pbx, ami: CallDriver) -> None:
    await pbx.load_site(site_from(textwrap.dedent(SITE)))
    await ami.set_global("AUTOCOM_AGI", "agi://127.0.0.1:9")
    result = await call(ami, "2001", OUTSIDE, "Jean Martin")
    assert sorted(result.rang) == ["desk-2001", "soft-2001"], result.summary()
    assert result.agistatus[0] == "FAILURE"


async def test_state_changed_while_serving_reaches_the_lamp(
    server: Server, ami: CallDriver
) -> None:
    feature = server.ctx.features["boss_secretary"]
    assert isinstance(feature, BossSecretaryFeature)
    sync = feature.lamps
    assert sync is not None
    await wait_lamp(ami, "2008", "INUSE")
    # another server (or `autocom filter off`) writes the store
    await state.set_state(server.ctx.store, "2008", False)
    assert await sync.sync_once() == 1
    assert await lamp(ami, "2008") == "NOT_INUSE"


async def test_lamps_are_resynced_from_the_store_at_server_start(
    tmp_path: Path, asterisk: AsteriskInstance, ami: CallDriver
) -> None:
    # no call: the lamps are ARI device states, the site's dialplan is not needed
    config = write_config(tmp_path, asterisk)
    clock = Clock(TZ, pinned=DAY)
    async with running(config, features(), clock=clock, agi_port=0, watch=False) as srv:
        await state.set_state(srv.ctx.store, "2008", False)
    # while autocom is stopped, the lamps drift (Asterisk restored old states, say)
    await ami.set_global(f"DEVICE_STATE({state.lamp_device('2001')})", "NOT_INUSE")
    await ami.set_global(f"DEVICE_STATE({state.lamp_device('2008')})", "INUSE")
    async with running(config, features(), clock=clock, agi_port=0, watch=False):
        await wait_lamp(ami, "2001", "INUSE")  # the filter's default
        await wait_lamp(ami, "2008", "NOT_INUSE")  # the stored state
        await wait_lamp(ami, "2009", "INUSE")


async def wait_lamp(ami: CallDriver, boss: str, wanted: str, within: float = 5) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (got := await lamp(ami, boss)) != wanted:
        if loop.time() > deadline:
            raise AssertionError(f"lamp of {boss}: {got}, expected {wanted}")
        await asyncio.sleep(0.1)


async def extension_state(ami: CallDriver, exten: str) -> str:
    reply = await ami.ami.action("ExtensionState", Exten=exten, Context="direction")
    return reply.get("Status", "")


async def test_tandems_ring_in_the_secretary_and_boss_steps(
    tmp_path: Path, pbx: Pbx, ami: CallDriver
) -> None:
    """A secretary's and the boss's secondary sets (site.yaml tandems) ring in their
    steps, and the secretary's DECT sees the filtered name like the desk phone."""
    config = write_config(tmp_path, pbx.asterisk)
    tandems = (
        "tandems:\n"
        '  - {main: "2002", secondaries: [{device: dect-2002}]}\n'
        '  - {main: "2001", secondaries: [{device: dect-2001}]}\n'
    )
    (tmp_path / "site.yaml").write_text(textwrap.dedent(SITE) + tandems)
    for dev in ("desk-2002", "dect-2002", "desk-2003", "desk-2001", "soft-2001"):
        await ami.sink(dev, "noanswer")
    async with pbx.autocom(config, clock=Clock(TZ, pinned=DAY)):
        result = await call(ami, "2001", OUTSIDE, "Jean Martin")  # the boss's DECT answers
    assert sorted(result.rang[:2]) == ["dect-2002", "desk-2002"], result.summary()
    assert result.rang[2] == "desk-2003"
    assert sorted(result.rang[3:]) == ["dect-2001", "desk-2001", "soft-2001"]
    assert result.sink_caller("dect-2002") == (OUTSIDE, "[DUPONT] Jean Martin")
    assert result.variable("DIALSTATUS") == "ANSWER"
