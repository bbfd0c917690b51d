"""A user's call history as directory entries, for the phones' XML views: pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from apps.accounting.state import TicketRow
from autocom.directory import Entry, Page
from autocom.directory.model import Number
from autocom.services import CallView

KINDS = {"missed": "Manqué", "received": "Reçu", "dialed": "Composé"}


def other_party(body: dict[str, object], ext: str) -> tuple[str, str]:
    """(number, name) of the other side of the call, as ``ext`` sees it."""
    if body.get("caller_user") == ext:
        return str(body.get("called", "")), ""
    return str(body.get("caller", "")), str(body.get("caller_name", ""))


def history_page(
    rows: Sequence[TicketRow], ext: str, kind: str, zone: ZoneInfo, limit: int
) -> Page:
    """One entry per call, newest first: '<kind> <dd/mm hh:mm> <name>' and the number."""
    entries = []
    for row in rows[:limit]:
        number, name = other_party(row.body, ext)
        when = row.start.astimezone(zone).strftime("%d/%m %H:%M")
        entries.append(
            Entry(
                source="calls",
                id=row.id,
                name=f"{KINDS.get(kind, kind)} {when}",
                first_name=name or number,
                numbers=(Number("other", number, ""),) if number else (),
            )
        )
    return Page(tuple(entries), 0, limit, more=len(rows) > limit)


def when_param(text: str) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))


def call_views(rows: Sequence[TicketRow], ext: str) -> list[CallView]:
    """The tickets of ``ext`` as its history (autocom.services.CallHistoryService)."""
    out: list[CallView] = []
    for row in rows:
        body = row.body
        number, name = other_party(body, ext)
        disposition = str(body.get("disposition", ""))
        if body.get("caller_user") == ext:
            kind = "dialed"
        else:
            kind = "received" if disposition == "answered" else "missed"
        talk = body.get("talk_seconds", 0)
        seconds = float(talk) if isinstance(talk, int | float) else 0.0
        out.append(CallView(row.start, kind, number, name, seconds, disposition))
    return out
