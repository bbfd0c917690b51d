"""The ticket store in PostgreSQL (asyncpg): tickets and parties partitioned by month.

Same tables and answers as the SQLite store (state.py).  ``tickets`` and
``parties`` are ``PARTITION BY RANGE (start_at)``, one partition per calendar
month (UTC), created the first time a ticket of that month is saved: a month's
report reads one partition, and deleting old months is cheap.  A ticket is
replaced whole (its partition key, the start, may move when a late event is
caught up from the backlog).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from apps.accounting.cel import CelEvent
from apps.accounting.engine import Ticket
from apps.accounting.kept_days import (
    MAX_DAY,
    complete,
    day_keys,
    from_kept,
    kept_span,
    missing,
    summed,
    touched,
)
from apps.accounting.replay import (
    PG_DETAILS,
    PG_PAST_CALLS,
    PG_TO_BACKFILL,
    REPLAY_COLUMNS,
    backfill_rows,
    details,
    past_calls,
    replay_columns,
)
from apps.accounting.state import (
    REPORT_KEYS,
    TICKET_COLUMNS,
    Query,
    ReportRow,
    TicketRow,
    event_from_json,
    event_json,
    mask_body,
    months_before,
    parties,
    ticket_columns,
)
from apps.accounting.stats import BUCKET_SECONDS, DaySummary, StatGroup
from autocom.whatif.replay import CallDetails, PastCall

STATS_LOCK = 0x4175_7374  # the advisory lock between saves and a day's statistics
SCHEMA = """
CREATE TABLE IF NOT EXISTS cel_events (
    event_id text PRIMARY KEY, linkedid text NOT NULL, type text NOT NULL,
    time double precision NOT NULL, body text NOT NULL
);
CREATE INDEX IF NOT EXISTS cel_events_linkedid ON cel_events (linkedid);
CREATE INDEX IF NOT EXISTS cel_events_time ON cel_events (time);
CREATE TABLE IF NOT EXISTS tickets (
    id text NOT NULL, start_at timestamptz NOT NULL, caller text, caller_user text,
    called text, called_user text, answered_by text, direction text, disposition text,
    category text, payer text, department text, cost_center text, talk_seconds integer,
    price numeric(14, 4), body jsonb NOT NULL, masked boolean NOT NULL DEFAULT false,
    PRIMARY KEY (id, start_at)
) PARTITION BY RANGE (start_at);
CREATE INDEX IF NOT EXISTS tickets_id ON tickets (id);
CREATE INDEX IF NOT EXISTS tickets_report ON tickets (department, cost_center);
CREATE INDEX IF NOT EXISTS tickets_stats ON tickets (department, start_at)
    INCLUDE (direction, disposition, category, talk_seconds, price);
CREATE TABLE IF NOT EXISTS parties (
    ext text NOT NULL, start_at timestamptz NOT NULL, ticket_id text NOT NULL,
    role text NOT NULL, PRIMARY KEY (ext, start_at, ticket_id)
) PARTITION BY RANGE (start_at);
CREATE INDEX IF NOT EXISTS parties_ticket ON parties (ticket_id);
CREATE TABLE IF NOT EXISTS checkpoints (name text PRIMARY KEY, value bigint NOT NULL);
CREATE TABLE IF NOT EXISTS stats_days (
    department text NOT NULL, day_start float8 NOT NULL, day_end float8 NOT NULL,
    body text NOT NULL, PRIMARY KEY (department, day_start, day_end)
);
"""


def month_bounds(month: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def partition_sql(month: str) -> str:
    """The DDL of one month's partitions (``month`` checked as YYYY-MM)."""
    start, end = month_bounds(month)
    suffix = start.strftime("%Y%m")
    return "".join(
        f"CREATE TABLE IF NOT EXISTS {table}_{suffix} PARTITION OF {table} "
        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}');"
        for table in ("tickets", "parties")
    )


