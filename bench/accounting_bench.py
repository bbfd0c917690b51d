"""Call accounting benchmarks (issue 17): CEL ingestion rate, PostgreSQL at 10 M tickets.

    .venv/bin/python bench/accounting_bench.py ingest --calls 5000     # SQLite store
    .venv/bin/python bench/accounting_bench.py ingest --calls 5000 --postgres
    .venv/bin/python bench/accounting_bench.py pg --tickets 10000000   # history p99, report

``ingest`` plays the live path on one core: AMI bytes of recorded CEL sequences
(tests/unit/accounting/samples.py, 20 events a call, each call its own
linkedid) through the sans-IO parser, ``from_ami``, and ``Collector.ingest`` in
batches (storing the events, building and saving each ticket), and prints
events/s of wall time and of process CPU time (goal: 2,000 events/s).

``pg`` starts a private PostgreSQL (tests/support/postgres.py, in --dir), fills
``tickets`` (12 monthly partitions of 2026) and ``parties`` with SQL
``generate_series`` (4,000 users, 40 departments), then times one user's history
(``PgTicketStore.tickets``, 100 newest calls, 300 random users: p50/p99; goal p99
<= 50 ms) and a month's department report (5 runs; goal <= 2 s).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.accounting.cel import CelEvent, from_ami  # noqa: E402
from apps.accounting.collector import Collector  # noqa: E402
from apps.accounting.state import Query, SqliteTicketStore, TicketStore  # noqa: E402
from apps.accounting.state_pg import PgTicketStore  # noqa: E402
from autocom.ami.protocol import AmiMessage, AmiParser  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.unit.accounting.samples import FACTS, ami_event, answered_call  # noqa: E402

UTC_ZONE = FACTS.zone


def ami_bytes(calls: int) -> bytes:
    """``calls`` answered calls as cel_manager would send them."""
    base = answered_call(talk=30.0)
    out = [b"Asterisk Call Manager/11.0.0\r\n"]
    for n in range(calls):
        shift = n * 7.0
        for e in base:
            e2 = replace(e, linkedid=f"C{n}", uniqueid=e.uniqueid.replace("L", f"C{n}"))
            out.append(ami_event(e2, shift))
    return b"".join(out)


async def ingest(calls: int, store: TicketStore, batch: int) -> None:
    from zoneinfo import ZoneInfo

    data = ami_bytes(calls)
    zone = ZoneInfo("UTC")  # ami_event writes EventTime in UTC
    collector = Collector(store, lambda: FACTS, lambda: ())
    wall, cpu = time.perf_counter(), time.process_time()
    parser = AmiParser()
    pending: list[CelEvent] = []
    events = 0
    for i in range(0, len(data), 65536):
        parser.feed(data[i : i + 65536])
        for message in parser.events():
            if isinstance(message, AmiMessage):
                pending.append(from_ami(message, zone))
        if len(pending) >= batch:
            events += len(pending)
            await collector.ingest(pending)
            pending = []
    events += len(pending)
    await collector.ingest(pending)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"ingest: {events} events, {collector.tickets_built} tickets in {wall:.2f} s wall "
        f"({events / wall:,.0f} events/s), {cpu:.2f} s CPU ({events / cpu:,.0f} events/s of CPU)"
    )


FILL_SQL = """
INSERT INTO tickets (id, start_at, caller, caller_user, called, called_user, answered_by,
    direction, disposition, category, payer, department, cost_center, talk_seconds, price, body)
SELECT 'g' || g, ts, u::text, u::text, c::text, c::text,
    CASE WHEN g % 5 = 0 THEN '' ELSE c::text END, 'internal',
    CASE WHEN g % 5 = 0 THEN 'no_answer' ELSE 'answered' END, 'national', u::text,
    'dept-' || (u % 40), 'cc-' || (u % 120), (g % 600), ((g % 600) * 0.0002)::numeric(14,4),
    jsonb_build_object('ticket_version', 1, 'id', 'g' || g, 'caller', u::text,
        'called', c::text, 'disposition',
        CASE WHEN g % 5 = 0 THEN 'no_answer' ELSE 'answered' END,
        'talk_seconds', g % 600, 'department', 'dept-' || (u % 40), 'legs', '[]'::jsonb)
