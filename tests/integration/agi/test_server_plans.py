"""Planned handlers (autocom/agi/plan.py) on a real FastAgiServer, driven over TCP.

The server runs a ``Planned`` handler without a task (``AgiSession.run_plan``).
Each case runs the same plan twice: as the server runs it (script ``plan``) and
as a task awaiting the typed API (script ``task``: the reference meaning), and
checks that Asterisk sees the same commands and status and that the session
ends with the same outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest

from autocom.agi.plan import AgiCommand, Plan, Planned, set_variable
from autocom.agi.router import AgiRoute, AgiRouter
from autocom.agi.server import FastAgiServer, SessionReport
from autocom.agi.session import AgiSession
from tests.integration.agi.fake_asterisk import (
    Answer,
    CallResult,
    asterisk_answer,
    fake_call,
    read_until_closed,
)
from tests.integration.agi.test_server import Reports
from tests.unit.agi.samples import env_with

TWO = (set_variable("AUTOCOM_RIGHTS", "allow"), set_variable("AUTOCOM_RIGHTS_CATEGORY", "mobile"))
SENT = ['SET VARIABLE "AUTOCOM_RIGHTS" "allow"', 'SET VARIABLE "AUTOCOM_RIGHTS_CATEGORY" "mobile"']


class Decide:
    """The plan function under test: returns ``plan``, or raises ``error``."""

    def __init__(self) -> None:
        self.plan: Plan = TWO
        self.error: Exception | None = None

    def __call__(self, session: AgiSession) -> Plan:
        if self.error is not None:
            raise self.error
        return self.plan


@pytest.fixture
def decide() -> Decide:
    return Decide()


@pytest.fixture
def server_options() -> dict[str, Any]:
    return {}


class Harness:
    def __init__(self, server: FastAgiServer, reports: Reports) -> None:
        self.server, self.reports = server, reports

    async def call(self, script: str, answer: Answer | None = None, **kw: Any) -> CallResult:
        return await fake_call(self.server.port, script, answer, **kw)

    async def both(
        self, answer: Answer | None = None, **kw: Any
    ) -> tuple[CallResult, SessionReport]:
        """The call as a plan and as a task: the same for Asterisk and in the report."""
        planned = await self.call("plan", answer, **kw)
        (report,) = await self.reports.wait(1)
        self.reports.clear()
        tasked = await self.call("task", answer, **kw)
        (reference,) = await self.reports.wait(1)
        self.reports.clear()
        assert planned == tasked
        assert (report.outcome, report.commands) == (reference.outcome, reference.commands)
        assert report.script == "plan" and report.uniqueid == "1763920000.42"
        assert self.server.active_sessions == 0 and not self.server._plans
        deadlines = self.server._deadlines
        assert deadlines is not None and len(deadlines) == 0  # nothing of the session kept
        return planned, report


@pytest.fixture
async def agi(decide: Decide, server_options: dict[str, Any]) -> AsyncIterator[Harness]:
    planned = Planned(decide)

    def as_task(session: AgiSession) -> Awaitable[None]:
        return planned(session)  # the same Planned, awaited: the server runs it in a task

    routes = [AgiRoute("plan", planned), AgiRoute("task", as_task)]
    reports = Reports()
    server = FastAgiServer(AgiRouter(routes), port=0, on_session_end=reports.add, **server_options)
    await server.start()
    try:
        yield Harness(server, reports)
    finally:
        await server.close()


async def test_the_plan_is_sent_one_command_after_each_reply(agi: Harness) -> None:
    answer = asterisk_answer()
    result, report = await agi.both(answer)
    assert result.status == "SUCCESS" and result.commands == SENT
    assert report.outcome == "ok" and report.commands == 2
    assert answer.store == {  # type: ignore[attr-defined]
        "AUTOCOM_RIGHTS": "allow",
        "AUTOCOM_RIGHTS_CATEGORY": "mobile",
    }


async def test_arguments_are_quoted_as_the_typed_api_does(agi: Harness, decide: Decide) -> None:
    decide.plan = (set_variable("CALLER", 'say "hi" \\ bye'),)
    result, _ = await agi.both()
    assert result.commands == ['SET VARIABLE "CALLER" "say \\"hi\\" \\\\ bye"']


async def test_an_empty_plan_ends_at_once(agi: Harness, decide: Decide) -> None:
    decide.plan = ()
    result, report = await agi.both()
    assert result.status == "SUCCESS" and result.commands == []
    assert report.outcome == "ok" and report.commands == 0


@pytest.mark.parametrize(
    "reply", [b"510 Invalid or unknown command\n", b"520 Invalid command syntax.\n"]
)
async def test_a_refused_command_stops_the_plan_with_failure(agi: Harness, reply: bytes) -> None:
    result, report = await agi.both(lambda line: reply)
    assert result.status == "FAILURE" and result.commands == SENT[:1]
    assert report.outcome == "failure:AgiCommandError" and report.commands == 1


async def test_511_after_a_hangup_ends_as_hangup(agi: Harness) -> None:
    dead = b"511 Command Not Permitted on a dead channel or intercept routine\n"
    result, report = await agi.both(lambda line: dead, before_reply=b"HANGUP\n")
    assert result.status == "SUCCESS" and result.commands == SENT[:1]
    assert report.outcome == "hangup" and report.commands == 1


async def test_an_inline_hangup_lets_the_plan_finish_as_hangup(agi: Harness) -> None:
    result, report = await agi.both(asterisk_answer(), before_reply=b"HANGUP\n")
    assert result.status == "SUCCESS" and result.commands == SENT
    assert report.outcome == "hangup" and report.commands == 2


async def test_gosub_provisional_reply_is_skipped(agi: Harness, decide: Decide) -> None:
    decide.plan = (AgiCommand("GOSUB", ("sub", "s", "1")), *TWO)

    def answer(line: str) -> bytes:
        if line.startswith("GOSUB"):
            return b"100 result=0 Trying...\n200 result=0 Gosub complete\n"
        return b"200 result=1\n"

    result, report = await agi.both(answer)
    assert result.commands == ['GOSUB "sub" "s" "1"', *SENT]
    assert report.outcome == "ok" and report.commands == 3


async def test_a_garbage_reply_is_a_protocol_error(agi: Harness) -> None:
    result, report = await agi.both(lambda line: b"HTTP/1.1 200 OK\n")
    assert result.status == "FAILURE" and result.commands == SENT[:1]
    assert report.outcome == "protocol_error"


async def test_a_reply_nobody_asked_for_stops_the_plan(agi: Harness) -> None:
    result, report = await agi.both(lambda line: b"200 result=1\n200 result=1\n")
    assert result.status == "FAILURE" and result.commands == SENT[:1]
    assert report.outcome == "protocol_error"


async def test_asterisk_closing_mid_reply_ends_as_closed(agi: Harness) -> None:
    result, report = await agi.both(lambda line: b"200 result=1 (hal")
    assert result.commands == SENT[:1]
    assert report.outcome == "closed" and report.commands == 1


@pytest.mark.parametrize("server_options", [{"reply_timeout": 0.2}])
async def test_a_silent_peer_times_out(agi: Harness) -> None:
    result, report = await agi.both(lambda line: None)
    assert result.status == "FAILURE" and result.commands == SENT[:1]
    assert report.outcome == "timeout" and report.commands == 1


async def test_a_plan_function_that_raises_is_a_logged_failure(
    agi: Harness, decide: Decide, caplog: pytest.LogCaptureFixture
) -> None:
    decide.error = KeyError("bug in the decision")
    result, report = await agi.both()
    assert result.status == "FAILURE" and result.commands == []
    assert report.outcome == "failure:KeyError" and report.commands == 0
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2 and all("1763920000.42" in r.getMessage() for r in errors)
    assert all(r.exc_info and "bug in the decision" in str(r.exc_info[1]) for r in errors)


async def test_a_value_that_would_start_a_second_command_is_refused(
    agi: Harness, decide: Decide
) -> None:
    decide.plan = (TWO[0], set_variable("X", "1\nHANGUP"))
    result, report = await agi.both()
    assert result.status == "FAILURE" and result.commands == SENT[:1]
    assert report.outcome == "failure:AgiArgumentError" and report.commands == 1


async def test_shutdown_lets_a_running_plan_finish() -> None:
    """The first reply comes after close() began: the plan still sends its second command."""
    reports: list[SessionReport] = []
    server = FastAgiServer(
        AgiRouter([AgiRoute("plan", Planned(lambda session: TWO))]),
        port=0,
        on_session_end=reports.append,
    )
    await server.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(env_with(network_script="plan"))
    first = await asyncio.wait_for(reader.readline(), 5)
    closing = asyncio.create_task(server.close())
    await asyncio.sleep(0.05)
    assert not closing.done()  # it waits for the session
    writer.write(b"200 result=1\n")
    second = await asyncio.wait_for(reader.readline(), 5)
    writer.write(b"200 result=1\n")
    assert await read_until_closed(reader) == b""  # closed without FAILURE
    await asyncio.wait_for(closing, 5)
    writer.close()
    assert [first.decode().rstrip(), second.decode().rstrip()] == SENT
    assert [(r.outcome, r.commands) for r in reports] == [("ok", 2)]


async def test_shutdown_cancels_a_plan_after_the_grace_period() -> None:
    reports: list[SessionReport] = []
    server = FastAgiServer(
        AgiRouter([AgiRoute("plan", Planned(lambda session: TWO))]),
        port=0,
        grace_period=0.1,
        on_session_end=reports.append,
    )
    await server.start()
    call = asyncio.create_task(fake_call(server.port, "plan", lambda line: None))
    for _ in range(1000):  # until the first command is in flight
        if server._plans:
            break
        await asyncio.sleep(0.005)
    assert server._plans
    await server.close()
    result = await asyncio.wait_for(call, 5)
    assert result.status == "FAILURE" and result.commands == SENT[:1]
    assert [(r.outcome, r.commands) for r in reports] == [("cancelled", 1)]
    assert server.active_sessions == 0 and not server._plans
