"""Real Asterisk 22: calls/s with the rights hook against without, autocom vs the floor.

The private Asterisk of the end-to-end tests (the sid root, the example site's
dialplan, the project's dialplan/) places outgoing calls 2002 -> 00612345678 (a
mobile: allowed for staff, it reaches the trunk's sink) ``--concurrency`` at a
time, in rounds that alternate, in the same run:

- ``autocom``: `autocom serve` on a copy of examples/ (bench/served.py), its real
  ``rights`` hook (1 AGI command) and default logging to a file;
- ``floor``: bench/agi_servers.py's bare uvloop Protocol (no framework, no
  decision, no log: GET VARIABLE then two SET VARIABLE, AUTOCOM_RIGHTS=allow);

each once with the outgoing hook point on (``AUTOCOM_HOOKS_OUTGOING=local&time_rules``,
``AUTOCOM_AGI`` pointed at that server) and once without (``local``: no AGI).  The
figure is calls/s with the hook / without, per server; the goal (issue 21): autocom's
ratio within 0.05 of the floor's (above it is met too: the hook costs less there).

    .venv/bin/python bench/asterisk_rights_bench.py [--calls 120] [--concurrency 8] [--rounds 3]

Needs root (the chroot).  Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autocom.site.sitefile import load_site  # noqa: E402
from bench.served import autocom_serve  # noqa: E402
from tests.e2e.asterisk import ensure_root  # noqa: E402
from tests.e2e.conftest import EXAMPLES, call_driver, default_endpoints, private_asterisk  # noqa: E402
from tests.e2e.driver import CallDriver  # noqa: E402

MOBILE = "00612345678"
HOOKED = "local&time_rules"  # dialplan/autocom-globals.conf's AUTOCOM_HOOKS_OUTGOING


@contextmanager
def floor_server() -> Iterator[int]:
    """bench/agi_servers.py's bare uvloop Protocol: its FastAGI port."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "agi_servers.py"), "bare-uvloop"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"floor server did not start ({line!r})")
        yield int(line.split()[1])
    finally:
        proc.terminate()
        proc.wait(10)


async def calls_per_second(driver: CallDriver, calls: int, concurrency: int) -> float:
    """``calls`` calls to the mobile, ``concurrency`` at a time; each must reach the trunk."""
    pending: set[asyncio.Task[object]] = set()
    started = 0
    t0 = time.perf_counter()
    while started < calls or pending:
        while started < calls and len(pending) < concurrency:
            call = driver.call(MOBILE, "personnel", caller="2002")
            pending.add(asyncio.ensure_future(call))
            started += 1
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            result = task.result()
            trunk = getattr(result, "trunk_calls", None)
            if not trunk:
                raise RuntimeError(f"a call did not reach the trunk: {result!r}")
    return calls / (time.perf_counter() - t0)


async def measure(
    driver: CallDriver, ports: dict[str, int], calls: int, concurrency: int, rounds: int
) -> dict[str, list[float]]:
    """Calls/s with the hook / without, per server and round (interleaved)."""
    ratios: dict[str, list[float]] = {name: [] for name in ports}
    await driver.set_global("AUTOCOM_HOOKS_OUTGOING", "local")
    await calls_per_second(driver, concurrency, concurrency)  # warm up
    for _ in range(rounds):
        for name, port in ports.items():
            await driver.set_global("AUTOCOM_AGI", f"agi://127.0.0.1:{port}")
            await driver.set_global("AUTOCOM_HOOKS_OUTGOING", HOOKED)
            hooked = await calls_per_second(driver, calls, concurrency)
            await driver.set_global("AUTOCOM_HOOKS_OUTGOING", "local")
            bare = await calls_per_second(driver, calls, concurrency)
            ratios[name].append(hooked / bare)
            print(
                f"  {name:<8} with the hook {hooked:6.1f} calls/s, without {bare:6.1f}: "
                f"{hooked / bare:.2f}",
                flush=True,
            )
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    site = load_site(EXAMPLES / "site.yaml")
    with (
        private_asterisk(ensure_root(), site=site, endpoints=default_endpoints()) as asterisk,
        autocom_serve() as (_, autocom_port),
        floor_server() as floor_port,
    ):

        async def run() -> dict[str, list[float]]:
            async with call_driver(asterisk) as driver:
                ports = {"autocom": autocom_port, "floor": floor_port}
                return await measure(driver, ports, args.calls, args.concurrency, args.rounds)

        ratios = asyncio.run(run())
    median = {name: statistics.median(values) for name, values in ratios.items()}
    for name, values in ratios.items():
        rounds = "/".join(f"{v:.2f}" for v in values)
        print(f"{name:<8} with / without: median {median[name]:.2f} ({rounds})")
    gap = median["autocom"] - median["floor"]
    ok = gap >= -0.05  # above the floor's ratio is met too
    verdict = "met" if ok else "MISSED"
    print(f"autocom - floor = {gap:+.2f} (goal: at most 0.05 below the floor: {verdict})")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
