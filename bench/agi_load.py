"""FastAGI load generator: plays Asterisk's side against any host:port.

Each session connects, sends the Asterisk 22 environment block (same keys, same
order), answers every command line as Asterisk does (GET VARIABLE ->
``200 result=1 (value)``, SET VARIABLE -> ``200 result=1``, anything else ->
``200 result=0``) and waits for the server to close.  A ``FAILURE`` line, a
refused or reset connection, or a session over --session-timeout counts as an
error.

Prints sessions/s, latency p50/p99 (connect -> closed), errors, and, with
--server-pid, the server's CPU time per session from /proc/<pid>/stat
(utime + stime delta over the measured run).  The generator itself can be the
bottleneck on a small machine: CPU per session is the figure that holds.

    python bench/agi_load.py --port 4573 -c 50 -n 20000 --server-pid 1234
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autocom.agi.server import new_event_loop
from tests.unit.agi.samples import env_with  # Asterisk 22's block, as the tests send it


def env_template(host: str, port: int, script: str, **changes: str) -> str:
    """The environment block, with ``{n}`` / ``{n:08x}`` left for the session number;
    ``changes``: other fields (e.g. ``arg_1="2001"``, the rights hook's caller)."""
    fields = {"arg_2": "0612345670", **changes}
    return env_with(
        network_script=script,
        request=f"agi://{host}:{port}/{script}",
        channel="PJSIP/1001-{n:08x}",
        uniqueid="1763920000.{n}",
        calleridname="Alice Martin",
        **fields,
    ).decode()


def reply_to(line: bytes, value: bytes) -> bytes:
    if line.startswith(b"GET VARIABLE"):
        return b"200 result=1 (" + value + b")\n"
    if line.startswith(b"SET VARIABLE"):
        return b"200 result=1\n"
    return b"200 result=0\n"


class FakeAsteriskSession(asyncio.Protocol):
    """Asterisk's side of one FastAGI call (for the benchmark)."""

    def __init__(self, env: bytes, value: bytes, done: asyncio.Future[str]) -> None:
        self.env = env
        self.value = value
        self.done = done
        self.buf = b""
        self.failed = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.env)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        while True:
            nl = buf.find(b"\n")
            if nl < 0:
                break
            line, buf = buf[:nl], buf[nl + 1 :]
            if line[:7].lower() == b"failure":
                self.failed = True
                continue
            assert self.transport is not None
            self.transport.write(reply_to(line, self.value))
        self.buf = buf

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result("failure" if self.failed else ("reset" if exc else "ok"))


@dataclass
class LoadResult:
    sessions: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)
    error_kinds: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float | None = None

    @property
    def rate(self) -> float:
        return self.sessions / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))]

    @property
    def cpu_us_per_session(self) -> float | None:
        if self.server_cpu_s is None or not self.sessions:
            return None
        return self.server_cpu_s / self.sessions * 1e6

    def summary(self) -> dict[str, object]:
        out = {k: v for k, v in asdict(self).items() if k != "latencies"}
        out.update(
            rate=round(self.rate, 1),
            p50_ms=round(self.percentile(0.5) * 1000, 3),
            p99_ms=round(self.percentile(0.99) * 1000, 3),
            mean_ms=round(statistics.fmean(self.latencies) * 1000, 3) if self.latencies else 0,
            cpu_us_per_session=(
                None if self.cpu_us_per_session is None else round(self.cpu_us_per_session, 1)
            ),
        )
        return out


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat (fields 14 and 15)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def run_load(
    host: str,
    port: int,
    *,
    concurrency: int = 50,
    sessions: int | None = 10000,
    duration: float | None = None,
    script: str = "rights",
    value: str = "1001",
    session_timeout: float = 10.0,
    server_pid: int | None = None,
    env: dict[str, str] | None = None,
) -> LoadResult:
    loop = asyncio.get_running_loop()
    template = env_template(host, port, script, **(env or {}))
    value_b = value.encode()
    result = LoadResult()
    counter = 0
    deadline = None if duration is None else loop.time() + duration

    def more() -> bool:
        if sessions is not None and counter >= sessions:
            return False
        return deadline is None or loop.time() < deadline

    async def one(n: int) -> None:
        env = template.replace("{n:08x}", f"{n:08x}").replace("{n}", str(n)).encode()
        done: asyncio.Future[str] = loop.create_future()
        start = time.perf_counter()
        try:
            async with asyncio.timeout(session_timeout):
                transport, _ = await loop.create_connection(
                    lambda: FakeAsteriskSession(env, value_b, done), host, port
                )
                try:
                    outcome = await done
                finally:
                    transport.close()
        except (OSError, TimeoutError) as exc:
            outcome = type(exc).__name__
        result.latencies.append(time.perf_counter() - start)
        if outcome == "ok":
            result.sessions += 1
        else:
            result.errors += 1
            result.error_kinds[outcome] = result.error_kinds.get(outcome, 0) + 1

    async def worker() -> None:
        nonlocal counter
        while more():
            counter += 1
            await one(counter)

    cpu0 = process_cpu_seconds(server_pid) if server_pid else None
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - t0
    if server_pid and cpu0 is not None:
        result.server_cpu_s = process_cpu_seconds(server_pid) - cpu0
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="FastAGI load generator (plays Asterisk's side)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4573)
    parser.add_argument("-c", "--concurrency", type=int, default=50)
    parser.add_argument("-n", "--sessions", type=int, default=None, help="total sessions")
    parser.add_argument("-d", "--duration", type=float, default=None, help="seconds")
    parser.add_argument("--warmup", type=int, default=200, help="sessions before measuring")
    parser.add_argument("--script", default="rights")
    parser.add_argument("--value", default="1001", help="value GET VARIABLE returns")
    parser.add_argument("--session-timeout", type=float, default=10.0)
    parser.add_argument("--server-pid", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    if args.sessions is None and args.duration is None:
        args.sessions = 10000

    async def go() -> LoadResult:
        if args.warmup:
            await run_load(
                args.host,
                args.port,
                concurrency=min(args.concurrency, args.warmup),
                sessions=args.warmup,
                script=args.script,
            )
        return await run_load(
            args.host,
            args.port,
            concurrency=args.concurrency,
            sessions=args.sessions,
            duration=args.duration,
            script=args.script,
            value=args.value,
            session_timeout=args.session_timeout,
            server_pid=args.server_pid,
        )

    loop = new_event_loop()
    try:
        result = loop.run_until_complete(go())
    finally:
        loop.close()
    summary = result.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"sessions {result.sessions}  errors {result.errors} {result.error_kinds or ''}\n"
            f"rate {summary['rate']} sessions/s over {result.elapsed:.2f} s\n"
            f"latency p50 {summary['p50_ms']} ms  p99 {summary['p99_ms']} ms"
        )
        if result.cpu_us_per_session is not None:
            print(
                f"server CPU {result.server_cpu_s:.2f} s = "
                f"{result.cpu_us_per_session:.1f} us/session"
            )
    return 0 if result.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
