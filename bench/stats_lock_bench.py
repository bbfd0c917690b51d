"""Ticket saves while a year of statistics is summed for the first time.

    .venv/bin/python bench/stats_lock_bench.py [--per-day 300] [--batches 2000]

PostgreSQL (a private server): one department with ``--per-day`` tickets on each
day of a year (February 2026 to January 2027); its year is asked with no day kept
yet while a ticket of another department is saved every 10 ms: the request's time,
and the time of each save begun while the request runs (p50 / max, ms).  A save
takes the stats lock shared, a day summed takes it exclusive (state_pg.py).

SQLite: the same tickets and the year's days kept, then ``--batches`` batches of 10
live tickets (the department's, on its last day) saved one after another: ms per
batch (each batch reads the replaced tickets and the kept days near it, forgets
that day).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.accounting.engine import Ticket  # noqa: E402
from apps.accounting.state import SqliteTicketStore, TicketStore  # noqa: E402
from apps.accounting.state_pg import PgTicketStore  # noqa: E402
from apps.accounting.stats import local_days  # noqa: E402
from autocom.services import stats_period  # noqa: E402
from bench.stats_bench import HOURS, PARIS, fake_ticket  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

YEAR = stats_period(PARIS, "", "", "2026-02-01", "2027-01-31")
DAYS = local_days(*YEAR)


def year_of_tickets(per_day: int) -> list[Ticket]:
    rng = random.Random(7)
    out = []
    for d, (start, _) in enumerate(DAYS):
        for n in range(per_day):
            at = start.replace(hour=rng.choice(HOURS), minute=rng.randrange(60)).timestamp()
            t = fake_ticket(d * per_day + n, rng)
            out.append(replace(t, start=at, end=at + (t.end - t.start), department="D7"))
    return out


async def fill(store: TicketStore, tickets: list[Ticket]) -> None:
    began = time.perf_counter()
    for first in range(0, len(tickets), 5000):
        await store.save_tickets(tickets[first : first + 5000])
    print(f"{len(tickets)} tickets saved in {time.perf_counter() - began:.0f} s", flush=True)


def line(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    return f"{name}: {len(ms)}, p50 {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms"


async def saves_meanwhile(store: TicketStore, asking: asyncio.Task[object]) -> list[float]:
    """Each save's time, for the saves begun while the request runs (to their end)."""
    rng, times, i = random.Random(3), [], 0
    await asyncio.sleep(0.05)  # the request has begun summing
    while not asking.done():
        t = replace(fake_ticket(10_000_000 + i, rng), department="D31")
        began = time.perf_counter()
        await store.save_tickets([t])
        times.append((time.perf_counter() - began) * 1000)
        i += 1
        await asyncio.sleep(0.01)
    return times


async def postgres(dsn: str, tickets: list[Ticket]) -> None:
    store = await PgTicketStore.connect(dsn)
    await fill(store, tickets)
    async with store._pool.acquire() as conn:
        await conn.execute("VACUUM ANALYZE tickets")
    began = time.perf_counter()
    asking = asyncio.create_task(store.day_summaries("D7", DAYS))
    times = await saves_meanwhile(store, asking)
    await asking
    print(f"PostgreSQL: a year asked, no day kept: {time.perf_counter() - began:.2f} s")
    print(line("  saves during the request", times), flush=True)
    await store.close()


async def sqlite(folder: Path, tickets: list[Ticket], batches: int) -> None:
    store = await SqliteTicketStore(folder / "calls.sqlite").open()
    await fill(store, tickets)
    for department in range(40):  # the site's departments, a year each kept
        await store.day_summaries(f"D{department}", DAYS)
    rng, times = random.Random(5), []
    last = DAYS[-1][0].replace(hour=16).timestamp()
    for b in range(batches):
        batch = [
            replace(fake_ticket(20_000_000 + b * 10 + n, rng), start=last + b, department="D7")
            for n in range(10)
        ]
        began = time.perf_counter()
        await store.save_tickets(batch)
        times.append((time.perf_counter() - began) * 1000)
    print(line("SQLite: batches of 10 saved, a year of 40 departments kept", times))
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=300)
    parser.add_argument("--batches", type=int, default=2000)
    args = parser.parse_args()
    tickets = year_of_tickets(args.per_day)
    folder = Path(tempfile.mkdtemp(prefix="stats-lock-bench-"))
    server = PostgresServer()
    server.start()
    try:
        asyncio.run(postgres(server.dsn(), tickets))
    finally:
        server.cleanup()
    asyncio.run(sqlite(folder, tickets, args.batches))
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
