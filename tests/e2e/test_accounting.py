"""Call accounting on the real Asterisk 22: CEL over AMI and from the backlog.

A private Asterisk with CEL on (cel_manager + cel_sqlite3_custom) and the real
autocom server with accounting.yaml pointed at its AMI and backlog.  Each call
gives the expected ticket, field by field; calls made while autocom is stopped
are all there after it starts again (caught up from the backlog).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from apps import features
from apps.accounting import AccountingFeature
from apps.accounting.state import Query
from autocom.ami.client import AmiAccess, AmiLink
from autocom.app import Server, running
from autocom.clock import Clock
from autocom.site.dialplan import render_dialplan
from tests.e2e.ami import AmiClient
from tests.e2e.asterisk import TEST_GLOBALS, AsteriskInstance, SipEndpoint
from tests.e2e.conftest import (
    DEFAULT_SITE,
    EXAMPLES,
    AriAccess,
    ConfigDir,
    load_site,
    private_asterisk,
)
from tests.e2e.driver import Call, CallDriver
from tests.e2e.sipp import MOVED, Sipp, free_udp_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cel_asterisk(asterisk_root: Path) -> Iterator[AsteriskInstance]:
    with private_asterisk(
        asterisk_root, site=load_site(DEFAULT_SITE), globals={"AUTOCOM_RING_TIME": "2"}, cel=True
    ) as instance:
        yield instance


@pytest.fixture
async def driver(cel_asterisk: AsteriskInstance) -> AsyncIterator[CallDriver]:
    a = cel_asterisk
    client = await AmiClient.connect(a.host, a.ami_port, a.ami_user, a.ami_secret)
    drv = CallDriver(client)
    await drv.reset_sinks()
    try:
        yield drv
    finally:
        await drv.reset_sinks()
        await client.close()


def accounting_config(folder: Path, a: AsteriskInstance) -> Path:
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("var"))
    (folder / "accounting.yaml").write_text(
        f"ami: {{host: {a.host}, port: '{a.ami_port}', user: {a.ami_user}, "
        f"secret: '{a.ami_secret}'}}\n"
        f"backlog: {a.cel_backlog}\n"
        "asterisk_timezone: UTC\n"
        f"storage: {{backend: sqlite, path: {folder / 'calls.sqlite'}}}\n"
        "tariffs:\n  - {category: internal, setup: '0.01', per_minute: '0'}\n"
        "  - {category: international, setup: '0.10', per_minute: '0.30', increment: '60'}\n"
    )
    main = folder / "autocom.yaml"
    text, count = re.subn(
        r"(?m)^rules:\n", "rules:\n  accounting: accounting.yaml\n", main.read_text()
    )
    assert count == 1, "examples/autocom.yaml has no rules: section"
    main.write_text(text)
    return main


async def tickets(
    feature: AccountingFeature, ids: set[str], max_wait: float = 15
) -> dict[str, Any]:
    """The stored tickets by id once those of ``ids`` are all there (or time is up)."""
    assert feature.service is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait
    while True:
        rows = await feature.service.store.tickets(Query(limit=1000))
        got = {r.id: r.body for r in rows}
        if ids <= set(got) or loop.time() > deadline:
            return got
        await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def autocom_on(
    a: AsteriskInstance,
    driver: CallDriver,
    config: Path,
    feats: list[Any],
    clock: Clock | None = None,
) -> AsyncIterator[Server]:
    """The real autocom server: its site (and feature codes) rendered into ``a``,
    AUTOCOM_AGI pointed at it."""
    async with running(config, feats, clock=clock, agi_port=0, http_port=0, watch=False) as srv:
        await asyncio.to_thread(
            a.reconfigure, site_dialplan=render_dialplan(srv.ctx.config.current)
        )
        await driver.set_global("AUTOCOM_AGI", f"agi://127.0.0.1:{srv.agi_port}")
        yield srv


def accounting(feats: list[Any]) -> AccountingFeature:
    return next(f for f in feats if isinstance(f, AccountingFeature))


async def test_tickets_live_and_after_a_restart(
    cel_asterisk: AsteriskInstance, driver: CallDriver, tmp_path: Path
) -> None:
    config = accounting_config(tmp_path / "config", cel_asterisk)
    feats = features()
    async with autocom_on(cel_asterisk, driver, config, feats):
        answered = await driver.call("2001", "personnel", caller="2002", caller_name="Bernard")
        await driver.sink("petit-desk", "busy")
        await driver.sink("petit-soft", "busy")
        busy = await driver.call("2003", "personnel", caller="2002")
        await driver.sink("durand-desk", "noanswer")
        missed = await driver.call("2004", "personnel", caller="2002")
        ids = {answered.call_id, busy.call_id, missed.call_id}
        got = await tickets(accounting(feats), ids)
    assert answered.answered
    assert set(got) == ids, got.keys()
    a = got[answered.call_id]
    assert (a["caller"], a["caller_name"], a["caller_user"]) == ("2002", "Bernard", "2002")
    assert (a["called"], a["called_user"], a["answered_by"]) == ("2001", "2001", "2001")
    assert (a["direction"], a["disposition"], a["category"]) == ("internal", "answered", "internal")
    assert (a["department"], a["payer"], a["price"]) == ("Scolarité", "2002", "0.0100")
    assert {leg["target"] for leg in a["legs"]} == {"martin-desk", "martin-soft"}
    assert "user=2001" in a["marks"]
    b = got[busy.call_id]
    assert (b["disposition"], b["answered_by"], b["talk_seconds"], b["price"]) == (
        "busy",
        "",
        0,
        "0",
    )
    assert [leg["status"] for leg in b["legs"]] == ["busy", "busy"]
    m = got[missed.call_id]
    assert (m["disposition"], m["called_user"]) == ("no_answer", "2004")
    assert 2 <= m["ring_seconds"] <= 4  # AUTOCOM_RING_TIME=2, plus the hooks
    assert [leg["status"] for leg in m["legs"]] == ["no_answer"]

    # autocom stopped: calls go on, Asterisk writes them to the backlog only
    await driver.set_global("AUTOCOM_AGI", "agi://127.0.0.1:9")
    await driver.reset_sinks()
    while_down = [await driver.call(ext, "personnel", caller="2002") for ext in ("2001", "2003")]
    feats = features()
    async with running(config, feats, agi_port=0, http_port=0, watch=False):
        got = await tickets(accounting(feats), ids | {c.call_id for c in while_down})
    assert set(got) == ids | {c.call_id for c in while_down}
    assert [got[c.call_id]["disposition"] for c in while_down] == ["answered", "answered"]


DAY = datetime(2026, 11, 24, 10, 0)  # a Tuesday, office hours
NIGHT = datetime(2026, 11, 24, 23, 0)
# 2001 is a boss filtered in office hours (examples/filters.yaml): the transfer tests
# need martin-desk to answer, so they run after hours whatever the wall clock says
AFTER_HOURS = Clock("Europe/Paris", pinned=NIGHT)


async def test_feature_calls_give_their_tickets(
    cel_asterisk: AsteriskInstance, driver: CallDriver, tmp_path: Path
) -> None:
    """A *21 forward outside, a speed dial, a hunt group, a refused call, a PIN
    override: each ticket says what autocom did."""
    config = accounting_config(tmp_path / "config", cel_asterisk)
    feats = features()
    clock = Clock("Europe/Paris", pinned=DAY)
    async with autocom_on(cel_asterisk, driver, config, feats, clock=clock):
        code = await driver.call("*2100612345678", "personnel", caller="2002")
        forwarded = await driver.call("2002", "personnel", caller="2004")
        await driver.call("*21", "personnel", caller="2002")  # off again
        speed = await driver.call("8002", "personnel", caller="2002")
        group = await driver.call("2900", "personnel", caller="2004")
        refused = await driver.call("000441234567890", "couloirs", caller="5001")
        clock.pin(NIGHT)  # international needs a PIN at night; 2002's is 1234
        pin = await driver.call(
            "000044123456789", "personnel", caller="2002", dtmf="1234#", max_wait=30
        )
        calls = (code, forwarded, speed, group, refused, pin)
        got = await tickets(accounting(feats), {c.call_id for c in calls})
    assert forwarded.dialed == ["0612345678"], forwarded.summary()

    f = got[forwarded.call_id]
    assert (f["caller_user"], f["called"], f["called_user"]) == ("2004", "2002", "2002")
    assert f["forwards"] == [{"from": "2002", "to": "00612345678", "reason": "unconditional"}]
    assert (f["direction"], f["payer"], f["disposition"]) == ("outgoing", "2002", "answered")
    assert (f["rights"], f["answered_by"]) == ("allow", "0612345678")
    assert f["category"] != ""
    assert [(leg["kind"], leg["target"]) for leg in f["legs"]] == [("trunk", "0612345678")]

    s = got[speed.call_id]
    assert (s["called"], s["direction"], s["answered_by"], s["speed_dial"]) == (
        "8002",
        "outgoing",
        "0389123456",
        "8002",
    )
    assert s["payer"] == "2002" and s["department"] == "Scolarité"
    # no rights decision on a speed dial's path: the rights domain classifies the number
    assert (s["category"], s["rights_class"]) == ("national", "staff")

    g = got[group.call_id]
    assert (g["group"], g["disposition"], g["direction"]) == ("2900", "answered", "internal")
    assert {leg["user"] for leg in g["legs"]} == {"2001", "2002", "2003"}
    assert g["answered_by"] in {"2001", "2002", "2003"}

    r = got[refused.call_id]
    assert (r["disposition"], r["rights"], r["caller_user"]) == ("denied", "deny", "5001")
    assert (r["category"], r["rights_class"]) == ("international", "lobby")
    assert (r["legs"], r["price"], r["answer"]) == ([], "0", None)

    assert got[code.call_id]["called"] == "*2100612345678"

    p = got[pin.call_id]
    assert pin.dialed == ["00044123456789"], pin.summary()
    assert (p["rights"], p["pin"], p["category"], p["disposition"]) == (
        "pin",
        "ok",
        "international",
        "answered",
    )
    assert (p["payer"], p["price"], p["answered_by"]) == ("2002", "0.4000", "00044123456789")


async def bridged_device(call: Call, device: str) -> str:
    """The channel of ``device``'s sink (the ;1 half) once it joined a bridge."""
    event = await call.wait_for(
        lambda e: (
            e.get("Event") == "BridgeEnter"
            and e.get("Channel", "").startswith(f"Local/{device}@")
            and e.get("Channel", "").endswith(";1")
        )
    )
    return event["Channel"]


