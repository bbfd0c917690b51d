"""FastAgiServer on 127.0.0.1:0, driven over real TCP by a fake Asterisk."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from autocom.agi.router import AgiRoute, AgiRouter
from autocom.agi.server import FastAgiServer, SessionReport, new_event_loop
from autocom.agi.session import AgiSession
from tests.integration.agi.fake_asterisk import (
    asterisk_answer,
    fake_call,
    read_until_closed,
)
from tests.unit.agi.samples import env_block, env_with

Handler = Callable[[AgiSession], Awaitable[None]]


async def rights(session: AgiSession) -> None:
    """The benchmark's hook: read one variable, set two."""
    caller = await session.get_variable("CALLERID(num)")
    await session.set_variable("AUTOCOM_RIGHTS", "allow" if caller else "deny")
    await session.set_variable("AUTOCOM_ARGS", ",".join(session.env.args))


async def boom(session: AgiSession) -> None:
    await session.noop()
    raise RuntimeError("bug in the hook")


class Reports(list[SessionReport]):
    """The reports passed to on_session_end, with a way to wait for them."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def add(self, report: SessionReport) -> None:
        self.append(report)
        self.changed.set()

    async def wait(self, n: int) -> list[SessionReport]:
        async with asyncio.timeout(5):
            while len(self) < n:
                self.changed.clear()
                await self.changed.wait()
        return list(self)


class Harness:
    def __init__(self, server: FastAgiServer, reports: Reports) -> None:
        self.server = server
        self.reports = reports

    @property
    def port(self) -> int:
        return self.server.port

    async def wait_reports(self, n: int) -> list[SessionReport]:
        return await self.reports.wait(n)


@pytest.fixture
def routes() -> list[AgiRoute]:
    return [AgiRoute("rights", rights), AgiRoute("boom", boom)]


@pytest.fixture
def server_options() -> dict[str, Any]:
    return {}


@pytest.fixture
async def agi(routes: list[AgiRoute], server_options: dict[str, Any]) -> AsyncIterator[Harness]:
    reports = Reports()
    server = FastAgiServer(AgiRouter(routes), port=0, on_session_end=reports.add, **server_options)
    await server.start()
    assert server.port != 0
    try:
        yield Harness(server, reports)
    finally:
        await server.close()


async def test_hook_reads_one_sets_two(agi: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="autocom.agi.session")
    answer = asterisk_answer({"CALLERID(num)": "1001"})
    result = await fake_call(agi.port, "rights", answer)
    assert result.status == "SUCCESS"
    assert result.commands == [
        'GET VARIABLE "CALLERID(num)"',
        'SET VARIABLE "AUTOCOM_RIGHTS" "allow"',
        'SET VARIABLE "AUTOCOM_ARGS" "1001,key: value,"',
    ]
    (report,) = await agi.wait_reports(1)
    assert report.outcome == "ok" and report.commands == 3
    assert report.script == "rights" and report.uniqueid == "1763920000.42"
    assert report.channel == "PJSIP/1001-00000001" and 0 < report.duration < 5
    lines = [r for r in caplog.records if r.name == "autocom.agi.session"]
    assert len(lines) == 1
    logged = json.loads(lines[0].getMessage())
    assert logged == {
        "script": "rights",
        "uniqueid": "1763920000.42",
        "channel": "PJSIP/1001-00000001",
        "duration_ms": logged["duration_ms"],
        "commands": 3,
        "outcome": "ok",
    }
    assert isinstance(logged["duration_ms"], float)
    assert agi.server.active_sessions == 0
    deadlines = agi.server._deadlines
    assert deadlines is not None and len(deadlines) == 0  # nothing of the session kept


async def test_unknown_script_failure_and_keeps_serving(
    agi: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    result = await fake_call(agi.port, "nosuch")
    assert result.status == "FAILURE" and result.commands == []
    assert any(
        "1763920000.42" in r.getMessage() and "nosuch" in r.getMessage() for r in caplog.records
    )
    assert (await fake_call(agi.port, "rights")).status == "SUCCESS"
    reports = await agi.wait_reports(2)
    assert [r.outcome for r in reports] == ["failure:unknown_script", "ok"]


async def test_hook_raises_failure_logged_with_uniqueid(
    agi: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    result = await fake_call(agi.port, "boom")
    assert result.status == "FAILURE" and result.commands == ["NOOP"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and "1763920000.42" in errors[0].getMessage()
    assert errors[0].exc_info is not None and "bug in the hook" in str(errors[0].exc_info[1])
    assert (await fake_call(agi.port, "rights")).status == "SUCCESS"
    reports = await agi.wait_reports(2)
    assert reports[0].outcome == "failure:RuntimeError" and reports[0].commands == 1


@pytest.mark.parametrize("server_options", [{"env_timeout": 0.2}])
@pytest.mark.parametrize("sent", [b"", b"agi_network: yes\nagi_network_script: rights\n"])
async def test_environment_timeout(agi: Harness, sent: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", agi.port)
    writer.write(sent)
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await read_until_closed(reader) == b"FAILURE\n"
    assert 0.15 < loop.time() - start < 2
    writer.close()
    (report,) = await agi.wait_reports(1)
    assert report.outcome == "timeout"
    assert agi.server.active_sessions == 0


async def test_bare_connect_and_close_never_blocks(agi: Harness) -> None:
    async def connect_close() -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", agi.port)
        writer.close()
        await writer.wait_closed()

    call = asyncio.create_task(fake_call(agi.port, "rights"))
    await asyncio.gather(*(connect_close() for _ in range(50)))
    assert (await call).status == "SUCCESS"
    reports = await agi.wait_reports(51)
    outcomes = sorted(r.outcome for r in reports)
    assert outcomes.count("closed") == 50 and outcomes.count("ok") == 1
    assert agi.server.active_sessions == 0


@pytest.mark.parametrize(
    "garbage", [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\n"]
)
async def test_garbage_environment(agi: Harness, garbage: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", agi.port)
    writer.write(garbage)
    assert await read_until_closed(reader) == b"FAILURE\n"
    writer.close()
    (report,) = await agi.wait_reports(1)
    assert report.outcome == "protocol_error"


async def test_garbage_reply(agi: Harness) -> None:
    result = await fake_call(agi.port, "rights", lambda line: b"HTTP/1.1 200 OK\n")
    assert result.status == "FAILURE"
    (report,) = await agi.wait_reports(1)
    assert report.outcome == "protocol_error"


async def test_close_mid_reply(agi: Harness) -> None:
    result = await fake_call(agi.port, "rights", lambda line: b"200 result=1 (hal")
    assert result.commands == ['GET VARIABLE "CALLERID(num)"']
    (report,) = await agi.wait_reports(1)
    assert report.outcome == "closed" and report.commands == 1
    assert agi.server.active_sessions == 0


@pytest.mark.parametrize("server_options", [{"reply_timeout": 0.2}])
async def test_silent_peer_reply_timeout(agi: Harness) -> None:
    result = await fake_call(agi.port, "rights", lambda line: None)
    assert result.status == "FAILURE"
    (report,) = await agi.wait_reports(1)
    assert report.outcome == "timeout" and report.commands == 1


async def test_inline_hangup_outcome(agi: Harness) -> None:
    answer = asterisk_answer({"CALLERID(num)": "1001"})
    result = await fake_call(agi.port, "rights", answer, before_reply=b"HANGUP\n")
    assert result.status == "SUCCESS" and len(result.commands) == 3
    (report,) = await agi.wait_reports(1)
    assert report.outcome == "hangup"


async def test_511_ends_session_as_hangup(agi: Harness) -> None:
    dead = b"511 Command Not Permitted on a dead channel or intercept routine\n"
    result = await fake_call(agi.port, "rights", lambda line: dead, before_reply=b"HANGUP\n")
    assert result.status == "SUCCESS"
    (report,) = await agi.wait_reports(1)
    assert report.outcome == "hangup"


@pytest.fixture
def gate() -> asyncio.Event:
    return asyncio.Event()


@pytest.fixture
def entered() -> asyncio.Semaphore:
    return asyncio.Semaphore(0)


@pytest.fixture
def routes_with_gate(gate: asyncio.Event, entered: asyncio.Semaphore) -> list[AgiRoute]:
    async def hold(session: AgiSession) -> None:
        await session.noop()
        entered.release()
        await gate.wait()
        await session.set_variable("DONE", "1")

    return [AgiRoute("hold", hold), AgiRoute("rights", rights)]


@pytest.mark.parametrize("server_options", [{"max_sessions": 2}])
async def test_session_cap(
    agi: Harness, gate: asyncio.Event, entered: asyncio.Semaphore, routes_with_gate: list[AgiRoute]
) -> None:
    agi.server.router = AgiRouter(routes_with_gate)
    held = [asyncio.create_task(fake_call(agi.port, "hold")) for _ in range(2)]
    async with asyncio.timeout(5):
        await entered.acquire()
        await entered.acquire()
    assert agi.server.active_sessions == 2
    refused = await fake_call(agi.port, "rights")
    assert refused.status == "FAILURE" and refused.commands == []
    gate.set()
    for task in held:
        assert (await task).status == "SUCCESS"
    assert (await fake_call(agi.port, "rights")).status == "SUCCESS"
    outcomes = [r.outcome for r in await agi.wait_reports(4)]
    assert outcomes.count("overload") == 1 and outcomes.count("ok") == 3


async def test_graceful_shutdown_lets_sessions_finish(
    gate: asyncio.Event, entered: asyncio.Semaphore, routes_with_gate: list[AgiRoute]
) -> None:
    reports: list[SessionReport] = []
    server = FastAgiServer(AgiRouter(routes_with_gate), port=0, on_session_end=reports.append)
    await server.start()
    call = asyncio.create_task(fake_call(server.port, "hold"))
    async with asyncio.timeout(5):
        await entered.acquire()
    closing = asyncio.create_task(server.close())
    await asyncio.sleep(0.05)
    assert not closing.done()
    with pytest.raises(OSError):  # no longer accepting
        await asyncio.open_connection("127.0.0.1", server.port)
    gate.set()
    result = await call
    await closing
    assert result.status == "SUCCESS" and result.commands == ["NOOP", 'SET VARIABLE "DONE" "1"']
    assert [r.outcome for r in reports] == ["ok"]


async def test_shutdown_cancels_after_grace_period(
    entered: asyncio.Semaphore, routes_with_gate: list[AgiRoute]
) -> None:
    reports: list[SessionReport] = []
    server = FastAgiServer(
        AgiRouter(routes_with_gate), port=0, grace_period=0.1, on_session_end=reports.append
    )
    await server.start()
    call = asyncio.create_task(fake_call(server.port, "hold"))
    async with asyncio.timeout(5):
        await entered.acquire()
    await server.close()
    result = await call
    assert result.status == "FAILURE" and result.commands == ["NOOP"]
    assert [r.outcome for r in reports] == ["cancelled"]


async def accepted(server: FastAgiServer) -> None:
    """Wait (5 s at most) until the loop has accepted a connection: the server counts it."""
    for _ in range(1000):
        if server.active_sessions:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the server did not accept the connection within 5 s")


async def test_shutdown_serves_the_connections_left_in_the_listen_backlog() -> None:
    """Connections the kernel completed but the loop has not accepted yet when the
    shutdown starts (Asterisk sees them connected): served, not reset."""
    reports: list[SessionReport] = []
    server = FastAgiServer(
        AgiRouter([AgiRoute("rights", rights)]), port=0, on_session_end=reports.append
    )
    await server.start()
    waiting = []
    for _ in range(3):  # blocking connects, the loop never runs: they stay in the backlog
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(env_with(network_script="rights"))
        waiting.append(sock)
    closing = asyncio.ensure_future(server.close())  # runs before the loop's accept
    answer = asterisk_answer({"CALLERID(num)": "1001"})
    results = await asyncio.gather(*(fake_call(0, answer=answer, env=b"", sock=s) for s in waiting))
    await closing
    assert [r.status for r in results] == ["SUCCESS"] * 3
    assert all(len(r.commands) == 3 for r in results)
    assert [r.outcome for r in reports] == ["ok"] * 3
    with pytest.raises(OSError):  # and the listener is closed
        await asyncio.open_connection("127.0.0.1", server.port)


async def test_shutdown_serves_a_connection_still_sending_its_environment() -> None:
    reports: list[SessionReport] = []
    server = FastAgiServer(
        AgiRouter([AgiRoute("rights", rights)]), port=0, on_session_end=reports.append
    )
    await server.start()
    sock = socket.create_connection(("127.0.0.1", server.port))
    block = env_with(network_script="rights")
    sock.sendall(block[:40])
    await accepted(server)  # in its environment phase
    closing = asyncio.create_task(server.close())
    await asyncio.sleep(0.05)
    assert not closing.done()  # it waits for this connection
    answer = asterisk_answer({"CALLERID(num)": "1001"})
    result = await fake_call(0, answer=answer, env=block[40:], sock=sock)
    await closing
    assert result.status == "SUCCESS" and len(result.commands) == 3
    assert [r.outcome for r in reports] == ["ok"]


async def test_shutdown_cancels_a_connection_whose_environment_never_ends() -> None:
    reports: list[SessionReport] = []
    server = FastAgiServer(
        AgiRouter([AgiRoute("rights", rights)]),
        port=0,
        grace_period=0.1,
        env_timeout=30,
        on_session_end=reports.append,
    )
    await server.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(env_with(network_script="rights")[:40])
    await accepted(server)
    async with asyncio.timeout(5):
        await server.close()
    assert (await read_until_closed(reader)).startswith(b"FAILURE")
    writer.close()
    assert [r.outcome for r in reports] == ["cancelled"]


async def test_environment_args_query_reach_hook() -> None:
    seen: list[AgiSession] = []

    async def capture(session: AgiSession) -> None:
        seen.append(session)

    async with FastAgiServer(AgiRouter([AgiRoute("cap", capture)]), port=0) as server:
        env = env_with(network_script="cap?mode=x&n=1")
        assert (await fake_call(server.port, env=env)).status == "SUCCESS"
    (session,) = seen
    assert session.env.script == "cap" and dict(session.env.query) == {"mode": "x", "n": "1"}
    assert session.env.args == ("1001", "key: value", "")


async def test_many_concurrent_sessions(agi: Harness) -> None:
    answer = asterisk_answer({"CALLERID(num)": "1001"})
    results = await asyncio.gather(*(fake_call(agi.port, "rights", answer) for _ in range(200)))
    assert all(r.status == "SUCCESS" and len(r.commands) == 3 for r in results)
    reports = await agi.wait_reports(200)
    assert {r.outcome for r in reports} == {"ok"}


def test_server_on_uvloop() -> None:
    """The same server on uvloop's loop (new_event_loop picks it when installed)."""

    async def scenario() -> list[str]:
        reports = Reports()
        async with FastAgiServer(
            AgiRouter([AgiRoute("rights", rights)]), port=0, on_session_end=reports.add
        ) as server:
            answer = asterisk_answer({"CALLERID(num)": "1001"})
            results = await asyncio.gather(
                *(fake_call(server.port, "rights", answer) for _ in range(20))
            )
            assert all(r.status == "SUCCESS" for r in results)
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.close()
            result = await fake_call(server.port, env=b"garbage: x\n" + env_block())
            assert result.status == "FAILURE"
            await reports.wait(22)
        return sorted({r.outcome for r in reports})

    loop = new_event_loop()
    try:
        assert type(loop).__module__.startswith("uvloop")
        assert loop.run_until_complete(scenario()) == ["closed", "ok", "protocol_error"]
    finally:
        loop.close()
