"""The FastAGI servers compared by bench/agi_compare.py, one per process.

Each serves the same hook: read one variable (GET VARIABLE), set two (SET
VARIABLE), then close.  Usage: ``python bench/agi_servers.py KIND [--port N]``;
prints ``PORT <n>`` on stdout once listening, serves until SIGTERM/SIGINT.

Kinds:
  autocom          autocom's FastAgiServer on uvloop (new_event_loop())
  autocom-asyncio  autocom's FastAgiServer on the standard asyncio loop
  bare-uvloop      a bare asyncio Protocol on uvloop, no framework, same I/O
  bare-streams     bare asyncio streams (start_server) on the standard loop
  panoramisk       panoramisk 1.4's fast_agi.Application on the standard loop
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KINDS = ("autocom", "autocom-asyncio", "bare-uvloop", "bare-streams", "panoramisk")
EXTRA_KINDS = ("autocom-logged",)  # autocom with its JSON log line and a report callback


# ---------------------------------------------------------------- autocom


async def serve_autocom_logged(port: int, stop: asyncio.Event) -> None:
    """As in production: `autocom serve`'s logging (set up by main(): one JSON line
    per session on stderr, /dev/null here) and a callback per report (the metrics')."""
    await serve_autocom(port, stop, on_session_end=lambda report: None)


async def serve_autocom(
    port: int, stop: asyncio.Event, on_session_end: Callable[[Any], None] | None = None
) -> None:
    from autocom.agi.router import AgiRoute, AgiRouter
    from autocom.agi.server import FastAgiServer
    from autocom.agi.session import AgiSession

    async def rights(session: AgiSession) -> None:
        caller = await session.get_variable("CALLERID(num)")
        await session.set_variable("AUTOCOM_RIGHTS", "allow" if caller else "deny")
        await session.set_variable("AUTOCOM_CLASS", "national")

    server = FastAgiServer(
        AgiRouter([AgiRoute("rights", rights)]), port=port, on_session_end=on_session_end
    )
    await server.start()
    announce(server.port)
    await stop.wait()
    await server.close()


# ---------------------------------------------------------------- bare Protocol

_CMDS = (
    b'GET VARIABLE "CALLERID(num)"\n',
    b'SET VARIABLE "AUTOCOM_RIGHTS" "allow"\n',
    b'SET VARIABLE "AUTOCOM_CLASS" "national"\n',
)


class BareProtocol(asyncio.Protocol):
    """No framework: find the blank line, then one command per reply line."""

    def __init__(self) -> None:
        self.buf = b""
        self.step = -1
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        transport = self.transport
        assert transport is not None
        if self.step < 0:
            end = buf.find(b"\n\n")
            if end < 0:
                self.buf = buf
                return
            buf = buf[end + 2 :]
            self.step = 0
            transport.write(_CMDS[0])
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                break
            line = buf[:nl]
            buf = buf[nl + 1 :]
            if line == b"HANGUP":
                continue
            self.step += 1
            if self.step < len(_CMDS):
                transport.write(_CMDS[self.step])
            else:
                transport.close()
                return
        self.buf = buf


async def serve_bare_protocol(port: int, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(BareProtocol, "127.0.0.1", port, backlog=1024)
    announce(server.sockets[0].getsockname()[1])
    await stop.wait()
    server.close()


# ---------------------------------------------------------------- bare streams


async def bare_stream_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await reader.readuntil(b"\n\n")
        for cmd in _CMDS:
            writer.write(cmd)
            line = await reader.readline()
            while line == b"HANGUP\n":
                line = await reader.readline()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()


async def serve_bare_streams(port: int, stop: asyncio.Event) -> None:
    server = await asyncio.start_server(bare_stream_handler, "127.0.0.1", port, backlog=1024)
    announce(server.sockets[0].getsockname()[1])
    await stop.wait()
    server.close()


# ---------------------------------------------------------------- panoramisk


async def serve_panoramisk(port: int, stop: asyncio.Event) -> None:
    from panoramisk.fast_agi import Application

    async def rights(request: object) -> None:
        send = request.send_command  # type: ignore[attr-defined]
        result = await send('GET VARIABLE "CALLERID(num)"')
        caller = result.get("result", ("0", ""))
        await send('SET VARIABLE "AUTOCOM_RIGHTS" "%s"' % ("allow" if caller else "deny"))
        await send('SET VARIABLE "AUTOCOM_CLASS" "national"')

    app = Application(loop=asyncio.get_running_loop())
    app.add_route("rights", rights)
    server = await asyncio.start_server(app.handler, "127.0.0.1", port, backlog=1024)
    announce(server.sockets[0].getsockname()[1])
    await stop.wait()
    server.close()


# ---------------------------------------------------------------- main


def announce(port: int) -> None:
    print(f"PORT {port}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=KINDS + EXTRA_KINDS)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        serve = {
            "autocom": serve_autocom,
            "autocom-asyncio": serve_autocom,
            "autocom-logged": serve_autocom_logged,
            "bare-uvloop": serve_bare_protocol,
            "bare-streams": serve_bare_streams,
            "panoramisk": serve_panoramisk,
        }[args.kind]
        await serve(args.port, stop)

    from autocom.agi.server import new_event_loop

    if args.kind == "autocom-logged":
        from autocom.logs import setup_logging

        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (stderr until the process exits)
        setup_logging()
    loop: asyncio.AbstractEventLoop
    if args.kind in ("autocom", "autocom-logged"):
        loop = new_event_loop()  # what autocom picks: uvloop when installed
    elif args.kind == "bare-uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(run())
    finally:
        loop.close()


if __name__ == "__main__":
    main()
