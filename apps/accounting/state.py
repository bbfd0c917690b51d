"""Where CEL events and tickets are kept: SQLite by default, PostgreSQL for a site.

Both backends hold the same three tables:

- ``cel_events``: every CEL event once (primary key ``event_id``), so feeding the
  same event twice (AMI and the backlog, or a replayed backlog) changes nothing;
- ``tickets``: one row per call (``id`` = linkedid) with the columns reports
  filter on and the whole ticket as JSON (``body``, docs/accounting.md);
- ``parties``: one row per user and call (``dialed``, ``received``, ``missed``),
  for a user's history without scanning every ticket;

plus ``checkpoints`` (how far the backlog was read).  PostgreSQL partitions
``tickets`` and ``parties`` by month of the call's start (state_pg.py).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from apps.accounting.cel import CelEvent
from apps.accounting.engine import Ticket
from apps.accounting.kept_days import (
    KeptRow,
    complete,
    day_keys,
    from_kept,
    kept_span,
    missing,
    summed,
    to_forget,
    touched,
    windows,
)
from apps.accounting.replay import (
    REPLAY_COLUMNS,
    SQLITE_DETAILS,
    SQLITE_PAST_CALLS,
    SQLITE_REPLAY_INDEX,
    SQLITE_TO_BACKFILL,
    SQLITE_UNFILLED_INDEX,
    backfill_rows,
    details,
    past_calls,
    replay_columns,
)
from apps.accounting.stats import BUCKET_SECONDS, DaySummary, StatGroup
from autocom.whatif.replay import CallDetails, PastCall

T = TypeVar("T")
UTC = ZoneInfo("UTC")
EVENT_FIELDS = tuple(CelEvent.__dataclass_fields__)
REPORT_KEYS = {"department": "department", "cost_center": "cost_center", "user": "payer"}


@dataclass(frozen=True)
class TicketRow:
    """A stored ticket: its JSON body and the columns searched on."""

    id: str
    start: datetime
    body: dict[str, object]


@dataclass(frozen=True)
class ReportRow:
    key: str
    department: str
    cost_center: str
    calls: int
    answered: int
    talk_seconds: int
    cost: str


@dataclass(frozen=True)
class Query:
    user: str = ""  # any party of the call
    role: str = ""  # dialed, received or missed (with user)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


def month_of(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m")


def months_between(since: datetime, until: datetime) -> list[str]:
    """The UTC months (YYYY-MM) that [since, until) touches."""
    first, last = since.astimezone(UTC), until.astimezone(UTC)
    months, n = [], first.year * 12 + first.month - 1
    while n <= last.year * 12 + last.month - 1:
        months.append(f"{n // 12:04d}-{n % 12 + 1:02d}")
        n += 1
    return months


def parties(ticket: Ticket) -> list[tuple[str, str]]:
    """(extension, role) of each user of the call: the caller dialed it; the called
    user (and whoever answered, after a forward) received or missed it."""
    out: list[tuple[str, str]] = []
    if ticket.caller_user:
        out.append((ticket.caller_user, "dialed"))
    answered = ticket.disposition == "answered"
    for ext in (ticket.called_user, ticket.answered_by):
        if ext and ext not in (e for e, _ in out) and ext.isdigit():
            out.append((ext, "received" if answered else "missed"))
    return out


def ticket_columns(ticket: Ticket) -> tuple[object, ...]:
    body = ticket.as_dict()
    return (
        ticket.id,
        ticket.start,
        ticket.caller,
        ticket.caller_user,
        ticket.called,
        ticket.called_user,
        ticket.answered_by,
        ticket.direction,
        ticket.disposition,
        ticket.category,
        ticket.payer,
        ticket.department,
        ticket.cost_center,
        ticket.talk_seconds,
        str(ticket.price),
        json.dumps(body, separators=(",", ":")),
    )


TICKET_COLUMNS = (
    "id, start_at, caller, caller_user, called, called_user, answered_by, direction, "
    "disposition, category, payer, department, cost_center, talk_seconds, price, body"
)


class TicketStore(Protocol):
    async def add_events(self, events: Sequence[CelEvent]) -> list[CelEvent]:
        """Store the events not stored yet; return those (the new ones)."""

    async def complete(self, linkedids: Iterable[str]) -> set[str]:
        """The linkedids among these whose LINKEDID_END is stored."""

    async def events_of(self, linkedid: str) -> list[CelEvent]: ...

    async def save_tickets(self, tickets: Sequence[Ticket]) -> None:
        """Insert or replace (by id) these tickets and their parties."""

    async def tickets(self, query: Query) -> list[TicketRow]: ...

    async def report(self, by: str, month: str) -> list[ReportRow]: ...

    async def day_summaries(
        self, department: str, days: Sequence[tuple[datetime, datetime]]
    ) -> list[DaySummary]:
        """``department``'s calls of each of these days (local [start, end)): kept in
        ``stats_days`` once summed, until a ticket of that department and day is saved."""

    async def departments(self, since: datetime, until: datetime) -> list[str]:
        """The departments of the tickets started in [since, until), sorted."""

    async def past_calls(self, month: str) -> list[PastCall]:
        """Every call of ``month`` (UTC, YYYY-MM) as a what-if replays it."""

    async def call_details(self, refs: Sequence[object]) -> dict[object, CallDetails]:
        """The details of these past calls (PastCall.ref), for a what-if's report."""

    async def get_checkpoint(self, name: str) -> int: ...

    async def set_checkpoint(self, name: str, value: int) -> None: ...

    async def apply_retention(
        self, now: datetime, mask_months: int | None, delete_months: int | None, events_days: int
    ) -> int: ...

    async def close(self) -> None: ...


