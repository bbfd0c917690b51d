"""The embedded state store: one SQLite file, durable writes, never blocking the loop.

- WAL journal with ``synchronous=FULL``: a ``set``/``incr``/``delete`` that returned was
  committed and fsynced, so it survives ``kill -9`` and a power cut.
- One table ``state(namespace, key, value, expires_at)``; ``expires_at`` is a
  Unix time (wall clock, so every process sharing the file agrees).  Expired rows
  are invisible at once and deleted lazily (on open, then by a write at most once
  every ``purge_interval`` seconds).
- All sqlite3 calls run in one dedicated worker thread that owns the connection;
  the event loop only awaits.  Several processes may share the file: a writer
  waits for the lock up to ``busy_timeout`` (= the store's timeout).
- Every operation is bounded by ``timeout``: past it, or when the file is locked
  or unreadable, the caller gets ``StoreUnavailable`` and can take its safe path.
  A write that timed out may still have been applied (its outcome is unknown);
  one still waiting in the queue is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from autocom.store.base import (
    StoreClosed,
    StoreUnavailable,
    check_args,
    check_entry,
    check_key,
    check_text,
    next_count,
)

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at REAL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID
"""
SCHEMA_EXPIRY_INDEX = (
    "CREATE INDEX IF NOT EXISTS state_expires_at ON state (expires_at) WHERE expires_at IS NOT NULL"
)
LIVE = "(expires_at IS NULL OR expires_at > ?)"
PROGRESS_STEPS = 20_000  # SQLite VM steps between two deadline checks