FROM (SELECT g,
        timestamptz '2026-01-01 00:00:00+00' + (g * ($2::float8 / ($1 + 1))) * interval '1 second'
        AS ts, 2000 + (g * 7919) % 4000 AS u,
        2000 + ((g * 7919) % 4000 + 1 + (g * 104729) % 3999) % 4000 AS c
      FROM generate_series($3::bigint, $4::bigint) g) s
"""
PARTIES_SQL = """
INSERT INTO parties SELECT caller_user, start_at, id, 'dialed' FROM tickets;
INSERT INTO parties SELECT called_user, start_at, id,
    CASE WHEN disposition = 'answered' THEN 'received' ELSE 'missed' END FROM tickets;
"""


async def fill(store: PgTicketStore, tickets: int) -> None:
    for month in range(1, 13):
        await store.ensure_month(f"2026-{month:02d}")
    year = 365 * 86400.0
    started = time.perf_counter()
    step = 1_000_000
    async with store._pool.acquire() as conn:
        for first in range(1, tickets + 1, step):
            last = min(first + step - 1, tickets)
            await conn.execute(FILL_SQL, tickets, year, first, last, timeout=3600)
            print(f"  tickets {last:,} ({time.perf_counter() - started:.0f} s)", flush=True)
        await conn.execute(PARTIES_SQL, timeout=3600)
        await conn.execute("ANALYZE", timeout=3600)
    print(f"filled {tickets:,} tickets and their parties in {time.perf_counter() - started:.0f} s")


async def measure(store: PgTicketStore) -> None:
    rng = random.Random(17)
    times = []
    for _ in range(300):
        user = str(rng.randrange(2000, 6000))
        t = time.perf_counter()
        rows = await store.tickets(Query(user=user, limit=100))
        times.append((time.perf_counter() - t) * 1000)
        assert rows, user
    times.sort()
    print(
        f"history (100 newest calls of one user): p50 {statistics.median(times):.1f} ms, "
        f"p99 {times[int(len(times) * 0.99) - 1]:.1f} ms, max {times[-1]:.1f} ms"
    )
    runs = []
    for month in ("2026-03", "2026-06", "2026-09", "2026-11", "2026-06"):
        t = time.perf_counter()
        rows = await store.report("department", month)
        runs.append(time.perf_counter() - t)
        assert len(rows) >= 40
    print(f"department report of a month: {' '.join(f'{r:.2f}' for r in runs)} s")


async def pg_bench(tickets: int, folder: Path, keep: bool, reuse: Path | None) -> None:
    """Fill a private server (or ``reuse`` the one a ``keep`` run left) and measure."""
    where = reuse or Path(tempfile.mkdtemp(prefix="autocom-pg-bench-", dir=folder))
    server = PostgresServer(where)
    server.start()
    try:
        store = await PgTicketStore.connect(server.dsn())
        try:
            if reuse is None:
                await fill(store, tickets)
            await measure(store)
        finally:
            await store.close()
    finally:
        if keep or reuse:
            server.stop()
            print(f"data kept in {where}: --reuse {where} measures again")
        else:
            server.cleanup()


async def ingest_bench(calls: int, postgres: bool, batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if postgres:
            server = PostgresServer(Path(tempfile.mkdtemp(prefix="autocom-pg-bench-")))
            server.start()
            try:
                store: TicketStore = await PgTicketStore.connect(server.dsn())
                await ingest(calls, store, batch)
                await store.close()
            finally:
                server.cleanup()
        else:
            store = await SqliteTicketStore(Path(tmp) / "calls.sqlite").open()
            await ingest(calls, store, batch)
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("ingest")
    p.add_argument("--calls", type=int, default=5000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--postgres", action="store_true")
    p = sub.add_parser("pg")
    p.add_argument("--tickets", type=int, default=10_000_000)
    p.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    p.add_argument("--keep", action="store_true", help="keep the data folder")
    p.add_argument("--reuse", type=Path, default=None, help="measure a kept data folder")
    args = parser.parse_args()
    if args.what == "ingest":
        asyncio.run(ingest_bench(args.calls, args.postgres, args.batch))
    else:
        asyncio.run(pg_bench(args.tickets, args.dir, args.keep, args.reuse))


if __name__ == "__main__":
    main()
