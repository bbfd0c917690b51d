"""What only the SQLite backend shows: durability, sharing the file, locks, purge."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from autocom.store.base import StoreUnavailable
from autocom.store.sqlite_store import SqliteStore

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def writer(path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.store.sqlite_writer", str(path), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def raw_rows(path: Path) -> int:
    with contextlib_closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT count(*) FROM state").fetchone()[0])


@contextmanager
def contextlib_closing(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Another process's view: a connection holding the write lock."""
    with contextlib_closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")


async def test_open_creates_folder_and_file_in_wal_full(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "state.sqlite"
    store = await SqliteStore.open(path, op_timeout=2)
    try:
        assert path.is_file()
        with contextlib_closing(sqlite3.connect(path)) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            columns = [row[1] for row in conn.execute("PRAGMA table_info(state)")]
        assert columns == ["namespace", "key", "value", "expires_at"]
        synchronous = await store._run(
            "pragma", lambda c: c.execute("PRAGMA synchronous").fetchone()
        )
        assert synchronous[0] == 2  # FULL
    finally:
        await store.close()


async def test_write_that_returned_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    proc = writer(path, "one")
    try:
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        assert line.strip() == "written", proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)  # reaps it and closes the pipes
    assert proc.returncode == -signal.SIGKILL
    store = await SqliteStore.open(path, op_timeout=2)
    try:
        assert await store.get("durable", "key") == "written"
    finally:
        await store.close()


async def test_every_acknowledged_write_survives_kill_9_mid_stream(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    proc = writer(path, "stream")
    acknowledged: list[int] = []
    try:
        assert proc.stdout is not None
        while len(acknowledged) < 200:
            line = await asyncio.to_thread(proc.stdout.readline)
            assert line, proc.stderr.read() if proc.stderr else ""
            acknowledged.append(int(line))
    finally:
        proc.send_signal(signal.SIGKILL)  # while it is writing the next ones
        proc.communicate(timeout=10)
    store = await SqliteStore.open(path, op_timeout=2)
    try:
        found = await store.items("stream")
        assert all(found.get(str(i)) == str(i) for i in acknowledged)
        assert len(found) >= len(acknowledged)
    finally:
        await store.close()


async def test_several_processes_share_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = await SqliteStore.open(path, op_timeout=5)
    try:
        procs = [writer(path, "bulk", tag, "150") for tag in ("p1", "p2", "p3")]
        for i in range(150):  # this process writes too, at the same time
            await store.set("bulk", f"me-{i}", str(i))
        for proc in procs:
            out, err = await asyncio.to_thread(proc.communicate, None, 60)
            assert proc.returncode == 0, err
            assert out.strip() == "done"
        found = await store.items("bulk")
        assert len(found) == 600
        for tag in ("p1", "p2", "p3", "me"):
            assert all(found[f"{tag}-{i}"] == str(i) for i in range(150))
    finally:
        await store.close()


async def test_several_processes_incr_one_counter_and_lose_none(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = await SqliteStore.open(path, op_timeout=5)
    try:
        await store.set("count", "warm", "0")  # the file exists before they start
        procs = [writer(path, "count", "100") for _ in range(3)]
        mine = [await store.incr("count", "shared", ttl=600) for _ in range(100)]
        got = list(mine)
        for proc in procs:
            out, err = await asyncio.to_thread(proc.communicate, None, 60)
            assert proc.returncode == 0, err
            got += [int(n) for n in out.split()]
        assert sorted(got) == list(range(1, 401))  # each count handed out once
        assert await store.get("count", "shared") == "400"
    finally:
        await store.close()


async def test_two_stores_on_one_file_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    one = await SqliteStore.open(path, op_timeout=2)
    two = await SqliteStore.open(path, op_timeout=2)
    try:
        await one.set("forwards", "1001", "0612345670")
        assert await two.get("forwards", "1001") == "0612345670"
        assert await two.delete("forwards", "1001") is True
        assert await one.get("forwards", "1001") is None
    finally:
        await one.close()
        await two.close()


async def test_locked_file_gives_unavailable_without_blocking_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = await SqliteStore.open(path, op_timeout=0.5)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await store.set("ns", "before", "1")
        with write_lock(path):
            assert await store.get("ns", "before") == "1"  # WAL: readers are not blocked
            started = time.monotonic()
            with pytest.raises(StoreUnavailable, match=r"state\.sqlite"):
                await store.set("ns", "during", "2")
            elapsed = time.monotonic() - started
            assert 0.4 < elapsed < 1.5
            assert ticks >= 20  # the loop kept running while the worker waited
            with pytest.raises(StoreUnavailable):
                await store.delete("ns", "before")
        await store.set("ns", "after", "3")
        assert await store.get("ns", "after") == "3"
        # "unavailable" meant "not written": the worker gave up before the lock was free
        assert await store.get("ns", "before") == "1"
        assert await store.get("ns", "during") is None
    finally:
        task.cancel()
        await store.close()


async def test_queue_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = await SqliteStore.open(path, op_timeout=0.5, max_pending=3)
    try:
        with write_lock(path):
            results = await asyncio.gather(
                *(store.set("ns", str(i), "v") for i in range(6)), return_exceptions=True
            )
        assert all(isinstance(r, StoreUnavailable) for r in results)
        assert sum("already waiting" in str(r) for r in results) == 3
        await store.set("ns", "ok", "v")
        assert await store.items("ns") == {"ok": "v"}
    finally:
        await store.close()


async def test_expired_rows_are_purged_lazily(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = await SqliteStore.open(path, op_timeout=2, purge_interval=0.2)
    try:
        await store.set("cache", "a", "1", ttl=0.05)
        await store.set("cache", "b", "2", ttl=0.05)
        await store.set("cache", "keep", "3")
        await asyncio.sleep(0.1)
        assert await store.items("cache") == {"keep": "3"}
        assert raw_rows(path) == 3  # invisible, not yet deleted
        await asyncio.sleep(0.15)
        await store.set("other", "x", "y")  # a write past purge_interval purges
        assert raw_rows(path) == 2
    finally:
        await store.close()


async def test_expired_rows_are_purged_on_open(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = await SqliteStore.open(path, op_timeout=2)
    await store.set("cache", "a", "1", ttl=0.05)
    await store.set("cache", "keep", "2")
    await store.close()
    await asyncio.sleep(0.1)
    assert raw_rows(path) == 2
    store = await SqliteStore.open(path, op_timeout=2)
    try:
        assert raw_rows(path) == 1
        assert await store.items("cache") == {"keep": "2"}
    finally:
        await store.close()


async def test_delete_of_an_expired_row_removes_it_and_reports_false(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = await SqliteStore.open(path, op_timeout=2, purge_interval=3600)
    try:
        await store.set("cache", "gone", "1", ttl=0.05)
        await store.set("cache", "live", "2", ttl=60)
        await asyncio.sleep(0.1)
        assert raw_rows(path) == 2
        assert await store.delete("cache", "gone") is False
        assert raw_rows(path) == 1
        assert await store.delete("cache", "live") is True
        assert raw_rows(path) == 0
        assert await store.delete("cache", "live") is False
    finally:
        await store.close()


async def test_unopenable_paths_give_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailable, match="cannot open"):
        await SqliteStore.open(blocker / "state.sqlite", op_timeout=1)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database file " * 100)
    with pytest.raises(StoreUnavailable, match=r"garbage\.sqlite"):
        await SqliteStore.open(garbage, op_timeout=1)
