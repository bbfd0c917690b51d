"""One peer address cannot take every FastAGI slot (issue 14, item 3).

Silent peers (the environment block sent, then nothing) from 127.0.0.2 while
calls from 127.0.0.1 go on: the per-peer cap refuses the surplus at once and the
short first-reply wait frees the slots the silent ones hold.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from autocom.agi.router import AgiRoute, AgiRouter
from autocom.agi.server import FastAgiServer, SessionReport
from autocom.agi.session import AgiSession
from tests.integration.agi.fake_asterisk import asterisk_answer, fake_call
from tests.integration.agi.test_server import rights
from tests.support.process import raise_file_limit
from tests.unit.agi.samples import env_with

SILENT = 1200
PEER_CAP = 200
CALLS = 150  # at once from 127.0.0.1, under its own cap


@pytest.fixture
def file_limit() -> None:
    """Room for the 1,200 client sockets and the server's own in this one process."""
    raise_file_limit(4 * SILENT)


async def silent_peer(port: int, held: list[asyncio.StreamWriter], all_in: asyncio.Event) -> str:
    """Connect from 127.0.0.2, send the environment, never answer; what the server did."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))
    held.append(writer)
    if len(held) == SILENT:
        all_in.set()
    writer.write(env_with(network_script="rights"))
    line = await asyncio.wait_for(reader.readline(), 10)
    if line.startswith(b"GET VARIABLE"):  # admitted: stay silent until the server hangs up
        rest = await asyncio.wait_for(reader.read(), 10)
        return "dropped" if b"FAILURE" in rest or rest == b"" else rest.decode()
    return line.decode().strip()


@pytest.mark.usefixtures("file_limit")
async def test_silent_peer_cannot_starve_other_peers() -> None:
    reports: list[SessionReport] = []
    server = FastAgiServer(
        AgiRouter([AgiRoute("rights", rights)]),
        port=0,
        max_sessions=1000,
        max_sessions_per_peer=PEER_CAP,
        first_reply_timeout=1.0,
        on_session_end=reports.append,
    )
    await server.start()
    held: list[asyncio.StreamWriter] = []
    try:
        all_in = asyncio.Event()  # every silent peer connected before the calls start
        silent = [
            asyncio.create_task(silent_peer(server.port, held, all_in)) for _ in range(SILENT)
        ]
        await asyncio.wait_for(all_in.wait(), 20)
        assert server.peer_sessions.get("127.0.0.2", 0) <= PEER_CAP
        answer = asterisk_answer({"CALLERID(num)": "1001"})
        calls = await asyncio.gather(
            *(fake_call(server.port, "rights", answer) for _ in range(CALLS))
        )
        assert [c.status for c in calls] == ["SUCCESS"] * CALLS
        outcomes = await asyncio.gather(*silent)
        assert outcomes.count("FAILURE") == SILENT - PEER_CAP  # refused at once by the peer cap
        assert outcomes.count("dropped") == PEER_CAP  # admitted, then dropped after 1 s of silence
        timeouts = [r for r in reports if r.outcome == "timeout"]
        assert len(timeouts) == PEER_CAP and all(r.duration < 3 for r in timeouts)
        assert server.active_sessions == 0 and server.peer_sessions == {}
    finally:
        for writer in held:
            writer.close()
        with contextlib.suppress(Exception):
            await asyncio.gather(*(w.wait_closed() for w in held), return_exceptions=True)
        await server.close()


async def test_a_command_with_its_own_wait_keeps_it() -> None:
    """The short first wait caps default waits only: a first GET DATA (a prompt, then
    the caller's digits) keeps its own wait."""

    async def prompt(session: AgiSession) -> None:
        await session.get_data("agent-pass", 500, 4)
        await session.set_variable("DONE", "1")

    reports: list[SessionReport] = []
    server = FastAgiServer(
        AgiRouter([AgiRoute("prompt", prompt)]),
        port=0,
        first_reply_timeout=0.3,
        on_session_end=reports.append,
    )
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(env_with(network_script="prompt"))
        assert (await reader.readline()).startswith(b"GET DATA")
        await asyncio.sleep(1.0)  # the prompt, then slow digits: over 0.3 + 0.5 s
        writer.write(b"200 result=1234\n")
        assert (await reader.readline()).startswith(b"SET VARIABLE")
        writer.write(b"200 result=1\n")
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed: SUCCESS
        writer.close()
    finally:
        await server.close()
    assert [r.outcome for r in reports] == ["ok"]