async def _replay_columns(conn: Any) -> None:
    """speed_dial and unanswered (replay.py), added to a store made before them; only
    then: an ALTER TABLE locks the table, even one that changes nothing."""
    have = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'tickets' "
        "AND column_name = ANY($1::text[])",
        list(REPLAY_COLUMNS),
    )
    for column in sorted(set(REPLAY_COLUMNS) - {r[0] for r in have}):
        await conn.execute(f"ALTER TABLE tickets ADD COLUMN IF NOT EXISTS {column} text")


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class PgTicketStore:
    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._months: set[str] = set()

    @classmethod
    async def connect(cls, dsn: str, *, min_size: int = 1, max_size: int = 4) -> PgTicketStore:
        pool = await asyncpg.create_pool(
            dsn, min_size=min_size, max_size=max_size, timeout=10, command_timeout=60
        )
        async with pool.acquire() as conn:
            await conn.execute(SCHEMA)
            await _replay_columns(conn)
        return cls(pool)

    async def ensure_month(self, month: str) -> None:
        if month in self._months:
            return
        async with self._pool.acquire() as conn:
            await conn.execute(partition_sql(month))
        self._months.add(month)

    async def add_events(self, events: Sequence[CelEvent]) -> list[CelEvent]:
        unique = list({e.event_id: e for e in events}.values())
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "INSERT INTO cel_events SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
                " $4::float8[], $5::text[]) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                [e.event_id for e in unique],
                [e.linkedid for e in unique],
                [e.type for e in unique],
                [e.time for e in unique],
                [event_json(e) for e in unique],
            )
        new = {r["event_id"] for r in rows}
        return [e for e in unique if e.event_id in new]

    async def complete(self, linkedids: Iterable[str]) -> set[str]:
        ids = sorted(set(linkedids))
        if not ids:
            return set()
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT linkedid FROM cel_events "
                "WHERE type = 'LINKEDID_END' AND linkedid = ANY($1::text[])",
                ids,
            )
        return {r["linkedid"] for r in rows}

    async def events_of(self, linkedid: str) -> list[CelEvent]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT body FROM cel_events WHERE linkedid = $1 ORDER BY time", linkedid
            )
        return [event_from_json(r["body"]) for r in rows]

    async def save_tickets(self, tickets: Sequence[Ticket]) -> None:
        for month in {_utc(t.start).strftime("%Y-%m") for t in tickets}:
            await self.ensure_month(month)
        ids = [t.id for t in tickets]
        rows = []
        for t in tickets:
            cols = list(ticket_columns(t))
            cols[1] = _utc(t.start)
            cols[14] = Decimal(str(cols[14]))
            rows.append([*cols, *replay_columns(t)])
        party_rows = [(ext, _utc(t.start), t.id, role) for t in tickets for ext, role in parties(t)]
        async with self._pool.acquire() as conn, conn.transaction():
            # beside other saves; a day's statistics are summed with no save meanwhile
            await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", STATS_LOCK)
            await conn.execute("DELETE FROM parties WHERE ticket_id = ANY($1::text[])", ids)
            old = await conn.fetch(
                "DELETE FROM tickets WHERE id = ANY($1::text[]) "
                "RETURNING department, extract(epoch FROM start_at)::float8 AS at",
                ids,
            )
            await conn.executemany(
                f"INSERT INTO tickets ({TICKET_COLUMNS}, {', '.join(REPLAY_COLUMNS)}) VALUES "
                "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16::jsonb,$17,$18)",
                rows,
            )
            await conn.executemany("INSERT INTO parties VALUES ($1, $2, $3, $4)", party_rows)
            saved = list(touched(((t.department, t.start) for t in tickets), old))
            await conn.execute(
                "DELETE FROM stats_days s USING unnest($1::text[], $2::float8[]) AS k(d, t) "
                f"WHERE s.department = k.d AND s.day_start > k.t - {MAX_DAY} "
                "AND s.day_start <= k.t AND s.day_end > k.t",
                [d for d, _ in saved],
                [t for _, t in saved],
            )

    async def tickets(self, q: Query) -> list[TicketRow]:
        since = q.since or datetime(1970, 1, 1, tzinfo=UTC)
        until = q.until or datetime(9999, 1, 1, tzinfo=UTC)
        async with self._pool.acquire() as conn:
            if not q.user:
                rows = await conn.fetch(
                    "SELECT id, start_at, body FROM tickets WHERE start_at >= $1 "
                    "AND start_at < $2 ORDER BY start_at DESC LIMIT $3",
                    since,
                    until,
                    q.limit,
                )
                return [TicketRow(r["id"], r["start_at"], json.loads(r["body"])) for r in rows]
            # two index scans: the user's newest parties, then those tickets by their
            # primary key (the starts prune the partitions when the plan is made)
            keys = await conn.fetch(
                "SELECT ticket_id, start_at FROM parties WHERE ext = $1 AND start_at >= $2 "
                "AND start_at < $3 AND ($4 = '' OR role = $4) ORDER BY start_at DESC LIMIT $5",
                q.user,
                since,
                until,
                q.role,
                q.limit,
            )
            rows = await conn.fetch(
                "SELECT id, start_at, body FROM tickets "
                "WHERE start_at = ANY($1::timestamptz[]) AND id = ANY($2::text[])",
                sorted({k["start_at"] for k in keys}),
                [k["ticket_id"] for k in keys],
            )
        found = {(r["id"], r["start_at"]): r for r in rows}
        return [
            TicketRow(k["ticket_id"], k["start_at"], json.loads(found[key]["body"]))
            for k in keys
            if (key := (k["ticket_id"], k["start_at"])) in found
        ]

    async def report(self, by: str, month: str) -> list[ReportRow]:
        column = REPORT_KEYS[by]
        start, end = month_bounds(month)
        sql = (
            f"SELECT {column} AS key, department, cost_center, count(*) AS calls, "
            "count(*) FILTER (WHERE disposition = 'answered') AS answered, "
            "coalesce(sum(talk_seconds), 0) AS talk, coalesce(sum(price), 0) AS cost "
            "FROM tickets WHERE start_at >= $1 AND start_at < $2 AND payer != '' "
            f"GROUP BY {column}, department, cost_center ORDER BY 1, 2, 3"
        )
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(sql, start, end)
        return [
            ReportRow(
                r["key"] or "",
                r["department"] or "",
                r["cost_center"] or "",
                r["calls"],
                r["answered"],
                int(r["talk"]),
                f"{r['cost']:.4f}",
            )
            for r in rows
        ]

    async def day_summaries(
        self, department: str, days: Sequence[tuple[datetime, datetime]]
    ) -> list[DaySummary]:
        keys = day_keys(days)
        if not keys:
            return []
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT day_start, day_end, body FROM stats_days WHERE department = $1 "
                "AND day_start >= $2 AND day_start <= $3",
                department,
                *kept_span(keys),
            )
            out = from_kept(keys, {(r["day_start"], r["day_end"]): r["body"] for r in rows})
            for i in missing(out):
                out[i] = await _keep_day(conn, department, days[i])
        return complete(out)

    async def departments(self, since: datetime, until: datetime) -> list[str]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT coalesce(department, '') AS d FROM tickets "
                "WHERE start_at >= $1 AND start_at < $2 ORDER BY 1",
                since,
                until,
            )
        return [r["d"] for r in rows]

    async def past_calls(self, month: str) -> list[PastCall]:
        start, end = month_bounds(month)
        async with self._pool.acquire() as conn:
            old = await conn.fetch(PG_TO_BACKFILL, start, end)
            if old:
                await conn.executemany(
                    "UPDATE tickets SET speed_dial = $1, unanswered = $2 WHERE id = $3",
                    backfill_rows([(r[0], r[1]) for r in old]),
                )
            rows = await conn.fetch(PG_PAST_CALLS, start, end)
        return past_calls(tuple(r) for r in rows)

    async def call_details(self, refs: Sequence[object]) -> dict[object, CallDetails]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(PG_DETAILS, [str(r) for r in refs])
        return details(tuple(r) for r in rows)

    async def get_checkpoint(self, name: str) -> int:
        async with self._pool.acquire() as conn:
            value = await conn.fetchval("SELECT value FROM checkpoints WHERE name = $1", name)
        return int(value) if value is not None else 0

    async def set_checkpoint(self, name: str, value: int) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO checkpoints VALUES ($1, $2) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                name,
                value,
            )

    async def apply_retention(
        self, now: datetime, mask_months: int | None, delete_months: int | None, events_days: int
    ) -> int:
        changed = 0
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", STATS_LOCK)
            if delete_months is not None:
                cut = months_before(now, delete_months)
                await conn.execute("DELETE FROM parties WHERE start_at < $1", cut)
                await conn.execute("DELETE FROM stats_days WHERE day_start < $1", cut.timestamp())
                status = await conn.execute("DELETE FROM tickets WHERE start_at < $1", cut)
                changed += int(status.split()[-1])
            if mask_months is not None:
                cut = months_before(now, mask_months)
                rows = await conn.fetch(
                    "SELECT id, start_at, body FROM tickets WHERE start_at < $1 AND NOT masked",
                    cut,
                )
                for r in rows:
                    masked = mask_body(json.loads(r["body"]))
                    await conn.execute(
                        "UPDATE tickets SET body = $3::jsonb, caller = $4, called = $5, "
                        "masked = true WHERE id = $1 AND start_at = $2",
                        r["id"],
                        r["start_at"],
                        json.dumps(masked),
                        masked["caller"],
                        masked["called"],
                    )
                changed += len(rows)
            await conn.execute(
                "DELETE FROM cel_events e WHERE time < $1 AND EXISTS "
                "(SELECT 1 FROM tickets t WHERE t.id = e.linkedid)",
                now.timestamp() - events_days * 86400,
            )
        return changed

    async def close(self) -> None:
        """Close the connections; those still busy after 10 s are cut."""
        try:
            await asyncio.wait_for(self._pool.close(), 10)
        except TimeoutError:
            self._pool.terminate()


