"""Asterisk's own FastAGI testsuite scenarios (asterisk/testsuite tests/fastagi),
re-created with autocom's AgiSession against the real Asterisk 22.

Each test originates a Local channel into ``autocom-test-run,agi`` (Answer, then
``AGI(${AUTOCOM_AGI}/test)``; ``agi-noanswer`` skips the Answer) while the
caller's side listens, keys DTMF or hangs up, as the scenario needs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from autocom.agi.errors import AgiHangup
from autocom.agi.session import AgiSession
from tests.e2e.conftest import Pbx
from tests.e2e.driver import CallResult

pytestmark = pytest.mark.e2e

Scenario = Callable[[AgiSession, dict[str, Any]], Awaitable[None]]


async def run_agi(
    pbx: Pbx, scenario: Scenario, *, exten: str = "agi", **call: Any
) -> tuple[dict[str, Any], CallResult]:
    """Run one scenario as the AGI script of one call; returns (what it saw, the call)."""
    seen: dict[str, Any] = {}
    errors: list[BaseException] = []
    returned = asyncio.Event()

    async def handler(session: AgiSession) -> None:
        seen["env"] = session.env
        try:
            await scenario(session, seen)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
            raise
        finally:
            returned.set()

    async with pbx.agi(handler) as server:
        seen["port"] = server.port
        result = await pbx.driver.call(
            exten,
            "autocom-test-run",
            caller="2001",
            caller_name="Martin Sophie",
            variables={"AUTOCOM_TEST_SCRIPT": "test"},
            max_wait=30,
            **call,
        )
        try:  # the handler may still be finishing its last command
            await asyncio.wait_for(returned.wait(), 5)
        except TimeoutError:
            raise AssertionError(
                "the AGI handler never ran or never returned:\n" + result.summary()
            ) from None
    if errors:
        raise errors[0]
    assert seen.get("done"), "the scenario stopped before its end:\n" + result.summary()
    return seen, result


def status_after(result: CallResult) -> str:
    """AGISTATUS as the dialplan saw it once the AGI ended (or in the h extension)."""
    for name in ("AutocomAgiDone", "AutocomHangup"):
        events = result.user_events(name)
        if events:
            return events[0].get("Status", "")
    raise AssertionError("the dialplan never got past AGI():\n" + result.summary())


async def test_connect(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["done"] = True

    seen, result = await run_agi(pbx, scenario)
    env = seen["env"]
    assert env.script == "test"
    assert env.request == f"agi://127.0.0.1:{seen['port']}/test"
    assert env.channel.startswith("Local/agi@autocom-test-run-")
    assert env.context == "autocom-test-run"
    assert env.extension == "agi"
    assert env.uniqueid == result.main_channel
    assert env.language == "fr"
    assert env.callerid == "2001"
    assert env.calleridname == "Martin Sophie"
    assert env.args == ()
    assert status_after(result) == "SUCCESS"


async def test_channel_status(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["before"] = await session.channel_status()
        await session.answer()
        seen["after"] = await session.channel_status()
        seen["unknown"] = await session.channel_status("PJSIP/nobody-00000000")
        seen["done"] = True

    seen, result = await run_agi(pbx, scenario, exten="agi-noanswer")
    assert (seen["before"], seen["after"], seen["unknown"]) == (4, 6, None)
    assert status_after(result) == "SUCCESS"


async def test_hangup_then_511_but_variables_still_work(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["hangup"] = await session.hangup()
        try:
            await session.stream_file("beep")
        except AgiHangup as exc:
            seen["stream"] = exc
        seen["hung_up"] = session.hung_up
        seen["var"] = await session.get_variable("AUTOCOM_TEST_SCRIPT")
        seen["done"] = True

    seen, result = await run_agi(pbx, scenario)
    assert seen["hangup"] is True
    assert isinstance(seen["stream"], AgiHangup)
    assert seen["hung_up"] is True
    assert seen["var"] == "test"
    assert status_after(result) == "HANGUP"


async def test_stream_file(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["play"] = await session.stream_file("beep", "")
        seen["done"] = True

    seen, result = await run_agi(pbx, scenario)
    assert seen["play"].digit is None
    assert seen["play"].endpos > 0
    assert result.played == ["beep"]


async def test_control_stream_file(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["play"] = await session.control_stream_file("beep", "", 0, "*", "#")
        seen["done"] = True

    seen, _ = await run_agi(pbx, scenario)
    assert seen["play"].digit is None
    assert seen["play"].endpos == -1  # played to the end


async def test_database_put_get_del(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["put"] = await session.database_put("test", "status", "juststarted")
        seen["get"] = await session.database_get("test", "status")
        seen["del"] = await session.database_del("test", "status")
        seen["gone"] = await session.database_get("test", "status")
        seen["done"] = True

    seen, _ = await run_agi(pbx, scenario)
    assert (seen["put"], seen["get"], seen["del"], seen["gone"]) == (
        True,
        "juststarted",
        True,
        None,
    )


async def test_execute(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["set"] = await session.exec("Set", "GLOBAL(FLEECE)=white as snow")
        seen["value"] = await session.get_variable("FLEECE")
        seen["missing"] = await session.exec("NoSuchApp", "x")
        seen["done"] = True

    seen, _ = await run_agi(pbx, scenario)
    assert seen["set"] == 0
    assert seen["value"] == "white as snow"
    assert seen["missing"] == -2
    assert await pbx.driver.get_global("FLEECE") == "white as snow"


async def test_get_data_with_digits_sent_by_senddtmf(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["data"] = await session.get_data("beep", 10000, 10)
        seen["done"] = True

    seen, _ = await run_agi(pbx, scenario, dtmf="3212333#")
    assert seen["data"].digits == "3212333"
    assert seen["data"].timed_out is False


async def test_get_data_timeout(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["data"] = await session.get_data("beep", 500, 4)
        seen["done"] = True

    seen, _ = await run_agi(pbx, scenario)
    assert seen["data"].digits == ""
    assert seen["data"].timed_out is True


async def test_wait_for_digit(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["none"] = await session.wait_for_digit(100)
        seen["digit"] = await session.wait_for_digit(5000)
        seen["done"] = True

    seen, _ = await run_agi(pbx, scenario, dtmf="5")
    assert seen["none"] is None
    assert seen["digit"] == "5"


async def test_record_file_stopped_by_dtmf(pbx: Pbx) -> None:
    name = f"rec-dtmf-{time.monotonic_ns()}"
    inside = pbx.asterisk.inner / "tmp" / name
    outside = pbx.asterisk.tmp / f"{name}.ulaw"

    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["rec"] = await session.record_file(str(inside), "ulaw", "#", 10000)
        seen["done"] = True

    seen, _ = await run_agi(pbx, scenario, caller_side="talk-dtmf", dtmf="#")
    rec = seen["rec"]
    assert (rec.reason, rec.digit) == ("dtmf", "#")
    assert rec.endpos > 0
    assert outside.stat().st_size == rec.endpos  # ulaw: one byte per sample


async def test_record_file_stopped_by_hangup(pbx: Pbx) -> None:
    name = f"rec-hangup-{time.monotonic_ns()}"
    inside = pbx.asterisk.inner / "tmp" / name
    outside = pbx.asterisk.tmp / f"{name}.ulaw"

    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        # the raw reply: RecordResult is only for a recording that was not hung up
        seen["reply"] = await session.command("RECORD FILE", str(inside), "ulaw", "#", "10000")
        seen["hung_up_after"] = session.hung_up
        seen["done"] = True

    seen, result = await run_agi(pbx, scenario, caller_side="talk-hangup")
    reply = seen["reply"]
    assert reply.data == "hangup"
    endpos = int(reply.extra["endpos"])
    assert endpos > 0
    assert outside.stat().st_size == endpos
    assert status_after(result) == "HANGUP"


@pytest.mark.parametrize(
    ("say", "args"),
    [
        ("say_digits", ("1234",)),
        ("say_number", (1234,)),
        ("say_alpha", ("autocom",)),
        ("say_date", (1795000000,)),
        ("say_time", (1795000000,)),
    ],
)
async def test_say(pbx: Pbx, say: str, args: tuple[Any, ...]) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        seen["said"] = await getattr(session, say)(*args)
        seen["done"] = True

    seen, result = await run_agi(pbx, scenario)
    assert seen["said"] is None  # nothing keyed
    assert result.agistatus == ["SUCCESS"]
    assert status_after(result) == "SUCCESS"


async def test_say_when_the_caller_hangs_up_mid_say(pbx: Pbx) -> None:
    async def scenario(session: AgiSession, seen: dict[str, Any]) -> None:
        try:
            seen["said"] = await session.say_number(987654321)
        except AgiHangup as exc:
            seen["said"] = exc
        seen["done"] = True

    seen, result = await run_agi(pbx, scenario, hangup_after=0.5)
    assert isinstance(seen["said"], AgiHangup)
    assert status_after(result) == "HANGUP"