def _prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string above every string that starts with prefix, if one is handy.

    SQLite compares TEXT as UTF-8 bytes, which orders like code points, so
    ``prefix <= key < bound`` selects exactly the keys starting with prefix.
    """
    if not prefix:
        return None
    last = ord(prefix[-1])
    if last >= 0x10FFFF or 0xD7FF <= last <= 0xDFFF:
        return None  # no next code point that UTF-8 can hold: filter with substr only
    return prefix[:-1] + chr(last + 1)


class SqliteStore:
    """A StateStore on one SQLite file; open it with ``await SqliteStore.open(path)``."""

    def __init__(
        self,
        path: Path,
        timeout: float,
        executor: ThreadPoolExecutor,
        connection: sqlite3.Connection,
        *,
        purge_interval: float,
        max_pending: int,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.purge_interval = purge_interval
        self.max_pending = max_pending
        self._executor = executor
        self._conn = connection  # used only from the executor's single thread
        self._next_purge = time.time() + purge_interval
        self._pending = 0
        self._closed = False

    @classmethod
    async def open(
        cls,
        path: str | Path,
        op_timeout: float = 1.0,
        *,
        purge_interval: float = 60.0,
        max_pending: int = 10_000,
    ) -> SqliteStore:
        """Create the folder and the file if needed, set WAL/FULL, create the table.

        ``op_timeout`` (seconds) bounds every later operation and the wait for a
        lock held by another process.  Raises StoreUnavailable if the file cannot
        be opened (an unwritable folder, a corrupt file, a lock held too long).
        """
        path = Path(path)
        timeout = op_timeout
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{path.name}")
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(executor, _connect, path, timeout)
        try:
            connection = await asyncio.wait_for(future, timeout * 5)
        except (sqlite3.Error, OSError) as exc:
            executor.shutdown(wait=False)
            raise StoreUnavailable(f"sqlite store {path}: cannot open: {exc}") from exc
        except TimeoutError:
            executor.shutdown(wait=False)
            raise StoreUnavailable(
                f"sqlite store {path}: not opened within {timeout * 5:g}s (locked by another"
                " process or a stuck disk?)"
            ) from None
        return cls(
            path,
            timeout,
            executor,
            connection,
            purge_interval=purge_interval,
            max_pending=max_pending,
        )

    # --- the StateStore operations -------------------------------------------------

    async def get(self, namespace: str, key: str) -> str | None:
        check_key(namespace, key)

        def op(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                f"SELECT value FROM state WHERE namespace = ? AND key = ? AND {LIVE}",
                (namespace, key, time.time()),
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._run("get", op)

    async def set(self, namespace: str, key: str, value: str, ttl: float | None = None) -> None:
        check_entry(namespace, key, value, ttl)

        def op(conn: sqlite3.Connection) -> None:
            now = time.time()
            expires_at = None if ttl is None else now + ttl
            conn.execute(
                "INSERT INTO state (namespace, key, value, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (namespace, key) DO UPDATE"
                " SET value = excluded.value, expires_at = excluded.expires_at",
                (namespace, key, value, expires_at),
            )
            if now >= self._next_purge:
                self._next_purge = now + self.purge_interval
                # the value is committed: a purge cut short (deadline) is retried later
                with contextlib.suppress(sqlite3.OperationalError):
                    _purge(conn, now)

        await self._run("set", op)

    async def incr(self, namespace: str, key: str, ttl: float | None = None) -> int:
        """One ``BEGIN IMMEDIATE`` transaction: read, add 1, write, commit (fsynced).

        IMMEDIATE takes the write lock before reading, so two processes sharing
        the file never both read the same count (a plain BEGIN would let both
        read, then fail one on the upgrade to a write lock).
        """
        check_args(namespace, ttl)
        check_text("key", key)

        def op(conn: sqlite3.Connection) -> int:
            conn.execute("BEGIN IMMEDIATE")
            try:
                now = time.time()
                row = conn.execute(
                    "SELECT value, expires_at FROM state"
                    f" WHERE namespace = ? AND key = ? AND {LIVE}",
                    (namespace, key, now),
                ).fetchone()
                count = next_count(namespace, key, None if row is None else str(row[0]))
                # the ttl counts from the creation of the key: an existing row keeps its own
                created = None if ttl is None else now + ttl
                expires_at = created if row is None else row[1]
                conn.execute(
                    "INSERT INTO state (namespace, key, value, expires_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (namespace, key) DO UPDATE"
                    " SET value = excluded.value, expires_at = excluded.expires_at",
                    (namespace, key, str(count), expires_at),
                )
                conn.execute("COMMIT")
            except BaseException:
                # not cut short by the deadline handler: the transaction must end here
                conn.set_progress_handler(None, 0)
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise
            return count

        return await self._run("incr", op)

    async def delete(self, namespace: str, key: str) -> bool:
        check_key(namespace, key)

        def op(conn: sqlite3.Connection) -> bool:
            now = time.time()
            # fetchall: the statement runs to its end, so it commits before returning
            rows = conn.execute(
                "DELETE FROM state WHERE namespace = ? AND key = ? RETURNING expires_at",
                (namespace, key),
            ).fetchall()
            # an expired row is removed too, but it did not "exist"
            return any(expires_at is None or expires_at > now for (expires_at,) in rows)

        return await self._run("delete", op)

    async def items(self, namespace: str, prefix: str = "") -> dict[str, str]:
        check_key(namespace, prefix, "prefix")

        def op(conn: sqlite3.Connection) -> dict[str, str]:
            sql = f"SELECT key, value FROM state WHERE namespace = ? AND {LIVE}"
            params: list[object] = [namespace, time.time()]
            if prefix:
                # compared as bytes: SQLite's text functions stop at a NUL character
                raw = prefix.encode("utf-8")
                sql += " AND key >= ? AND substr(CAST(key AS BLOB), 1, ?) = ?"
                params += [prefix, len(raw), raw]
                upper = _prefix_upper_bound(prefix)
                if upper is not None:
                    sql += " AND key < ?"
                    params.append(upper)
            return {str(k): str(v) for k, v in conn.execute(sql, params)}

        return await self._run("items", op)

    async def ping(self) -> bool:
        try:
            await self._run("ping", lambda conn: conn.execute("SELECT 1").fetchone())
        except (StoreUnavailable, StoreClosed):
            return False
        return True

    async def close(self) -> None:
        """Close the connection (after the queued operations) and stop the thread."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        # nothing to lose on failure: every write that returned was already committed
        with contextlib.suppress(sqlite3.Error, TimeoutError):
            await asyncio.wait_for(loop.run_in_executor(self._executor, self._conn.close), 10)
        self._executor.shutdown(wait=False)

    # --- plumbing ----------------------------------------------------------------------

    async def _run(self, what: str, op: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``op`` in the worker thread within the store's timeout.

        The worker enforces the deadline itself (it does not start a job whose
        caller gave up, waits for a lock only until the deadline, and interrupts
        a statement running past it), a little before the loop's own timeout, so
        that "unavailable" means "not written" except when the disk itself hangs.
        """
        if self._closed:
            raise StoreClosed(f"sqlite store {self.path} is closed")
        if self._pending >= self.max_pending:
            raise StoreUnavailable(
                f"sqlite store {self.path}: {self._pending} operations already waiting"
            )
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + self.timeout - min(0.05, self.timeout / 10)
        self._pending += 1
        try:
            future = loop.run_in_executor(self._executor, _within, deadline, op, self._conn)
            return await asyncio.wait_for(future, self.timeout)
        except (TimeoutError, _Expired):
            raise StoreUnavailable(
                f"sqlite store {self.path}: {what} took more than {self.timeout:g}s"
                " (file locked by another process or a slow disk?)"
            ) from None
        except sqlite3.DatabaseError as exc:  # locked, interrupted, read-only, full, corrupt, I/O
            raise StoreUnavailable(f"sqlite store {self.path}: {what} failed: {exc}") from exc
        finally:
            self._pending -= 1


class _Expired(Exception):
    """The job's caller had already given up when the worker reached it."""


def _within(deadline: float, op: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    """Runs in the worker thread: ``op`` bounded by ``deadline`` (time.monotonic)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Expired
    conn.execute(f"PRAGMA busy_timeout = {max(1, int(remaining * 1000))}")
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)
    try:
        return op(conn)
    finally:
        conn.set_progress_handler(None, 0)


def _connect(path: Path, timeout: float) -> sqlite3.Connection:
    """Runs in the worker thread: open, configure, create the schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"cannot switch {path} to WAL (journal_mode={mode})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(SCHEMA)
        conn.execute(SCHEMA_EXPIRY_INDEX)
        _purge(conn, time.time())
    except BaseException:
        conn.close()
        raise
    return conn


def _purge(conn: sqlite3.Connection, now: float) -> None:
    conn.execute("DELETE FROM state WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,))