async def _keep_day(conn: Any, department: str, day: tuple[datetime, datetime]) -> DaySummary:
    """One missing day summed and kept, in a transaction of its own under the stats lock
    (exclusive; saves take it shared): no ticket of the day is saved between its sum
    and its keeping, and saves go on between two days of a long request."""
    start, end = day
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", STATS_LOCK)
        body = await conn.fetchval(
            "SELECT body FROM stats_days WHERE department = $1 AND day_start = $2 AND day_end = $3",
            department,
            start.timestamp(),
            end.timestamp(),
        )
        if body is not None:  # kept by another request meanwhile
            return DaySummary.from_json(body)
        summary, row = summed(department, day, *await _stat_groups(conn, department, start, end))
        await conn.execute(
            "INSERT INTO stats_days VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (department, day_start, day_end) DO UPDATE SET body = excluded.body",
            *row,
        )
    return summary


async def _stat_groups(
    conn: Any, department: str, since: datetime, until: datetime
) -> tuple[list[StatGroup], list[tuple[int, int]]]:
    """``department``'s tickets of [since, until) summed by direction, disposition and
    category, and counted per quarter hour (the index tickets_stats covers them)."""
    where = "FROM tickets WHERE start_at >= $1 AND start_at < $2 AND department = $3"
    rows = await conn.fetch(
        "SELECT direction, disposition, category, count(*) AS calls, "
        "coalesce(sum(talk_seconds), 0) AS talk, coalesce(sum(price), 0) AS cost "
        f"{where} GROUP BY 1, 2, 3",
        since,
        until,
        department,
    )
    quarters = await conn.fetch(
        f"SELECT floor(extract(epoch FROM start_at) / {BUCKET_SECONDS})::bigint AS q, "
        f"count(*) AS calls {where} GROUP BY 1",
        since,
        until,
        department,
    )
    groups = [
        StatGroup(
            r["direction"] or "",
            r["disposition"] or "",
            r["category"] or "",
            r["calls"],
            int(r["talk"]),
            Decimal(r["cost"]).quantize(Decimal("0.0001")),
        )
        for r in rows
    ]
    return groups, [(r["q"] * BUCKET_SECONDS, r["calls"]) for r in quarters]
