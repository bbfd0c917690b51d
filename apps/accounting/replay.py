"""Tickets as past calls for a what-if (`autocom simulate`, autocom.whatif).

A replay reads, for every call of a month, a few of the ticket's searched columns
and two facts kept in columns of their own for it (``speed_dial``: the code dialed;
``unanswered``: what the called user's devices did, ``busy``, ``noanswer`` or
empty), so that a month is read from one covering index (SQLite) without
opening the tickets' JSON.  Tickets stored before those columns existed get
them from their JSON the first time their month is replayed (``backfill_rows``).
The details a report shows (id, department) are read for the changed calls only.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from apps.accounting.engine import Ticket
from autocom.whatif.replay import CallDetails, PastCall

REPLAY_COLUMNS = ("speed_dial", "unanswered")
SQLITE_REPLAY_INDEX = (
    "CREATE INDEX IF NOT EXISTS tickets_replay ON tickets (month, start_at, caller, called, "
    "called_user, direction, disposition, speed_dial, unanswered)"
)
# PastCall.what, from the columns (docs: autocom/whatif/replay.py)
_WHAT = (
    "CASE WHEN coalesce(called_user, '') != '' THEN 'user' || CASE WHEN unanswered != '' "
    "THEN ':' || unanswered ELSE '' END WHEN speed_dial != '' THEN 'speed_dial:' || speed_dial "
    "WHEN direction = 'outgoing' OR disposition = 'denied' THEN 'outgoing' ELSE 'none' END"
)
_FIELDS = (
    "start_at, coalesce(caller, ''), coalesce(called, ''), coalesce(called_user, ''), " + _WHAT
)
# the tickets saved before the replay columns existed (the only ones where they are NULL)
SQLITE_UNFILLED_INDEX = (
    "CREATE INDEX IF NOT EXISTS tickets_unreplayed ON tickets (month) WHERE unanswered IS NULL"
)
SQLITE_PAST_CALLS = (
    f"SELECT rowid, {_FIELDS} FROM tickets INDEXED BY tickets_replay WHERE month = ? "
    "ORDER BY start_at"
)
SQLITE_TO_BACKFILL = (
    "SELECT id, body FROM tickets INDEXED BY tickets_unreplayed "
    "WHERE month = ? AND unanswered IS NULL"
)
SQLITE_DETAILS = (  # ? is a JSON array of rowids: one query for any number of them
    "SELECT rowid, id, coalesce(department, ''), coalesce(caller_user, '') FROM tickets "
    "WHERE rowid IN (SELECT value FROM json_each(?))"
)
PG_PAST_CALLS = (
    "SELECT id, extract(epoch FROM start_at)::float8, "
    + _FIELDS.split(", ", 1)[1]
    + " FROM tickets WHERE start_at >= $1 AND start_at < $2 ORDER BY start_at"
)
PG_TO_BACKFILL = (
    "SELECT id, body::text FROM tickets WHERE start_at >= $1 AND start_at < $2 "
    "AND unanswered IS NULL"
)
PG_DETAILS = (
    "SELECT id, id, coalesce(department, ''), coalesce(caller_user, '') FROM tickets "
    "WHERE id = ANY($1::text[])"
)
UNANSWERED = {"busy": "busy", "no_answer": "noanswer", "failed": "noanswer"}


def unanswered(
    called_user: str, disposition: str, answered_by: str, forwards: Sequence[Mapping[str, Any]]
) -> str:
    """What the called user's devices did, as the dialplan's "unanswered" hook saw it:
    ``busy``, ``noanswer``, or "" (answered, or never rung)."""
    if not called_user:
        return ""
    for f in forwards:
        if f.get("from") == called_user and f.get("reason") in ("noanswer", "busy"):
            return str(f["reason"])
        if f.get("from") == called_user and f.get("reason") == "unconditional":
            return ""  # forwarded before ringing: the devices never rang
    if disposition == "answered" or (answered_by and answered_by != called_user):
        return ""
    return UNANSWERED.get(disposition, "")


def replay_columns(ticket: Ticket) -> tuple[str, str]:
    """The values of REPLAY_COLUMNS for a ticket being saved."""
    return ticket.speed_dial, unanswered(
        ticket.called_user, ticket.disposition, ticket.answered_by, ticket.forwards
    )


def replay_columns_of(body: Mapping[str, Any]) -> tuple[str, str]:
    """The values of REPLAY_COLUMNS from a stored ticket's JSON (ticket_version 1)."""
    forwards = body.get("forwards")
    return str(body.get("speed_dial") or ""), unanswered(
        str(body.get("called_user") or ""),
        str(body.get("disposition") or ""),
        str(body.get("answered_by") or ""),
        [f for f in forwards if isinstance(f, dict)] if isinstance(forwards, list) else [],
    )


def backfill_rows(rows: Sequence[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(speed_dial, unanswered, id) for UPDATE, from (id, JSON body) rows."""
    return [(*replay_columns_of(json.loads(body)), ticket_id) for ticket_id, body in rows]


def past_calls(rows: Iterable[Sequence[Any]]) -> list[PastCall]:
    """PastCalls from rows of SQLITE_PAST_CALLS / PG_PAST_CALLS (their shape).  The
    garbage collector waits meanwhile: millions of new tuples would set it off again
    and again, for nothing (none of them is garbage), tripling the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return list(map(PastCall._make, rows))
    finally:
        if enabled:
            gc.enable()


def details(rows: Iterable[Sequence[Any]]) -> dict[object, CallDetails]:
    """CallDetails by PastCall.ref from rows of SQLITE_DETAILS / PG_DETAILS."""
    return {r[0]: CallDetails(str(r[1]), str(r[2]), str(r[3])) for r in rows}