def months_before(now: datetime, months: int) -> datetime:
    """The same day-of-month ``months`` earlier (the 28th at most), in UTC."""
    total = now.year * 12 + now.month - 1 - months
    return now.astimezone(UTC).replace(year=total // 12, month=total % 12 + 1, day=min(now.day, 28))


def mask_number(number: str) -> str:
    """An external number with all but its last 4 digits replaced by x."""
    return "x" * max(len(number) - 4, 0) + number[-4:]


SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS cel_events (
    event_id TEXT PRIMARY KEY, linkedid TEXT NOT NULL, type TEXT NOT NULL,
    time REAL NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cel_events_linkedid ON cel_events (linkedid);
CREATE INDEX IF NOT EXISTS cel_events_time ON cel_events (time);
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY, start_at REAL NOT NULL, caller TEXT, caller_user TEXT,
    called TEXT, called_user TEXT, answered_by TEXT, direction TEXT, disposition TEXT,
    category TEXT, payer TEXT, department TEXT, cost_center TEXT, talk_seconds INTEGER,
    price TEXT, body TEXT NOT NULL, month TEXT NOT NULL, masked INTEGER NOT NULL DEFAULT 0,
    speed_dial TEXT, unanswered TEXT
);
CREATE INDEX IF NOT EXISTS tickets_month ON tickets (month, department, cost_center);
CREATE INDEX IF NOT EXISTS tickets_start ON tickets (start_at);
CREATE INDEX IF NOT EXISTS tickets_stats ON tickets
    (department, start_at, direction, disposition, category, talk_seconds, price);
CREATE TABLE IF NOT EXISTS parties (
    ext TEXT NOT NULL, start_at REAL NOT NULL, ticket_id TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (ext, start_at, ticket_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS parties_ticket ON parties (ticket_id);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS stats_days (
    department TEXT NOT NULL, day_start REAL NOT NULL, day_end REAL NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (department, day_start, day_end)
) WITHOUT ROWID;
"""
# the department and start of the stored tickets of these ids (a JSON list)
SAVED_BEFORE = (
    "SELECT department, start_at FROM tickets WHERE id IN (SELECT value FROM json_each(?))"
)
# the kept days in windows (department, low, high) of kept_days.windows (a JSON list)
KEPT_NEAR = (
    "SELECT s.department, s.day_start, s.day_end FROM json_each(?) w JOIN stats_days s "
    "ON s.department = json_extract(w.value, '$[0]') "
    "AND s.day_start > json_extract(w.value, '$[1]') "
    "AND s.day_start <= json_extract(w.value, '$[2]')"
)


def event_json(event: CelEvent) -> str:
    return json.dumps([getattr(event, f) for f in EVENT_FIELDS], separators=(",", ":"))


def event_from_json(text: str) -> CelEvent:
    return CelEvent(*json.loads(text))


class SqliteTicketStore:
    """One SQLite file, WAL; every call runs in one worker thread owning the connection
    (so a day's statistics are summed and kept with no ticket saved meanwhile)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="accounting-db")
        self._path = path
        self._db: sqlite3.Connection | None = None

    async def open(self) -> SqliteTicketStore:
        await self._run(self._connect)
        return self

    def _connect(self) -> None:
        db = sqlite3.connect(self._path, timeout=10, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SQLITE_SCHEMA)
        have = {row[1] for row in db.execute("PRAGMA table_info(tickets)")}
        for column in REPLAY_COLUMNS:  # a store made before `autocom simulate` (replay.py)
            if column not in have:
                db.execute(f"ALTER TABLE tickets ADD COLUMN {column} TEXT")
        self._db = db

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("ticket store is closed")
        return self._db

    async def add_events(self, events: Sequence[CelEvent]) -> list[CelEvent]:
        return await self._run(self._add_events, events)

    def _add_events(self, events: Sequence[CelEvent]) -> list[CelEvent]:
        unique = list({e.event_id: e for e in events}.values())
        known: set[str] = set()
        for i in range(0, len(unique), 500):
            chunk = [e.event_id for e in unique[i : i + 500]]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT event_id FROM cel_events WHERE event_id IN ({marks})"
            known.update(r[0] for r in self.db.execute(sql, chunk))
        new = [e for e in unique if e.event_id not in known]
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO cel_events VALUES (?, ?, ?, ?, ?)",
                [(e.event_id, e.linkedid, e.type, e.time, event_json(e)) for e in new],
            )
        return new

    async def complete(self, linkedids: Iterable[str]) -> set[str]:
        ids = sorted(set(linkedids))
        return await self._run(self._complete, ids)

    def _complete(self, ids: list[str]) -> set[str]:
        done: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT DISTINCT linkedid FROM cel_events WHERE type = 'LINKEDID_END' "
                f"AND linkedid IN ({marks})"
            )
            done.update(r[0] for r in self.db.execute(sql, chunk))
        return done

    async def events_of(self, linkedid: str) -> list[CelEvent]:
        rows = await self._run(
            lambda: self.db.execute(
                "SELECT body FROM cel_events WHERE linkedid = ? ORDER BY time", (linkedid,)
            ).fetchall()
        )
        return [event_from_json(r[0]) for r in rows]

    async def save_tickets(self, tickets: Sequence[Ticket]) -> None:
        await self._run(self._save_tickets, tickets)

    def _save_tickets(self, tickets: Sequence[Ticket]) -> None:
        ids = json.dumps([t.id for t in tickets])
        with self.db:
            self.db.execute("BEGIN")
            old = self.db.execute(SAVED_BEFORE, (ids,)).fetchall()
            self._forget_days(touched(((t.department, t.start) for t in tickets), old))
            for t in tickets:
                self.db.execute("DELETE FROM parties WHERE ticket_id = ?", (t.id,))
                self.db.execute(
                    f"INSERT OR REPLACE INTO tickets ({TICKET_COLUMNS}, month, "
                    f"{', '.join(REPLAY_COLUMNS)}) VALUES ({','.join('?' * 19)})",
                    (*ticket_columns(t), month_of(t.start), *replay_columns(t)),
                )
                self.db.executemany(
                    "INSERT OR REPLACE INTO parties VALUES (?, ?, ?, ?)",
                    [(ext, t.start, t.id, role) for ext, role in parties(t)],
                )

    def _forget_days(self, starts: set[tuple[str, float]]) -> None:
        """Forget the kept days these (department, start) fall in: one read of the
        kept days around them, then those days deleted by their key."""
        near = json.dumps(windows(starts))
        kept = [(r[0], r[1], r[2]) for r in self.db.execute(KEPT_NEAR, (near,))]
        self.db.executemany(
            "DELETE FROM stats_days WHERE department = ? AND day_start = ? AND day_end = ?",
            to_forget(kept, starts),
        )

    async def tickets(self, query: Query) -> list[TicketRow]:
        return await self._run(self._tickets, query)

    def _tickets(self, q: Query) -> list[TicketRow]:
        since = q.since.timestamp() if q.since else 0.0
        until = q.until.timestamp() if q.until else 1e12
        if q.user:
            sql = (
                "SELECT t.id, t.start_at, t.body FROM parties p "
                "JOIN tickets t ON t.id = p.ticket_id "
                "WHERE p.ext = ? AND p.start_at >= ? AND p.start_at < ? "
                + ("AND p.role = ? " if q.role else "")
                + "ORDER BY p.start_at DESC LIMIT ?"
            )
            args: tuple[object, ...] = (
                q.user,
                since,
                until,
                *([q.role] if q.role else []),
                q.limit,
            )
        else:
            sql = (
                "SELECT id, start_at, body FROM tickets WHERE start_at >= ? AND start_at < ? "
                "ORDER BY start_at DESC LIMIT ?"
            )
            args = (since, until, q.limit)
        return [
            TicketRow(r[0], datetime.fromtimestamp(r[1], UTC), json.loads(r[2]))
            for r in self.db.execute(sql, args)
        ]

    async def report(self, by: str, month: str) -> list[ReportRow]:
        column = REPORT_KEYS[by]
        return await self._run(self._report, column, month)

    def _report(self, column: str, month: str) -> list[ReportRow]:
        sql = (
            f"SELECT {column}, department, cost_center, COUNT(*), "
            "SUM(disposition = 'answered'), SUM(talk_seconds), SUM(CAST(price AS REAL)) "
            f"FROM tickets WHERE month = ? AND payer != '' GROUP BY {column}, department, "
            f"cost_center ORDER BY {column}, department, cost_center"
        )
        return [
            ReportRow(
                r[0] or "", r[1] or "", r[2] or "", r[3], r[4] or 0, r[5] or 0, f"{r[6] or 0:.4f}"
            )
            for r in self.db.execute(sql, (month,))
        ]

    async def day_summaries(
        self, department: str, days: Sequence[tuple[datetime, datetime]]
    ) -> list[DaySummary]:
        return await self._run(self._day_summaries, department, days)

    def _day_summaries(
        self, department: str, days: Sequence[tuple[datetime, datetime]]
    ) -> list[DaySummary]:
        keys = day_keys(days)
        if not keys:
            return []
        sql = (
            "SELECT day_start, day_end, body FROM stats_days WHERE department = ? "
            "AND day_start >= ? AND day_start <= ?"
        )
        rows = self.db.execute(sql, (department, *kept_span(keys)))
        out = from_kept(keys, {(r[0], r[1]): r[2] for r in rows})
        new: list[KeptRow] = []
        for i in missing(out):
            out[i], row = summed(department, days[i], *_stat_groups(self.db, department, *days[i]))
            new.append(row)
        if new:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT OR REPLACE INTO stats_days VALUES (?, ?, ?, ?)", new)
        return complete(out)

    async def departments(self, since: datetime, until: datetime) -> list[str]:
        return await self._run(_departments, self.db, since, until)

    async def past_calls(self, month: str) -> list[PastCall]:
        return await self._run(self._past_calls, month)

    def _past_calls(self, month: str) -> list[PastCall]:
        # built by the first replay, not at open: on a large store it takes a while
        # (about 4 s per million tickets) and a start must not wait for it
        self.db.execute(SQLITE_REPLAY_INDEX)
        self.db.execute(SQLITE_UNFILLED_INDEX)
        old = self.db.execute(SQLITE_TO_BACKFILL, (month,)).fetchall()
        if old:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany(
                    "UPDATE tickets SET speed_dial = ?, unanswered = ? WHERE id = ?",
                    backfill_rows(old),
                )
        return past_calls(self.db.execute(SQLITE_PAST_CALLS, (month,)))

    async def call_details(self, refs: Sequence[object]) -> dict[object, CallDetails]:
        return await self._run(self._call_details, list(refs))

    def _call_details(self, refs: list[object]) -> dict[object, CallDetails]:
        return details(self.db.execute(SQLITE_DETAILS, (json.dumps(refs),)))

    async def get_checkpoint(self, name: str) -> int:
        row = await self._run(
            lambda: self.db.execute(
                "SELECT value FROM checkpoints WHERE name = ?", (name,)
            ).fetchone()
        )
        return int(row[0]) if row else 0

    async def set_checkpoint(self, name: str, value: int) -> None:
        await self._run(
            lambda: self.db.execute(
                "INSERT OR REPLACE INTO checkpoints VALUES (?, ?)", (name, value)
            )
        )

    async def apply_retention(
        self, now: datetime, mask_months: int | None, delete_months: int | None, events_days: int
    ) -> int:
        return await self._run(self._retention, now, mask_months, delete_months, events_days)

    def _retention(
        self, now: datetime, mask_months: int | None, delete_months: int | None, events_days: int
    ) -> int:
        changed = 0
        with self.db:
            self.db.execute("BEGIN")
            if delete_months is not None:
                cut = months_before(now, delete_months).timestamp()
                self.db.execute("DELETE FROM parties WHERE start_at < ?", (cut,))
                self.db.execute("DELETE FROM stats_days WHERE day_start < ?", (cut,))
                changed += self.db.execute(
                    "DELETE FROM tickets WHERE start_at < ?", (cut,)
                ).rowcount
            if mask_months is not None:
                cut = months_before(now, mask_months).timestamp()
                rows = self.db.execute(
                    "SELECT id, body FROM tickets WHERE start_at < ? AND masked = 0", (cut,)
                ).fetchall()
                for ticket_id, body in rows:
                    masked = mask_body(json.loads(body))
                    self.db.execute(
                        "UPDATE tickets SET body = ?, caller = ?, called = ?, masked = 1 "
                        "WHERE id = ?",
                        (
                            json.dumps(masked, separators=(",", ":")),
                            masked["caller"],
                            masked["called"],
                            ticket_id,
                        ),
                    )
                    changed += 1
            cut_events = now.timestamp() - events_days * 86400
            self.db.execute(
                "DELETE FROM cel_events WHERE time < ? AND linkedid IN (SELECT id FROM tickets)",
                (cut_events,),
            )
        return changed

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await self._run(db.close)
        self._pool.shutdown(wait=False)


def _stat_groups(
    db: sqlite3.Connection, department: str, since: datetime, until: datetime
) -> tuple[list[StatGroup], list[tuple[int, int]]]:
    # tickets_stats covers these columns: the department's rows only, no ticket read
    where = "FROM tickets WHERE department = ? AND start_at >= ? AND start_at < ?"
    args = (department, since.timestamp(), until.timestamp())
    groups = [
        StatGroup(r[0] or "", r[1] or "", r[2] or "", r[3], r[4] or 0, Decimal(f"{r[5] or 0:.4f}"))
        for r in db.execute(
            "SELECT direction, disposition, category, COUNT(*), SUM(talk_seconds), "
            f"SUM(CAST(price AS REAL)) {where} GROUP BY 1, 2, 3",
            args,
        )
    ]
    sql = f"SELECT CAST(start_at / {BUCKET_SECONDS} AS INTEGER), COUNT(*) {where} GROUP BY 1"
    buckets = [(r[0] * BUCKET_SECONDS, r[1]) for r in db.execute(sql, args)]
    return groups, buckets


def _departments(db: sqlite3.Connection, since: datetime, until: datetime) -> list[str]:
    months = months_between(since, until)
    marks = ",".join("?" * len(months))
    sql = (
        f"SELECT DISTINCT department FROM tickets WHERE month IN ({marks}) "
        "AND start_at >= ? AND start_at < ? ORDER BY 1"
    )
    args = (*months, since.timestamp(), until.timestamp())
    return [r[0] or "" for r in db.execute(sql, args)]


def mask_body(body: dict[str, object]) -> dict[str, object]:
    """The ticket with its external numbers masked: the caller when no user of the
    site, the called number when no user, legs to trunks; the rest is kept."""
    out = dict(body)
    if not out.get("caller_user"):
        out["caller"] = mask_number(str(out.get("caller", "")))
        out["caller_name"] = ""
    if not out.get("called_user"):
        out["called"] = mask_number(str(out.get("called", "")))
    legs = out.get("legs")
    if isinstance(legs, list):
        out["legs"] = [
            {**leg, "target": mask_number(str(leg.get("target", "")))}
            if isinstance(leg, dict) and leg.get("kind") == "trunk"
            else leg
            for leg in legs
        ]
    forwards = out.get("forwards")
    if isinstance(forwards, list):
        out["forwards"] = [
            {**f, "to": mask_number(str(f.get("to", "")))}
            if isinstance(f, dict) and len(str(f.get("to", ""))) > 6
            else f
            for f in forwards
        ]
    out["masked"] = True
    return out
