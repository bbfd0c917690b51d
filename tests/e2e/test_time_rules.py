"""Call rights end to end: a real Asterisk 22, the real autocom server, pinned clocks.

The example site (examples/site.yaml) and a copy of examples/rights.yaml with a
short PIN timeout.  Calls are originated in the caller's context with the
caller's number; DTMF for the PIN is sent by the caller's side (SendDTMF).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from apps.time_rules import TimeRulesFeature
from autocom.app import Server
from autocom.cli import main
from autocom.clock import Clock
from autocom.rights.pins import STORE_NAMESPACE, hash_pin
from tests.e2e.conftest import EXAMPLES, Pbx
from tests.e2e.driver import CallResult

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
MONDAY_10 = datetime(2026, 11, 23, 10, 0)  # office hours
TUESDAY_23 = datetime(2026, 11, 24, 23, 0)  # night
CHRISTMAS_10 = datetime(2026, 12, 25, 10, 0)  # public holiday (and closure)
MOBILE = "00612345678"
INTL = "000044123456789"
DENY_PROMPT = "cannot-complete-as-dialed"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copy(EXAMPLES / "site.yaml", folder / "site.yaml")
    rights = (EXAMPLES / "rights.yaml").read_text(encoding="utf-8")
    rights = rights.replace("pin:\n  attempts: 3\n", "pin:\n  attempts: 3\n  timeout_ms: 2000\n")
    assert "timeout_ms: 2000" in rights
    (folder / "rights.yaml").write_text(rights, encoding="utf-8")
    (folder / "autocom.yaml").write_text(
        f"timezone: {TZ}\nsite: site.yaml\nstate: {{path: {folder}/state.sqlite}}\n"
        "rules:\n  time_rules: rights.yaml\n",
        encoding="utf-8",
    )
    return folder / "autocom.yaml"


@pytest.fixture
async def server(pbx: Pbx, config: Path) -> AsyncIterator[Server]:
    clock = Clock(TZ, pinned=MONDAY_10)
    async with pbx.autocom(config, features=[TimeRulesFeature()], clock=clock) as srv:
        yield srv


def audit(caplog: pytest.LogCaptureFixture, event: str = "rights") -> list[dict[str, object]]:
    out = []
    for rec in caplog.records:
        if rec.name == "autocom.audit.rights":
            data = json.loads(rec.getMessage())
            if data.get("event") == event:
                out.append(data)
    return out


def agi_commands(result: CallResult) -> list[str]:
    return [e.get("Command", "") for e in result.events if e.get("Event") == "AGIExecStart"]


async def test_allowed_call_reaches_the_trunk(
    pbx: Pbx, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "autocom.audit.rights")
    result = await pbx.driver.call(MOBILE, "personnel", caller="2002")
    assert result.trunk_calls == [("0612345678", "trunk-orange")]
    assert result.variable("AUTOCOM_RIGHTS") == "allow"
    assert result.variable("AUTOCOM_RIGHTS_CATEGORY") == "mobile"
    # both variables in one AGI command (one round trip): Asterisk's ARRAY() set them
    assert agi_commands(result) == [
        'SET VARIABLE "ARRAY(AUTOCOM_RIGHTS,AUTOCOM_RIGHTS_CATEGORY)" "allow,mobile"'
    ]
    (line,) = audit(caplog)
    assert line["caller"] == "2002" and line["dialed"] == MOBILE
    assert (line["category"], line["class"], line["decision"]) == ("mobile", "staff", "allow")
    assert line["slot"] is None and line["reason"]


async def test_denied_call_plays_a_prompt_and_hangs_up_barred(
    pbx: Pbx, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "autocom.audit.rights")
    result = await pbx.driver.call(MOBILE, "couloirs", caller="5001")  # lobby phone
    assert result.dialed == []
    assert result.variable("AUTOCOM_RIGHTS") == "deny"
    assert DENY_PROMPT in result.played
    assert result.hangup_cause == 52
    (line,) = audit(caplog)
    assert (line["class"], line["decision"]) == ("lobby", "deny")


async def test_the_clock_decides(pbx: Pbx, server: Server) -> None:
    # lab phones may call national numbers during working time only
    assert (await pbx.driver.call("00140000000", "personnel", caller="2801")).dialed == [
        "0140000000"
    ]
    server.ctx.clock.pin(TUESDAY_23)
    night = await pbx.driver.call("00140000000", "personnel", caller="2801")
    assert night.dialed == [] and night.variable("AUTOCOM_RIGHTS") == "deny"
    server.ctx.clock.pin(CHRISTMAS_10)
    xmas = await pbx.driver.call("00140000000", "personnel", caller="2801")
    assert xmas.dialed == [] and xmas.variable("AUTOCOM_RIGHTS") == "deny"


async def test_pin_asked_and_accepted(
    pbx: Pbx, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "autocom.audit.rights")
    server.ctx.clock.pin(TUESDAY_23)
    # staff: international outside working time needs a PIN; 2002's is 1234 (rule file)
    result = await pbx.driver.call(INTL, "personnel", caller="2002", dtmf="1234#", max_wait=30)
    assert result.variable("AUTOCOM_RIGHTS") == "pin"
    assert result.variable("AUTOCOM_PIN") == "ok"
    assert "agent-pass" in result.played
    assert result.dialed == ["00044123456789"]
    (pin,) = audit(caplog, "rights-pin")
    assert pin["by"] == "2002" and pin["result"] == "ok" and "overrode" in pin


async def test_wrong_pin_three_times_is_denied(
    pbx: Pbx, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "autocom.audit.rights")
    server.ctx.clock.pin(TUESDAY_23)
    result = await pbx.driver.call(
        INTL,
        "personnel",
        caller="2002",
        dtmf="9999#",
        max_wait=60,
        variables={"AUTOCOM_TEST_CALLER_SECONDS": "50"},  # stay on the line until the end
    )
    assert result.variable("AUTOCOM_PIN") == "fail"
    assert result.dialed == []
    assert result.played.count("agent-pass") == 3
    assert result.played.count("auth-incorrect") == 2
    assert DENY_PROMPT in result.played and result.hangup_cause == 52
    attempts = audit(caplog, "rights-pin")
    assert [a["result"] for a in attempts] == ["fail", "fail", "fail"]


async def test_another_users_pin_from_the_store_unlocks_a_lab_phone(
    pbx: Pbx, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "autocom.audit.rights")
    await server.ctx.store.set(STORE_NAMESPACE, "2003", hash_pin("4242"))
    # lab phone 2801: mobiles need a PIN during working time; 2003 (staff) types hers
    result = await pbx.driver.call(
        MOBILE, "personnel", caller="2801", dtmf="2003*4242#", max_wait=30
    )
    assert result.variable("AUTOCOM_PIN") == "ok"
    assert result.dialed == ["0612345678"]
    (pin,) = audit(caplog, "rights-pin")
    assert (pin["caller"], pin["by"], pin["class"], pin["by_class"]) == (
        "2801",
        "2003",
        "lab",
        "staff",
    )


@pytest.fixture
def lockout_config(config: Path) -> Path:
    """One PIN attempt per call; 2 wrong PINs within 15 minutes lock for 1 hour."""
    rights = config.parent / "rights.yaml"
    text = rights.read_text(encoding="utf-8")
    example = "  lockout:\n    failures: 5\n    window: 1h\n    lock: 1h\n"
    assert "pin:\n  attempts: 3\n" in text and example in text
    text = text.replace("pin:\n  attempts: 3\n", "pin:\n  attempts: 1\n")
    lockout = "  lockout: {failures: 2, window: 15m, lock: 1h}\n"
    rights.write_text(text.replace(example, lockout), encoding="utf-8")
    return config


async def test_wrong_pins_lock_the_right_pin_out_until_the_cli_unlocks_it(
    pbx: Pbx, lockout_config: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "autocom.audit.rights")
    guard = "2850"  # security desk: international always needs a PIN
    # the real clock: the CLI below reads the lock with it
    async with pbx.autocom(lockout_config, features=[TimeRulesFeature()]) as srv:
        await srv.ctx.store.set(STORE_NAMESPACE, guard, hash_pin("4711"))

        async def pin_call(dtmf: str) -> CallResult:
            return await pbx.driver.call(INTL, "personnel", caller=guard, dtmf=dtmf, max_wait=30)

        first = await pin_call("9999#")
        assert first.variable("AUTOCOM_RIGHTS") == "pin"
        assert first.variable("AUTOCOM_PIN") == "fail" and first.dialed == []
        assert DENY_PROMPT in first.played and first.hangup_cause == 52
        second = await pin_call("8888#")  # the second wrong PIN, on another call, locks
        assert second.variable("AUTOCOM_PIN") == "locked" and second.dialed == []
        assert "please-try-call-later" in second.played and second.hangup_cause == 52
        third = await pin_call("4711#")  # the right PIN is refused while locked
        assert third.variable("AUTOCOM_PIN") == "locked" and third.dialed == []
        assert "please-try-call-later" in third.played

        def cli(*argv: str) -> int:
            return main(["-c", str(lockout_config), "rights", *argv], features=[TimeRulesFeature()])

        assert await asyncio.to_thread(cli, "pin-status", guard) == 1
        assert await asyncio.to_thread(cli, "pin-unlock", guard) == 0
        assert await asyncio.to_thread(cli, "pin-status", guard) == 0

        unlocked = await pin_call("4711#")
        assert unlocked.variable("AUTOCOM_PIN") == "ok"
        assert unlocked.dialed == ["00044123456789"]

    results = [(a["result"], a.get("failures")) for a in audit(caplog, "rights-pin")]
    assert results == [("fail", 1), ("fail", 2), ("locked", None), ("ok", None)]
    (lock,) = audit(caplog, "rights-pin-lock")
    assert (lock["by"], lock["failures"]) == (guard, 2)
    # never the PIN typed (uniqueids are left out: their digits are the clock's)
    records = audit(caplog, "rights-pin") + audit(caplog, "rights-pin-lock")
    logged = json.dumps([{k: v for k, v in r.items() if k != "uniqueid"} for r in records])
    assert "9999" not in logged and "8888" not in logged and "4711" not in logged


async def test_emergency_goes_through_with_autocom_stopped(pbx: Pbx) -> None:
    # no autocom server: AUTOCOM_AGI points at a closed port
    for number in ("112", "0112", "18"):
        result = await pbx.driver.call(number, "couloirs", caller="5001")
        assert result.dialed == [number.removeprefix("0")], result.summary()
        assert result.agistatus == []


async def test_external_call_refused_when_autocom_is_down(pbx: Pbx) -> None:
    result = await pbx.driver.call(MOBILE, "personnel", caller="2002")
    assert result.agistatus == ["FAILURE"]
    assert result.dialed == []
    assert DENY_PROMPT in result.played and result.hangup_cause == 21


async def test_failure_policy_allow(pbx: Pbx) -> None:
    await pbx.set_globals({"AUTOCOM_RIGHTS_ON_FAILURE": "allow"})
    result = await pbx.driver.call(MOBILE, "personnel", caller="2002")
    assert result.agistatus == ["FAILURE"]
    assert result.dialed == ["0612345678"]


async def test_internal_call_needs_no_autocom(pbx: Pbx) -> None:
    result = await pbx.driver.call("2001", "personnel", caller="2002")
    assert sorted(result.rang) == ["martin-desk", "martin-soft"]