async def answered_on_martin_desk(driver: CallDriver) -> tuple[Call, str]:
    """2004 calls 2001 and martin-desk answers (and stays on): the call and that
    device's channel in the bridge (the one that transfers)."""
    await driver.sink("martin-desk", "echo")
    await driver.sink("martin-soft", "busy")
    call = await driver.originate("2001", "personnel", caller="2004")
    return call, await bridged_device(call, "martin-desk")


async def test_blind_transfer_is_in_the_ticket(
    cel_asterisk: AsteriskInstance, driver: CallDriver, tmp_path: Path
) -> None:
    """2004 calls 2001; 2001 (martin-desk) answers and blind-transfers the call to 2003
    (AMI BlindTransfer, as a phone's transfer key does); 2003 answers."""
    config = accounting_config(tmp_path / "config", cel_asterisk)
    feats = features()
    async with autocom_on(cel_asterisk, driver, config, feats, clock=AFTER_HOURS):
        call, desk = await answered_on_martin_desk(driver)
        await driver.ami.action("BlindTransfer", Channel=desk, Exten="2003", Context="personnel")
        result = await call.finished(20)
        got = await tickets(accounting(feats), {call.call_id})
    assert "petit-desk" in result.rang, result.summary()
    t = got[call.call_id]
    assert t["transfers"] == [
        {"kind": "blind", "by": "2001", "to": "2003", "at": t["transfers"][0]["at"]}
    ]
    assert (t["answered_by"], t["disposition"]) == ("2001", "answered")
    users = [(leg["user"], leg["status"]) for leg in t["legs"]]
    assert ("2001", "answered") in users and users[-1][0] == "2003", users


