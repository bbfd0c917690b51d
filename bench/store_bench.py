"""State store latency: get/set p50/p99 for SQLite and Redis (and memory as a floor).

    .venv/bin/python bench/store_bench.py                  # all backends, defaults
    .venv/bin/python bench/store_bench.py --n 5000 --concurrency 1 32
    .venv/bin/python bench/store_bench.py --redis-url redis://10.0.0.5:6379/0
    .venv/bin/python bench/store_bench.py --redis-appendonly   # AOF, appendfsync always

Without --redis-url a private redis-server is started on 127.0.0.1 (a free
port, a temporary folder, no persistence unless --redis-appendonly) and
stopped at the end.  The SQLite file lives in a temporary folder of --dir
(default: the system's; put it on the disk the site will use).

Each (backend, concurrency) pair runs ``--n`` sets then ``--n`` gets of keys
like a forward (``forwards/<4 digits>`` -> a 10-digit number), with
``concurrency`` callers at once; the latency of each call is measured from the
caller's side, so it includes waiting for the SQLite worker thread or the
Redis connection pool.  Also timed: items() of a 1000-key namespace
("items") and items(prefix) picking 10 of them ("items/p").  On Redis both walk
every key of the database with SCAN, so they grow with the whole database
(here about 3,000 keys), not with the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autocom.store.base import StateStore  # noqa: E402
from autocom.store.memory_store import MemoryStore  # noqa: E402
from autocom.store.redis_store import RedisStore  # noqa: E402
from autocom.store.sqlite_store import SqliteStore  # noqa: E402
from tests.support.redis_server import start_redis  # noqa: E402


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def timed_calls(
    n: int, concurrency: int, call: Callable[[int], Awaitable[object]]
) -> tuple[list[float], float]:
    """Run call(0..n-1) with `concurrency` callers; each call's latency and the wall time."""
    latencies: list[float] = []
    counter = iter(range(n))

    async def caller() -> None:
        for i in counter:
            started = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


def line(backend: str, op: str, concurrency: int, latencies: list[float], wall: float) -> str:
    values = sorted(latencies)
    us = 1e6
    return (
        f"{backend:<8} {op:<7} {concurrency:>5} {len(values):>7}"
        f" {percentile(values, 0.5) * us:>9.0f} {percentile(values, 0.99) * us:>9.0f}"
        f" {values[-1] * us:>9.0f} {statistics.fmean(values) * us:>9.0f}"
        f" {len(values) / wall:>9.0f}"
    )


async def bench_store(name: str, store: StateStore, n: int, concurrencies: list[int]) -> None:
    for concurrency in concurrencies:
        await store.set("warmup", "k", "v")

        async def do_set(i: int) -> None:
            await store.set("forwards", f"{i % 10000:04d}", f"06{i:08d}")

        async def do_get(i: int) -> None:
            await store.get("forwards", f"{i % 10000:04d}")

        await timed_calls(concurrency * 4, concurrency, do_get)  # open the pool's sockets
        latencies, wall = await timed_calls(n, concurrency, do_set)
        print(line(name, "set", concurrency, latencies, wall), flush=True)
        latencies, wall = await timed_calls(n, concurrency, do_get)
        print(line(name, "get", concurrency, latencies, wall), flush=True)
    for i in range(1000):
        await store.set("speeddial", f"{i:04d}", f"03880{i:05d}")

    async def do_items(i: int) -> None:
        found = await store.items("speeddial")
        assert len(found) == 1000

    latencies, wall = await timed_calls(50, 1, do_items)
    print(line(name, "items", 1, latencies, wall), flush=True)

    async def do_items_prefix(i: int) -> None:  # one user's keys, as a hook reads them
        found = await store.items("speeddial", f"{i % 100:03d}")
        assert len(found) == 10

    latencies, wall = await timed_calls(200, 1, do_items_prefix)
    print(line(name, "items/p", 1, latencies, wall), flush=True)
    for namespace in ("warmup", "forwards", "speeddial"):  # leave a shared Redis clean
        for key in await store.items(namespace):
            await store.delete(namespace, key)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="calls per operation and run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument(
        "--backend",
        nargs="+",
        default=["memory", "sqlite", "redis"],
        choices=["memory", "sqlite", "redis"],
    )
    parser.add_argument("--redis-url", help="an existing Redis (default: start a private one)")
    parser.add_argument("--redis-appendonly", action="store_true", help="private Redis with AOF")
    parser.add_argument("--dir", help="folder for the SQLite file and the private Redis")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    args = parser.parse_args()

    print(
        f"{'backend':<8} {'op':<7} {'conc':>5} {'calls':>7} {'p50_us':>9} {'p99_us':>9}"
        f" {'max_us':>9} {'mean_us':>9} {'ops/s':>9}"
    )
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=args.dir)))
        for backend in args.backend:
            store: StateStore
            if backend == "memory":
                store = MemoryStore()
            elif backend == "sqlite":
                store = await SqliteStore.open(folder / "bench.sqlite", op_timeout=5)
            else:
                url = args.redis_url
                if url is None:
                    server = start_redis(folder / "redis", appendonly=args.redis_appendonly)
                    stack.callback(server.stop)
                    url = server.url
                store = await RedisStore.open(url, "autocom-bench", op_timeout=5)
            try:
                await bench_store(backend, store, args.n, args.concurrency)
            finally:
                await store.close()


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())
