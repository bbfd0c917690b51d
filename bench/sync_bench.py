"""`autocom site sync` at university scale, and the reload it causes in `autocom serve`.

    .venv/bin/python bench/sync_bench.py [--users 4000] [--devices 2]

1. A stand-in confd (tests/support/confd/standin.py, every answer validated
   against confd's description unless ``--no-validate``: that validation is
   most of the read time) runs in its own process on 127.0.0.1 with
   ``--users`` users of ``--devices`` lines each (8000 devices by default).
2. sync: the first sync (every user added) and a second one after 40 users
   changed (name), timed whole: the four paged lists read, merge, checks, diff,
   atomic write.
3. reload: `autocom serve`'s lifespan (autocom.app.running, every bundled
   feature, no rule file) serves the synced site; the periodic sync's step
   (sync, then ``ConfigHolder.refresh``, as the server runs it) runs while a ticker in the
   event loop wakes every millisecond: the longest gap it saw is how long a
   call arriving then would have waited (event-loop lag), split into the sync
   part and the reload part.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps import features as all_features  # noqa: E402
from autocom.app import running  # noqa: E402
from autocom.site.sync.periodic import sync_once  # noqa: E402
from autocom.site.sync.run import SyncPlan, sync_site  # noqa: E402
from tests.support.confd.standin import TOKEN, StandIn, wazo_site  # noqa: E402
from tests.support.process import free_port  # noqa: E402

OVERRIDES = 'contexts:\n  - {name: to-extern, line_prefix: "0", trunks: [trunk-a]}\n'


def serve_standin(
    port: int, users: int, devices: int, changed: multiprocessing.Event, validate: bool
) -> None:
    async def main() -> None:
        server = StandIn(wazo_site(users, devices), validate=validate)
        await server.start(port)
        await asyncio.to_thread(changed.wait)
        for user in server.data["users"][:40]:
            user["lastname"] += "-bis"
        await asyncio.sleep(3600)

    asyncio.run(main())


def write_config(folder: Path, port: int) -> Path:
    source = {"type": "confd", "url": f"http://127.0.0.1:{port}/1.1", "token": TOKEN,
              "page_size": 500, "timeout": 30}  # fmt: skip
    (folder / "sync.yaml").write_text(
        f"max_removed_share: 0.1\ninterval: 0\nsources:\n  - {json.dumps(source)}\n"
    )
    (folder / "site.yaml").write_text(OVERRIDES)
    (folder / "autocom.yaml").write_text(
        f"site: site.generated.yaml\nsync: sync.yaml\nstate: {{path: {folder}/state.sqlite}}\n"
    )
    return folder / "autocom.yaml"


class Ticker:
    """Wakes every millisecond; records how late each wake-up was."""

    def __init__(self) -> None:
        self.lags: list[tuple[float, float]] = []  # (when, lag in s)
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.001)
            now = loop.time()
            self.lags.append((now, now - before - 0.001))

    def worst(self, start: float, end: float) -> tuple[float, float]:
        lags = [lag for when, lag in self.lags if start <= when <= end] or [0.0, 0.0]
        p99 = statistics.quantiles(lags, n=100, method="inclusive")[98]
        return max(lags) * 1000, p99 * 1000


async def bench(users: int, devices: int, validate: bool) -> None:
    port = free_port()
    changed = multiprocessing.Event()
    args = (port, users, devices, changed, validate)
    proc = multiprocessing.Process(target=serve_standin, args=args)
    proc.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_config(Path(tmp), port)
            plan = SyncPlan.load(path)
            await asyncio.sleep(1.0)  # the stand-in builds its data
            start, cpu = time.perf_counter(), time.process_time()
            first = await sync_site(plan)
            took, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(f"first sync: {first.outcome}, {first.users} users, {first.devices} devices "
                  f"in {took:.2f} s (read {first.timings['read']:.2f} s, "
                  f"merge+check+diff {first.timings['merge']:.2f} s); "
                  f"autocom's CPU {cpu:.2f} s")  # fmt: skip
            changed.set()
            await asyncio.sleep(0.3)
            await reload_bench(path, plan)
    finally:
        proc.terminate()
        proc.join()


async def reload_bench(path: Path, plan: SyncPlan) -> None:
    async with running(path, all_features(), agi_port=0, http_port=0, watch=False) as server:
        holder = server.ctx.config
        ticker = Ticker()
        task = asyncio.create_task(ticker.run())
        await asyncio.sleep(0.5)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        report = await sync_site(plan)
        t1 = loop.time()
        ok = await holder.refresh()
        t2 = loop.time()
        await asyncio.sleep(0.5)
        task.cancel()
        changed = len(report.diff.users_changed) if report.diff else 0
        print(f"second sync: {report.outcome}, {changed} users changed, {t1 - t0:.2f} s; "
              f"reload {'ok' if ok else 'REFUSED'} in {t2 - t1:.2f} s")  # fmt: skip
        read = t0 + report.timings.get("read", 0.0)
        phases = (("sync: reading confd", t0, read), ("sync: merge, check, write", read, t1),
                  ("reload", t1, t2), ("idle", t2, t2 + 0.5))  # fmt: skip
        for label, a, b in phases:
            worst, p99 = ticker.worst(a, b)
            print(f"event-loop lag during {label}: max {worst:.1f} ms, p99 {p99:.1f} ms")
        assert sync_once  # the server's periodic step is sync_site then the same reload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument(
        "--no-validate",
        action="store_true",
        help="the stand-in skips validating its answers (times the client, not the stand-in)",
    )
    args = parser.parse_args()
    asyncio.run(bench(args.users, args.devices, not args.no_validate))


if __name__ == "__main__":
    main()