async def test_ivr_and_secretary_filter_tickets(
    cel_asterisk: AsteriskInstance, driver: CallDriver, tmp_path: Path
) -> None:
    """A caller goes through the IVR (key 2: the switchboard, 2001); 2001 is a boss
    whose secretaries 2002 then 2003 take the calls first (examples/filters.yaml)."""
    a = cel_asterisk
    config = accounting_config(tmp_path / "config", a)
    ConfigDir(config.parent).point_ari(AriAccess(a.host, a.http_port, a.ari_user, a.ari_password))
    feats = features()
    clock = Clock("Europe/Paris", pinned=DAY)
    async with autocom_on(a, driver, config, feats, clock=clock) as srv:
        await driver.set_global("AUTOCOM_IVR_DEFAULT_CONTEXT", "personnel")
        ivr = srv.ctx.features["ivr"]
        await ivr.link.wait_connected(10)  # type: ignore[attr-defined]
        await driver.sink("bernard-desk", "noanswer")
        via_ivr = await driver.call(
            "main", "autocom-ivr", caller="0388112233", dtmf="2", max_wait=40
        )
        got = await tickets(accounting(feats), {via_ivr.call_id})
    assert "petit-desk" in via_ivr.rang, via_ivr.summary()
    t = got[via_ivr.call_id]
    assert (t["ivr"], t["called_user"], t["filtered_boss"]) == (["main"], "2001", "2001")
    assert t["ivr_keys"] == [{"menu": "main", "key": "2"}]
    assert (t["caller"], t["caller_user"], t["direction"]) == ("0388112233", "", "incoming")
    assert (t["disposition"], t["answered_by"], t["payer"]) == ("answered", "2003", "")
    statuses = {leg["target"]: leg["status"] for leg in t["legs"]}
    assert statuses["bernard-desk"] == "no_answer" and "answered" in statuses.values()


