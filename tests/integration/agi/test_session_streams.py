"""AgiSession in pull mode over real asyncio streams (start_server), fake Asterisk peer."""

from __future__ import annotations

import asyncio

from autocom.agi.protocol import AgiEnvironment, EnvironmentParser
from autocom.agi.session import AgiSession, PlaybackResult
from tests.integration.agi.fake_asterisk import fake_call


async def test_session_over_stream_reader_and_writer() -> None:
    results: list[object] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        parser = EnvironmentParser()
        env: AgiEnvironment | None = None
        while env is None:
            env = parser.feed(await reader.read(4096))
        session = AgiSession(reader, writer, env, reply_timeout=5, pending=parser.rest)
        results.append(await session.get_variable("CALLERID(num)"))
        results.append(await session.stream_file("beep", "#"))
        results.append(session.hung_up)
        writer.close()

    def answer(line: str) -> bytes:
        if line.startswith("GET VARIABLE"):
            return b"200 result=1 (1001)\n"
        return b"HANGUP\n200 result=35 endpos=800\n"

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await fake_call(port, "x", answer)
    assert result.status == "SUCCESS"
    assert results == ["1001", PlaybackResult("#", 800), True]
