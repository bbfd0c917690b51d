"""Two autocom servers sharing Redis, as the university runs them (docs/deployment.md).

1. Decisions under load: two ``autocom serve`` processes (the examples, state in one
   redis-server) and bench/agi_load.py's generator (Asterisk's side of FastAGI, a
   named stand-in) on both at once, the ``rights`` hook: sessions/s and p50/p99 per
   server and together.
2. Real Asterisk 22 (the sid root) resolving ``hagi://autocom.test`` through dnsmasq:
   internal calls 2001 -> 2002 (answered by a sink after 0.3 s) originated
   ``--concurrency`` at a time, with every feature hook (AUTOCOM_AGI=hagi://...)
   against without (only the local hooks): calls/s.

    .venv/bin/python bench/cluster_bench.py [--seconds 10] [--calls 120]

Needs root (chroot, port 53 on a loopback address), redis-server, dnsmasq.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.agi_load import LoadResult, run_load
from tests.e2e.asterisk import DEFAULT_ROOT, AsteriskInstance
from tests.e2e.conftest import HOOK_POINTS, call_driver
from tests.e2e.driver import CallDriver
from tests.support.autocom_cluster import NAME, Node, running_cluster


def show(name: str, result: LoadResult) -> None:
    s = result.summary()
    print(
        f"  {name:<9} {s['sessions']:>7} sessions {s['rate']:>8} /s  p50 {s['p50_ms']} ms"
        f"  p99 {s['p99_ms']} ms  errors {s['errors']}"
    )


async def decisions(nodes: list[Node], seconds: float, concurrency: int) -> None:
    print(f"1. rights decisions, {concurrency} sessions in flight per server, {seconds:g} s")
    results = await asyncio.gather(
        *(
            run_load(
                "127.0.0.1",
                node.agi_port,
                concurrency=concurrency,
                sessions=None,
                duration=seconds,
                script="rights",
                env={"arg_1": "2001"},
                server_pid=node.process.popen.pid if node.process.popen else None,
            )
            for node in nodes
        )
    )
    both = LoadResult()
    for node, result in zip(nodes, results, strict=True):
        show(f"node {node.name}", result)
        both.sessions += result.sessions
        both.errors += result.errors
        both.latencies += result.latencies
        both.elapsed = max(both.elapsed, result.elapsed)
    show("together", both)


async def calls_per_second(driver: CallDriver, calls: int, concurrency: int) -> float:
    pending: set[asyncio.Task[object]] = set()
    started = 0
    t0 = time.perf_counter()
    while started < calls or pending:
        while started < calls and len(pending) < concurrency:
            pending.add(asyncio.ensure_future(driver.call("2002", "personnel", caller="2001")))
            started += 1
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    return calls / (time.perf_counter() - t0)


async def asterisk_rate(asterisk: AsteriskInstance, calls: int, concurrency: int) -> None:
    print(f"2. Asterisk 22, {calls} calls 2001 -> 2002, {concurrency} at a time")
    async with call_driver(asterisk) as driver:
        await calls_per_second(driver, concurrency, concurrency)  # warm up
        hooked = await calls_per_second(driver, calls, concurrency)
        for point in HOOK_POINTS:
            await driver.set_global(f"AUTOCOM_HOOKS_{point}", "local")
        bare = await calls_per_second(driver, calls, concurrency)
    print(f"  with the hooks (hagi://{NAME}): {hooked:.1f} calls/s")
    print(f"  without (local hooks only):     {bare:.1f} calls/s  ({hooked / bare:.2f}x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--agi-concurrency", type=int, default=20)
    parser.add_argument("--calls", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="autocom-cluster-bench-"))
    with running_cluster(DEFAULT_ROOT, folder) as cluster:
        nodes = list(cluster.nodes.values())
        asyncio.run(decisions(nodes, args.seconds, args.agi_concurrency))
        asyncio.run(asterisk_rate(cluster.asterisk, args.calls, args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
