"""Python-side cost of one FastAGI session, without the kernel: an in-process harness.

A fake transport hands each server write to an in-process "Asterisk" that answers
on the next loop turn (call_soon), so the figure is what the server's Python
code costs per session (protocol callbacks, parsing, task, session), with no
syscalls.  Compares autocom's server connection with the bare Protocol of
bench/agi_servers.py.  For profiling:  python -m cProfile -s tottime bench/agi_inproc.py

    python bench/agi_inproc.py [-n 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from agi_load import env_template, reply_to
from agi_servers import BareProtocol

from autocom.agi.deadlines import Deadlines
from autocom.agi.router import AgiRoute, AgiRouter
from autocom.agi.server import FastAgiServer, _Connection, new_event_loop
from autocom.agi.session import AgiSession


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

    def abort(self) -> None:
        self.close()

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: object = None) -> object:
        """The peer's address, as the per-peer session cap reads it."""
        return ("127.0.0.1", 40000) if name == "peername" else default


async def run(factory: Callable[[], asyncio.Protocol], n: int, concurrency: int) -> float:
    loop = asyncio.get_running_loop()
    env = env_template("127.0.0.1", 4573, "rights").replace("{n:08x}", "1").replace("{n}", "1")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("-c", type=int, default=50)
    args = parser.parse_args()
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
