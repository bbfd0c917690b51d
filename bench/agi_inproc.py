"""Python-side cost of one FastAGI session, without the kernel: an in-process harness.

A fake transport hands each server write to an in-process "Asterisk" that answers
on the next loop turn (call_soon), so the figure is what the server's Python
code costs per session (protocol callbacks, parsing, task, session), with no
syscalls.  Compares autocom's server connection with the bare Protocol of
bench/agi_servers.py.  For profiling:  python -m cProfile -s tottime bench/agi_inproc.py

``--served``: the router `autocom serve` builds on a copy of examples/ (bench/served.py:
the real rights hook, 2001 dialing a mobile, its JSON lines to a file) instead of the
bench hook; under ``valgrind --tool=callgrind`` the instructions per session are the
steadiest figure on a shared machine.

    python bench/agi_inproc.py [-n 20000] [--served]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from agi_compare import SERVED_ENV
from agi_load import env_template, reply_to
from agi_servers import BareProtocol
from served import write_config

from autocom.agi.deadlines import Deadlines
from autocom.agi.router import AgiRoute, AgiRouter
from autocom.agi.server import FastAgiServer, _Connection, new_event_loop
from autocom.agi.session import AgiSession
from autocom.app import running
from autocom.features import installed
from autocom.logs import setup_logging


class FakeTransport:
    """Stands for the TCP transport: writes go to the fake Asterisk, close ends it."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, protocol: asyncio.Protocol, done: Callable[[], None]
    ) -> None:
        self.loop = loop
        self.protocol = protocol
        self.closing = False
        self.done = done

    def write(self, data: bytes) -> None:
        for line in data.split(b"\n")[:-1]:
            if line[:7].lower() == b"failure":
                continue
            self.loop.call_soon(self.protocol.data_received, reply_to(line, b"1001"))

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            self.loop.call_soon(self.protocol.connection_lost, None)
            self.loop.call_soon(self.done)
            # as uvloop's transport, let go of the protocol: no cycle for the collector
            self.write = lambda data: None  # type: ignore[method-assign]
            self.protocol = asyncio.Protocol()

    def abort(self) -> None:
        self.close()

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: object = None) -> object:
        """The peer's address, as the per-peer session cap reads it."""
        return ("127.0.0.1", 40000) if name == "peername" else default


async def run(
    factory: Callable[[], asyncio.Protocol], n: int, concurrency: int, **fields: str
) -> float:
    loop = asyncio.get_running_loop()
    env = env_template("127.0.0.1", 4573, "rights", **fields)
    env = env.replace("{n:08x}", "1").replace("{n}", "1")
    block = env.encode()
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            finished = loop.create_future()
            protocol = factory()
            transport = FakeTransport(loop, protocol, partial(finished.set_result, None))
            protocol.connection_made(transport)  # type: ignore[arg-type]
            protocol.data_received(block)
            await finished

    start = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - start) / n * 1e6


async def rights(session: AgiSession) -> None:
    caller = await session.get_variable("CALLERID(num)")
    await session.set_variable("AUTOCOM_RIGHTS", "allow" if caller else "deny")
    await session.set_variable("AUTOCOM_CLASS", "national")


async def served(n: int, concurrency: int, rounds: int = 2) -> None:
    """The served router (`autocom serve` on examples/), its lines to a file."""
    with tempfile.TemporaryDirectory(prefix="autocom-inproc-") as tmp:
        folder = Path(tmp)
        config = write_config(folder, 0, "")
        with (folder / "serve.log").open("w", encoding="utf-8") as log:
            saved, sys.stderr = sys.stderr, log
            try:
                setup_logging()
                async with running(config, installed(), agi_port=0, watch=False) as server:
                    loop = asyncio.get_running_loop()
                    for _ in range(rounds):
                        us = await run(
                            lambda: _Connection(server.agi, loop), n, concurrency, **SERVED_ENV
                        )
                        print(f"served {us:6.1f} us/session (Python only)", flush=True)
            finally:
                sys.stderr = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("-c", type=int, default=50)
    parser.add_argument("--served", action="store_true", help="the router of autocom serve")
    args = parser.parse_args()
    if args.served:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(served(args.n, args.c))
        return
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    server = FastAgiServer(AgiRouter([AgiRoute("rights", rights)]), port=0)
    server._loop = loop
    server._deadlines = Deadlines(loop, 1.0)
    try:
        for _ in range(2):
            bare = loop.run_until_complete(run(BareProtocol, args.n, args.c))
            ours = loop.run_until_complete(run(lambda: _Connection(server, loop), args.n, args.c))
            print(
                f"bare Protocol {bare:6.1f} us/session   "
                f"autocom {ours:6.1f} us/session (Python only)"
            )
    finally:
        loop.close()


if __name__ == "__main__":
    main()
