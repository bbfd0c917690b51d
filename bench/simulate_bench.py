"""What-if speed: `autocom simulate` on a month of a 4000-phone site.

    .venv/bin/python bench/simulate_bench.py [--calls 1800000] [--folder DIR] [--keep]

Writes a config folder for 4000 phones (tests/support/call_month.py: 40
departments, a boss filtered by two secretaries in each, the example
university's rights.yaml) and a month of tickets (January 2027, ``--calls``
tickets: internal, outgoing, incoming, speed dials, hunt groups, office hours
mostly) into its SQLite ticket store, and forwards, do-not-disturb and filter
switches and personal speed dials into its state store; then a copy with three edits:

- staff may no longer call mobiles (allowed -> refused);
- staff may forward to mobiles only in working time, not office hours (a
  different forward);
- the even departments' filters ring the boss first (a different secretary).

and times the real command, ``autocom simulate --rules NEW --tickets 2027-01
--summary``, in this process (config loads, ticket reads, replay, report), three
times.  ``--folder DIR --keep`` keeps the generated files for another run (the
tickets take a few minutes to write).  Goal: at most 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps import features  # noqa: E402
from autocom.cli import main as autocom  # noqa: E402
from autocom.store.sqlite_store import SqliteStore  # noqa: E402
from tests.support.call_month import edit, fill_state, fill_tickets, site_folder  # noqa: E402

MONTH = "2027-01"
USERS = 4000


async def _state(path: Path) -> None:
    store = await SqliteStore.open(path)
    try:
        await fill_state(store, USERS)
    finally:
        await store.close()


def prepare(folder: Path, calls: int) -> tuple[Path, Path]:
    current, new = folder / "current", folder / "new"
    marker = folder / f"ready-{calls}"
    if not marker.exists():
        shutil.rmtree(current, ignore_errors=True)
        site_folder(current, USERS)
        started = time.perf_counter()
        fill_tickets(current / "calls.sqlite", MONTH, calls, USERS)
        print(f"wrote {calls:,} tickets in {time.perf_counter() - started:.0f} s")
        asyncio.run(_state(current / "state.sqlite"))
        marker.write_text("")
    shutil.rmtree(new, ignore_errors=True)
    shutil.copytree(current, new, ignore=shutil.ignore_patterns("*.sqlite*"))
    rights = new / "rights.yaml"
    edit(rights, r"(  staff:\n(?:    .*\n)*?    mobile: )allow", r"\1deny")
    edit(rights, r"(      mobile: \{)office_hours(: allow)", r"\1working_time\2")
    edit(new / "filters.yaml", "secretaries_first_simultaneous", "boss_first_serial", count=0)
    return current / "autocom.yaml", new


def run(current: Path, new: Path) -> tuple[float, float, str]:
    """Wall time, CPU time (every thread of this process: the figure of an idle
    core, whatever the other processes of a shared machine do) and the report."""
    out = io.StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(out):
        argv = ["-c", str(current), "simulate", "--rules", str(new), "--tickets", MONTH]
        status = autocom([*argv, "--summary"], features())
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if status != 0:
        raise SystemExit(f"autocom simulate exited {status}")
    return elapsed, cpu, out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_800_000)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="simulate-bench-"))
    try:
        current, new = prepare(folder, args.calls)
        times = []
        for _ in range(3):
            elapsed, cpu, report = run(current, new)
            times.append(f"{elapsed:.1f} s (CPU {cpu:.1f} s)")
        print(report)
        print(
            f"autocom simulate, {args.calls:,} tickets, {USERS} phones: "
            f"{', '.join(times)}; goal 10 s; load average {os.getloadavg()[0]:.1f}"
        )
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
