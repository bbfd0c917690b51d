"""The portal's statistics page (/stats) with 4000 users and a month of tickets.

    .venv/bin/python bench/stats_bench.py [--tickets 500000] [--requests 300] [--postgres]

The site, people and logs of bench/portal_bench.py (4000 users in 40 departments of
100), with call accounting on SQLite (or a private PostgreSQL, --postgres), filled
with ``--tickets`` tickets of January 2027 (by default 500,000: 4000 users making
or getting about 4 calls a day), spread over the days and mostly over office hours:
outgoing, incoming and internal, answered or not, national, mobile or international.
Then a department admin (one department) and the admin ask /stats for January, a
day and a range: once with no day summed yet (the first request after a start or an
upgrade), then ``--requests`` times each, one at a time then 8 at once, while live
tickets of both departments arrive on 31 January (20 a second), so that each request
sums that day again; the time is from the request sent to the whole page read
(p50 / p99 / max, ms).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps import features  # noqa: E402
from apps.accounting import AccountingFeature  # noqa: E402
from apps.accounting.engine import Ticket  # noqa: E402
from apps.accounting.state_pg import PgTicketStore  # noqa: E402
from apps.portal import PortalFeature  # noqa: E402
from apps.portal.accounts import write_account  # noqa: E402
from autocom.app import running  # noqa: E402
from autocom.clock import Clock  # noqa: E402
from bench.portal_bench import (  # noqa: E402
    FIRST,
    PASSWORD,
    USERS,
    get,
    line,
    measure,
    session,
    write_config,
)
from tests.support.postgres import PostgresServer  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
DEPARTMENTS = 40  # portal_bench's site: department D<extension % 40>
CATEGORIES = ("national", "national", "national", "mobile", "mobile", "international")
HOURS = (8, 9, 9, 10, 10, 10, 11, 11, 12, 14, 14, 15, 15, 16, 16, 17, 18, 20)


def fake_ticket(i: int, rng: random.Random) -> Ticket:
    """One call of January 2027: a random user, kind, outcome and time."""
    user = FIRST + rng.randrange(USERS)
    start = datetime(
        2027, 1, 1 + rng.randrange(31), rng.choice(HOURS), rng.randrange(60), tzinfo=PARIS
    ).timestamp() + rng.randrange(60)
    direction = rng.choices(("outgoing", "incoming", "internal"), (40, 35, 25))[0]
    disposition = rng.choices(("answered", "no_answer", "busy", "failed"), (75, 15, 7, 3))[0]
    talk = rng.randrange(10, 600) if disposition == "answered" else 0
    category = rng.choice(CATEGORIES) if direction == "outgoing" else ""
    if direction == "internal":
        category = "internal"
    price = Decimal(talk) / 60 * Decimal("0.02") if direction == "outgoing" else Decimal(0)
    outside = direction == "incoming"
    return Ticket(
        id=f"b{i}",
        start=start,
        answer=start + 4 if talk else None,
        end=start + 4 + talk,
        caller="0388000000" if outside else str(user),
        caller_name="",
        caller_user="" if outside else str(user),
        called=str(user) if outside else "0144556677",
        called_user=str(user) if outside else "",
        answered_by=str(user) if outside and talk else "",
        direction=direction,
        disposition=disposition,
        hangup_cause=16,
        category=category,
        rights="allow",
        rights_class="",
        pin="",
        payer="" if outside else str(user),
        department=f"D{user % DEPARTMENTS}",
        cost_center="",
        price=price.quantize(Decimal("0.0001")),
    )


def add_accounting(main: Path, storage: str) -> None:
    folder = main.parent
    (folder / "accounting.yaml").write_text(f"backlog: cel.sqlite.db\nstorage: {storage}\n")
    text = main.read_text().replace("rules:\n", "rules:\n  accounting: accounting.yaml\n")
    main.write_text(text)
    portal = folder / "portal.yaml"
    portal.write_text(
        portal.read_text() + "  dadmin: {roles: [department_admin], departments: [D7]}\n"
    )
    write_account(folder / "accounts.txt", "dadmin", PASSWORD)


async def fill(acc: AccountingFeature, tickets: int) -> None:
    assert acc.service is not None
    rng = random.Random(20)
    began = time.perf_counter()
    for first in range(0, tickets, 5000):
        batch = [fake_ticket(i, rng) for i in range(first, min(first + 5000, tickets))]
        await acc.service.store.save_tickets(batch)
    print(f"{tickets} tickets saved in {time.perf_counter() - began:.0f} s", flush=True)
    store = acc.service.store
    if isinstance(store, PgTicketStore):  # autovacuum's steady state: index-only scans
        async with store._pool.acquire() as conn:
            await conn.execute("VACUUM ANALYZE tickets")


async def ingest(acc: AccountingFeature, first: int) -> None:
    """Live calls meanwhile: 20 tickets a second, of D7 or D31 on 31 January, so
    that each request finds that day to sum again."""
    assert acc.service is not None
    rng = random.Random(31)
    for i in itertools.count(first):
        t = fake_ticket(i, rng)
        start = datetime(2027, 1, 31, 16, rng.randrange(60), tzinfo=PARIS).timestamp()
        department = rng.choice(("D7", "D31"))
        await acc.service.store.save_tickets([replace(t, start=start, department=department)])
        await asyncio.sleep(0.05)


async def run(tickets: int, requests: int, storage: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="stats-bench-"))
    config = write_config(folder)
    add_accounting(config, storage)
    feats = features()
    clock = Clock("Europe/Paris", pinned=datetime(2027, 2, 10, 10, 0))
    async with running(config, feats, clock=clock, agi_port=0, http_port=0, watch=False):
        acc = next(f for f in feats if isinstance(f, AccountingFeature))
        await fill(acc, tickets)
        port = next(f for f in feats if isinstance(f, PortalFeature)).port
        base = f"http://127.0.0.1:{port}"
        dadmin, token = await session(base, "dadmin")
        admin, admin_token = await session(base, "root")
        asks = [
            ("department admin, January", dadmin, token, "/stats?month=2027-01"),
            ("department admin, a day", dadmin, token, "/stats?day=2027-01-12"),
            ("department admin, 10 days", dadmin, token, "/stats?from=2027-01-10&to=2027-01-19"),
            ("admin, D31 January", admin, admin_token, "/stats?department=D31&month=2027-01"),
        ]
        print(f"{USERS} users, {tickets} tickets in January, {requests} requests per page")
        for name, http, tok, path in asks:  # nothing summed yet: every day from the tickets
            cold = await measure(http, tok, get(f"{base}{path}", 'id="directions"'), 1, 1)
            print(f"{name}: first request {cold[0]:.1f} ms (no day kept yet)", flush=True)
        live = asyncio.create_task(ingest(acc, tickets))
        for concurrency in (1, 8):
            for name, http, tok, path in asks:
                ask = get(f"{base}{path}", 'id="directions"')
                times = await measure(http, tok, ask, requests, concurrency)
                print(line(f"{name} (x{concurrency})", times), flush=True)
        live.cancel()
        await dadmin.close()
        await admin.close()
    shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if not args.postgres:
        asyncio.run(run(args.tickets, args.requests, "{backend: sqlite, path: calls.sqlite}"))
        return
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="stats-bench-pg-")))
    server.start()
    try:
        storage = f'{{backend: postgresql, dsn: "{server.dsn()}"}}'
        asyncio.run(run(args.tickets, args.requests, storage))
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
