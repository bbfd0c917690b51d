"""Catch-up from a backlog file in cel_sqlite3_custom's layout: checkpoint, duplicates,
rotation, unreadable rows."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from apps.accounting.cel import BACKLOG_FIELDS, CelEvent
from apps.accounting.collector import BACKLOG_CHECKPOINT, Collector
from apps.accounting.state import Query, SqliteTicketStore
from tests.integration.accounting.test_http import write_backlog
from tests.unit.accounting.samples import FACTS, answered_call

pytestmark = pytest.mark.integration


def row(e: CelEvent) -> tuple[str, ...]:
    values = {
        "eventtype": e.type, "eventtime": f"{e.time:.6f}", "name": e.cid_name, "num": e.cid_num,
        "dnid": e.cid_dnid, "rdnis": e.cid_rdnis, "context": e.context, "exten": e.exten,
        "channame": e.channel, "appname": e.app, "appdata": e.appdata, "uniqueid": e.uniqueid,
        "linkedid": e.linkedid, "userfield": e.userfield, "peer": e.peer, "eventextra": e.extra,
    }  # fmt: skip
    return tuple(values.get(c, "") for c in BACKLOG_FIELDS)


def append(path: Path, rows: list[tuple[str, ...]]) -> None:
    db = sqlite3.connect(path)
    marks = ", ".join("?" * len(BACKLOG_FIELDS))
    db.executemany(f"INSERT INTO cel ({', '.join(BACKLOG_FIELDS)}) VALUES ({marks})", rows)
    db.commit()
    db.close()


@pytest.fixture
async def collector(tmp_path: Path) -> AsyncIterator[Collector]:
    store = await SqliteTicketStore(tmp_path / "calls.sqlite").open()
    yield Collector(store, lambda: FACTS, lambda: ())
    await store.close()


async def test_catch_up_checkpoint_duplicates_rotation(
    collector: Collector, tmp_path: Path
) -> None:
    backlog = tmp_path / "cel.sqlite.db"
    write_backlog(backlog)
    events = answered_call()
    append(backlog, [row(e) for e in events[:8]])
    assert await collector.catch_up(backlog) == 8
    assert await collector.store.tickets(Query()) == []  # not ended yet
    append(backlog, [row(e) for e in events[8:]] + [("bad",) * len(BACKLOG_FIELDS)])
    assert await collector.catch_up(backlog) == len(events) - 8
    assert collector.bad_events == 1
    assert await collector.store.get_checkpoint(BACKLOG_CHECKPOINT) == len(events) + 1
    assert await collector.catch_up(backlog) == 0  # nothing new after the checkpoint
    # rotated: a new file holding the same call again
    backlog.unlink()
    write_backlog(backlog)
    append(backlog, [row(e) for e in events])
    assert await collector.catch_up(backlog) == len(events)  # read again, all known
    tickets = await collector.store.tickets(Query())
    assert [t.id for t in tickets] == ["L.10"]
    assert collector.events_stored == len(events)


async def test_missing_backlog(collector: Collector, tmp_path: Path) -> None:
    assert await collector.catch_up(tmp_path / "none.db") == 0
