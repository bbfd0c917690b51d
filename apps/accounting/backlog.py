"""Read the CEL backlog Asterisk writes (cel_sqlite3_custom) from a checkpoint on.

The table is ``cel`` with the columns ``BACKLOG_FIELDS`` (docs/accounting.md
shows the cel_sqlite3_custom.conf); its rowid only grows, so the checkpoint is the
last rowid read.  A rowid below the checkpoint means the file was replaced
(rotation): reading starts again from its beginning, and the events already
stored are ignored by their id.  The file is opened read-only, one short
transaction per batch, so Asterisk's writer never waits long.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from apps.accounting.cel import BACKLOG_FIELDS, CelError, CelEvent, from_backlog

BATCH = 5000


@dataclass(frozen=True)
class BacklogBatch:
    events: list[CelEvent]
    last_rowid: int
    skipped: int  # rows that could not be read as CEL events
    restarted: bool  # the file was replaced: read from its start


def read_batch(path: Path, after: int, limit: int = BATCH) -> BacklogBatch:
    """Rows with a rowid above ``after``; raise OSError/sqlite3.Error if unreadable."""
    if not path.exists():
        raise FileNotFoundError(f"CEL backlog {path} does not exist")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
    try:
        top = db.execute("SELECT MAX(rowid) FROM cel").fetchone()[0] or 0
        restarted = top < after
        start = 0 if restarted else after
        columns = ", ".join(BACKLOG_FIELDS)
        rows = db.execute(
            f"SELECT rowid, {columns} FROM cel WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (start, limit),
        ).fetchall()
    finally:
        db.close()
    events: list[CelEvent] = []
    skipped = 0
    for row in rows:
        try:
            events.append(from_backlog(dict(zip(BACKLOG_FIELDS, row[1:], strict=True))))
        except CelError:
            skipped += 1
    last = rows[-1][0] if rows else start
    return BacklogBatch(events, last, skipped, restarted)
