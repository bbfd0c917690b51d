"""Server CPU per FastAGI session: autocom vs bare asyncio vs panoramisk, in one run.

Each server runs in its own process pinned to one core (default 1), the load
generator (bench/agi_load.py) runs here pinned to another (default 0).  The
server's CPU time (utime + stime from /proc) over the measured sessions, divided
by the number of sessions, is the figure compared: the generator may be the
bottleneck on a small machine, CPU per session still holds.

``served`` (the default, with ``bare-uvloop`` and ``panoramisk``) is the product
as a site runs it: `autocom serve` on a copy of examples/ (bench/served.py), the
real ``rights`` hook and its default logging to a file.  The hook sends one AGI
command (both variables in one ``SET VARIABLE "ARRAY(...)"``) where the floor sends
three: for the framework's cost alone, command for command, compare the ``autocom``
kind with the floor.  The other kinds (bench/agi_servers.py) serve a bench hook
that reads one variable and sets two.  ``--baseline DIR`` also runs ``served`` from
another checkout: before/after.

Goals (issue 21): served <= 1.5x the bare uvloop Protocol server (the floor) and
<= 1/2 of panoramisk 1.4; (issue 2) the bench hook on autocom <= 1.5x the floor
and <= 1/3 of panoramisk.

    python bench/agi_compare.py [-n 20000] [-c 50] [--rounds 3] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from agi_load import run_load  # noqa: E402
from agi_servers import EXTRA_KINDS, KINDS  # noqa: E402
from served import autocom_serve  # noqa: E402

from autocom.agi.server import new_event_loop  # noqa: E402

SERVED = "served"  # the real `autocom serve`, the real rights hook, default logging
BASELINE = "served-baseline"  # the same, from the checkout given by --baseline
SERVED_ENV = {"arg_1": "2001", "arg_2": "00612345670"}  # line prefix 0, then a mobile
ALL_KINDS = (SERVED, *KINDS, *EXTRA_KINDS)


def start_server(kind: str, core: int) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "agi_servers.py"), kind],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.sched_setaffinity(0, {core}),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"{kind}: server did not start ({line!r})")
    return proc, int(line.split()[1])


def drive(
    port: int, pid: int, sessions: int, concurrency: int, warmup: int, env: dict[str, str]
) -> dict[str, object]:
    loop = new_event_loop()
    try:
        loop.run_until_complete(
            run_load("127.0.0.1", port, concurrency=concurrency, sessions=warmup, env=env)
        )
        result = loop.run_until_complete(
            run_load(
                "127.0.0.1",
                port,
                concurrency=concurrency,
                sessions=sessions,
                server_pid=pid,
                env=env,
            )
        )
    finally:
        loop.close()
    return result.summary()


def measure(
    kind: str, sessions: int, concurrency: int, warmup: int, core: int, baseline: Path | None
) -> dict[str, object]:
    if kind in (SERVED, BASELINE):
        # `autocom serve` on examples/: staff member 2001 dials a mobile (allowed);
        # the session and audit JSON lines go to a file
        source = baseline if kind == BASELINE else None
        with autocom_serve(core=core, source=source) as (pid, port):
            summary = drive(port, pid, sessions, concurrency, warmup, SERVED_ENV)
    else:
        proc, port = start_server(kind, core)
        try:
            summary = drive(port, proc.pid, sessions, concurrency, warmup, {})
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    summary["kind"] = kind
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--sessions", type=int, default=20000)
    parser.add_argument("-c", "--concurrency", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="runs per server (median kept)")
    parser.add_argument("--server-core", type=int, default=1)
    parser.add_argument("--load-core", type=int, default=0)
    parser.add_argument(
        "--kinds",
        default=f"{SERVED},bare-uvloop,panoramisk",
        help=f"comma-separated, among {', '.join(ALL_KINDS)}",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help=f"also run {BASELINE}: `autocom serve` from this checkout (before/after)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.load_core})
    kinds = args.kinds.split(",") + ([BASELINE] if args.baseline else [])
    unknown = set(kinds) - {*ALL_KINDS, BASELINE}
    if unknown:
        parser.error(f"unknown server kinds: {', '.join(sorted(unknown))}")

    per_kind: dict[str, list[dict[str, object]]] = {k: [] for k in kinds}
    for _ in range(args.rounds):  # interleave kinds so machine noise hits them alike
        for kind in kinds:
            per_kind[kind].append(
                measure(
                    kind,
                    args.sessions,
                    args.concurrency,
                    args.warmup,
                    args.server_core,
                    args.baseline,
                )
            )

    cpu: dict[str, float] = {}
    print(
        f"{'server':<16} {'us/session':>10} {'rounds':>22} {'sess/s':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'errors':>6}"
    )
    for kind in kinds:
        runs = per_kind[kind]
        values = [float(r["cpu_us_per_session"]) for r in runs]  # type: ignore[arg-type]
        cpu[kind] = statistics.median(values)
        mid = sorted(runs, key=lambda r: float(r["cpu_us_per_session"]))[len(runs) // 2]  # type: ignore[arg-type]
        rounds = "/".join(f"{v:.0f}" for v in values)
        print(
            f"{kind:<16} {cpu[kind]:>10.1f} {rounds:>22} {mid['rate']:>8} {mid['p50_ms']:>7} "
            f"{mid['p99_ms']:>7} {sum(int(r['errors']) for r in runs):>6}"  # type: ignore[call-overload]
        )
    verdict = 0
    if SERVED in cpu and "bare-uvloop" in cpu:
        ratio = cpu[SERVED] / cpu["bare-uvloop"]
        ok = ratio <= 1.5
        verdict |= 0 if ok else 1
        print(f"served / bare-uvloop = {ratio:.2f} (goal <= 1.5: {'met' if ok else 'MISSED'})")
    if SERVED in cpu and "panoramisk" in cpu:
        ratio = cpu[SERVED] / cpu["panoramisk"]
        ok = ratio <= 0.5
        verdict |= 0 if ok else 1
        print(f"served / panoramisk = {ratio:.2f} (goal <= 0.5: {'met' if ok else 'MISSED'})")
    if "autocom" in cpu and "bare-uvloop" in cpu:
        ratio = cpu["autocom"] / cpu["bare-uvloop"]
        ok = ratio <= 1.5
        verdict |= 0 if ok else 1
        print(f"autocom / bare-uvloop = {ratio:.2f} (goal <= 1.5: {'met' if ok else 'MISSED'})")
    if "autocom" in cpu and "panoramisk" in cpu:
        ratio = cpu["autocom"] / cpu["panoramisk"]
        ok = ratio <= 1 / 3
        verdict |= 0 if ok else 1
        print(f"autocom / panoramisk = {ratio:.2f} (goal <= 0.33: {'met' if ok else 'MISSED'})")
    if "autocom-asyncio" in cpu and "bare-streams" in cpu:
        print(
            f"autocom-asyncio / bare-streams = {cpu['autocom-asyncio'] / cpu['bare-streams']:.2f}"
            " (same standard loop)"
        )
    if args.json:
        print(json.dumps({"cpu_us_per_session": cpu, "runs": per_kind}))
    return verdict


if __name__ == "__main__":
    sys.exit(main())
