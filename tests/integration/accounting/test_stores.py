"""Both ticket stores (SQLite; PostgreSQL partitioned by month, a real server) with
the collector: duplicates, late events, history by role, reports, retention."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from apps.accounting.collector import Collector
from apps.accounting.rules import Tariff
from apps.accounting.state import (
    Query,
    SqliteTicketStore,
    TicketStore,
    mask_number,
    months_before,
)
from apps.accounting.state_pg import PgTicketStore
from autocom.ami.protocol import parse_block
from tests.support.postgres import PostgresServer
from tests.unit.accounting.samples import (
    FACTS,
    ami_event,
    answered_call,
    outgoing_call,
    unanswered_call,
)

pytestmark = pytest.mark.integration

TARIFFS = (Tariff(category="national", setup=Decimal("0.05"), per_minute=Decimal("0.01")),)


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TicketStore]:
    s: TicketStore
    if request.param == "sqlite":
        s = await SqliteTicketStore(tmp_path / "calls.sqlite").open()
    else:
        s = await PgTicketStore.connect(request.getfixturevalue("postgres_dsn"))
    yield s
    await s.close()


def collector(store: TicketStore) -> Collector:
    return Collector(store, lambda: FACTS, lambda: TARIFFS)


def relinked(events: list, linkedid: str) -> list:  # type: ignore[type-arg]
    from dataclasses import replace

    from apps.accounting.cel import event_id

    out = []
    for e in events:
        uid = e.uniqueid.replace("L.", linkedid + ".") if e.uniqueid != "L.10" else linkedid
        out.append(
            replace(
                e,
                linkedid=linkedid,
                uniqueid=uid,
                event_id=event_id(e.type, int(e.time), uid, (e.event_id,)),
            )
        )
    return out


async def test_duplicates_and_partial_then_complete(store: TicketStore) -> None:
    c = collector(store)
    events = answered_call()
    assert await c.ingest(events[:10]) == 0  # the call has not ended yet
    assert await c.ingest(events) == 1
    assert await c.ingest(events) == 0  # the same events again: nothing new
    rows = await store.tickets(Query())
    assert [r.id for r in rows] == ["L.10"]
    assert rows[0].body["disposition"] == "answered"


async def test_late_events_rebuild_the_ticket(store: TicketStore) -> None:
    c = collector(store)
    events = answered_call()
    answered = [
        e for e in events if e.channel.startswith("Local/martin-soft") and e.type == "ANSWER"
    ]
    await c.ingest([e for e in events if e not in answered])
    first = (await store.tickets(Query()))[0].body
    await c.ingest(answered)  # caught up later from the backlog
    again = (await store.tickets(Query()))[0].body
    assert len(await store.tickets(Query())) == 1
    assert first["answered_by"] != again["answered_by"] == "2001"


async def test_history_by_role_and_report(store: TicketStore) -> None:
    c = collector(store)
    await c.ingest(answered_call())
    await c.ingest(relinked(unanswered_call("BUSY", 17), "M"))
    await c.ingest(relinked(outgoing_call("0144556677", 90.0, "rights=allow>national"), "O"))
    got = {r.id: r.body["disposition"] for r in await store.tickets(Query(user="2001"))}
    assert got == {"L.10": "answered", "M": "busy"}
    missed = await store.tickets(Query(user="2001", role="missed"))
    assert [r.id for r in missed] == ["M"]
    dialed = await store.tickets(Query(user="2002", role="dialed"))
    assert {r.id for r in dialed} == {"L.10", "M", "O"}
    report = await store.report("department", "2026-12")
    assert [(r.key, r.cost_center, r.calls, r.answered, r.cost) for r in report] == [
        ("Chimie", "CC-CHI", 3, 2, "0.0650")
    ]


async def test_retention_masks_external_numbers(store: TicketStore) -> None:
    c = collector(store)
    await c.ingest(relinked(outgoing_call("0144556677", 90.0), "O"))
    await c.ingest(answered_call())
    later = datetime(2027, 8, 1, tzinfo=UTC)
    assert await store.apply_retention(later, 6, None, 7) == 2
    bodies = {r.id: r.body for r in await store.tickets(Query())}
    assert bodies["O"]["called"] == "xxxxxxx6677"
    assert bodies["O"]["caller"] == "2002"  # a user of the site: kept
    assert bodies["L.10"]["called"] == "2001"
    assert await store.apply_retention(later, 6, None, 7) == 0  # masked once
    assert await store.apply_retention(later, None, 6, 7) == 2
    assert await store.tickets(Query()) == []


async def test_partitions_by_month(store: TicketStore) -> None:
    c = collector(store)
    await c.ingest(answered_call())
    if isinstance(store, PgTicketStore):
        async with store._pool.acquire() as conn:
            names = {
                r["relname"]
                for r in await conn.fetch(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                )
            }
        assert {"tickets_202612", "parties_202612"} <= names
    assert [r.id for r in await store.tickets(Query(user="2001"))] == ["L.10"]


def test_months_before_and_mask() -> None:
    assert months_before(datetime(2027, 3, 31, tzinfo=UTC), 2) == datetime(2027, 1, 28, tzinfo=UTC)
    assert months_before(datetime(2027, 1, 5, tzinfo=UTC), 1) == datetime(2026, 12, 5, tzinfo=UTC)
    assert mask_number("0612345678") == "xxxxxx5678"
    assert mask_number("12") == "12"


async def test_live_events_wait_while_postgresql_is_down() -> None:
    """PostgreSQL stopped under the collector: the live events wait, then make their
    ticket once it is back (a private server: the session's keeps running)."""
    server = PostgresServer()
    server.start()
    store = await PgTicketStore.connect(server.dsn())
    c = collector(store)
    flusher = asyncio.create_task(c.run_flusher(interval=0.05, retry=0.3))
    try:
        server.stop()
        for event in answered_call():
            c.on_ami_event(parse_block(ami_event(event).decode()), ZoneInfo("UTC"))
        await asyncio.sleep(1.0)
        assert c.tickets_built == 0 and len(c._pending) == len(answered_call())
        server.start()
        for _ in range(100):
            if c.tickets_built:
                break
            await asyncio.sleep(0.1)
        assert [r.id for r in await store.tickets(Query())] == ["L.10"]
    finally:
        flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        await store.close()
        server.cleanup()


def test_hostile_event_fields_still_make_a_ticket() -> None:
    from apps.accounting.engine import build_ticket

    events = [
        replace(e, extra='{"hangupcause":"x)(*","dialstatus":7}') if e.type == "HANGUP" else e
        for e in answered_call()
    ]
    events.append(replace(events[0], event_id="junk", type="autocom", extra="{not json"))
    ticket = build_ticket(events, FACTS)
    assert (ticket.disposition, ticket.hangup_cause) == ("answered", 0)