async def test_302_from_a_sip_phone(
    cel_asterisk: AsteriskInstance, driver: CallDriver, tmp_path: Path
) -> None:
    """2002's only device is a SIPp phone answering 302 to 00612345678: the ticket
    shows the phone's leg, the forward (reason: phone) and the trunk leg."""
    a = cel_asterisk
    config = accounting_config(tmp_path / "config", a)
    site = config.parent / "site.yaml"
    site.write_text(site.read_text().replace("devices: [bernard-desk]", "devices: [sipp-phone]"))
    port = free_udp_port()
    a.endpoints["sipp-phone"] = SipEndpoint(
        "sipp-phone", context="personnel", static_contact=f"sip:sipp-phone@127.0.0.1:{port}"
    )
    a.write_pjsip()
    await driver.command("module reload res_pjsip.so")
    feats = features()
    clock = Clock("Europe/Paris", pinned=DAY)
    try:
        async with autocom_on(a, driver, config, feats, clock=clock):
            await driver.set_global("AUTOCOM_DEVICE_DIAL", "PJSIP/{device}")
            sipp = Sipp(a.tmp / "sipp-acct", a.host, a.sip_port)
            phone = await sipp.start(MOVED, port=port, variables={"target": "00612345678"})
            result = await driver.call("2002", "personnel", caller="2004", max_wait=20)
            await phone.wait()
            got = await tickets(accounting(feats), {result.call_id})
    finally:
        await driver.set_global("AUTOCOM_DEVICE_DIAL", TEST_GLOBALS["AUTOCOM_DEVICE_DIAL"])
        del a.endpoints["sipp-phone"]
        a.write_pjsip()
        await driver.command("module reload res_pjsip.so")
    assert phone.ok, phone.explain()
    assert result.dialed == ["0612345678"], result.summary()
    t = got[result.call_id]
    assert t["forwards"] == [{"from": "2002", "to": "00612345678", "reason": "phone"}]
    assert (t["called_user"], t["answered_by"], t["payer"]) == ("2002", "0612345678", "2002")
    legs = [(leg["kind"], leg["target"], leg["status"]) for leg in t["legs"]]
    assert legs[0][:2] == ("device", "sipp-phone") and legs[0][2] != "answered", legs
    assert legs[-1] == ("trunk", "0612345678", "answered"), legs


async def test_attended_transfer_is_in_the_ticket(
    cel_asterisk: AsteriskInstance, driver: CallDriver, tmp_path: Path
) -> None:
    """2004 calls 2001 (martin-desk answers); 2001 consults 2003 (AMI Atxfer, the
    phone's attended transfer) and hangs up: 2004 and 2003 are put through."""
    config = accounting_config(tmp_path / "config", cel_asterisk)
    feats = features()
    async with autocom_on(cel_asterisk, driver, config, feats, clock=AFTER_HOURS):
        await driver.set_global("AUTOCOM_DIAL_OPTIONS", "tT")
        await driver.sink("petit-desk", "echo")
        await driver.sink("petit-soft", "busy")
        call, desk = await answered_on_martin_desk(driver)
        await driver.ami.action("Atxfer", Channel=desk, Exten="2003", Context="personnel")
        await bridged_device(call, "petit-desk")  # 2001 talks to 2003
        await driver.ami.action("Hangup", Channel=desk)  # 2001 hangs up: transferred
        await asyncio.sleep(1)
        await call.hangup()
        await call.finished(20)
        got = await tickets(accounting(feats), {call.call_id})
        await driver.set_global("AUTOCOM_DIAL_OPTIONS", "")
    t = got[call.call_id]  # the consultation call shares the call's linkedid
    assert [(x["kind"], x["by"], x["to"]) for x in t["transfers"]] == [("attended", "2001", "2003")]
    status = {leg["target"]: (leg["user"], leg["status"]) for leg in t["legs"]}
    assert status["martin-desk"] == ("2001", "answered")
    assert status["petit-desk"] == ("2003", "answered")
    assert t["answered_by"] == "2001"


async def test_the_ami_link_comes_back_after_asterisk_restarts(
    cel_asterisk: AsteriskInstance, driver: CallDriver
) -> None:
    """autocom's own AMI link (autocom/ami): logged in, Asterisk restarts, logged in
    again with the catch-up hook run each time; events flow on the new connection."""
    a = cel_asterisk
    logins: list[int] = []
    events: list[str] = []
    link: AmiLink

    async def on_connect() -> None:
        logins.append(link.connections)

    link = AmiLink(
        AmiAccess(a.host, a.ami_port, a.ami_user, a.ami_secret, timeout=2),
        lambda message: events.append(message.get("Event", "")),
        on_connect=on_connect,
        retry_min=0.2,
        retry_max=0.5,
    )
    task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        await driver.ami.close()  # the test driver's own session goes with Asterisk
        await asyncio.to_thread(a.stop)
        await asyncio.sleep(0.5)
        assert not link.connected.is_set()
        await asyncio.to_thread(a.start)
        await asyncio.wait_for(link.connected.wait(), 10)
        reply = await link.action("Ping")
        assert reply.get("Response") == "Success"
        assert logins == [1, 2]
        assert "FullyBooted" in events
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
