"""A what-if report as text (for a person) or as one JSON document (for a script)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from autocom.whatif.replay import CallChange, CallDetails, Report

ALWAYS_ASSUMED = (
    "each call is decided at its own time (its ticket's start): its time slots, "
    "public holidays and closure days",
    "the caller is the number the ticket shows (what the rights hook reads); the "
    "site's users, classes and groups are those of each rule set's own site file",
)


@dataclass(frozen=True)
class Header:
    month: str
    current: str  # path of the current autocom.yaml
    new: str  # path of the new one
    timezone: str
    assumed: tuple[str, ...]  # the features' assumptions, ALWAYS_ASSUMED added


def _counts(title: str, counter: Counter[str]) -> Iterator[str]:
    yield f"  by {title}:"
    if not counter:
        yield "    (none)"
    width = max((len(k) for k in counter), default=0)
    for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
        yield f"    {key.ljust(width)}  {n:>9,}"


def call_line(change: CallChange, detail: CallDetails, tz: ZoneInfo) -> str:
    c = change.call
    when = datetime.fromtimestamp(c.start, tz).strftime("%Y-%m-%d %H:%M:%S")
    to = c.called
    if c.called_user and c.called_user != c.called:
        to = f"{c.called}={c.called_user}"
    return (
        f"  {when}  {detail.id}  {c.caller or '-'} -> {to}  class {change.caller_class}  "
        f"dept {detail.department or '-'}  {change.kind}: {change.current.text} => "
        f"{change.new.text} ({change.new.reason})"
    )


def text(report: Report, header: Header, with_calls: bool = True) -> Iterator[str]:
    tz = ZoneInfo(header.timezone)
    yield f"What-if on the calls of {header.month} (UTC month): {report.calls:,} calls"
    yield f"  current rules: {header.current}"
    yield f"  new rules:     {header.new}"
    if not report.calls:
        yield f"  no ticket of {header.month} in the store (months are UTC: YYYY-MM)"
    for what, n in sorted(report.replayed.items()):
        yield f"  replayed: {n:,} ({what})"
    for why, n in sorted(report.skipped.items()):
        yield f"  not replayed: {n:,} ({why})"
    yield (
        f"  {report.decisions:,} decisions taken for both rule sets (identical calls "
        f"grouped, {report.time_classes} time classes: exact)"
    )
    yield "Assumed, since a ticket cannot tell:"
    yield from (f"  - {line}" for line in (*ALWAYS_ASSUMED, *header.assumed))
    yield f"Calls whose outcome changes: {len(report.changes):,}"
    yield from _counts("change", report.count("kind"))
    yield from _counts("caller class", report.count("caller_class"))
    yield from _counts("department", report.by_department())
    if with_calls and report.changes:
        yield f"Calls (start in {header.timezone}):"
        yield from (call_line(change, report.detail(change), tz) for change in report.changes)


def _change_json(change: CallChange, detail: CallDetails, tz: ZoneInfo) -> dict[str, Any]:
    c = change.call
    return {
        "id": detail.id,
        "start": datetime.fromtimestamp(c.start, tz).isoformat(),
        "caller": c.caller,
        "called": c.called,
        "called_user": c.called_user,
        "caller_class": change.caller_class,
        "department": detail.department,
        "change": change.kind,
        "current": change.current.text,
        "new": change.new.text,
        "current_reason": change.current.reason,
        "new_reason": change.new.reason,
    }


def as_json(report: Report, header: Header) -> dict[str, Any]:
    tz = ZoneInfo(header.timezone)
    changes: Sequence[CallChange] = report.changes
    return {
        "month": header.month,
        "current": header.current,
        "new": header.new,
        "calls": report.calls,
        "replayed": dict(report.replayed),
        "not_replayed": dict(report.skipped),
        "decisions": report.decisions,
        "time_classes": report.time_classes,
        "assumed": [*ALWAYS_ASSUMED, *header.assumed],
        "by_change": dict(report.count("kind")),
        "by_caller_class": dict(report.count("caller_class")),
        "by_department": dict(report.by_department()),
        "changes": [_change_json(c, report.detail(c), tz) for c in changes],
    }
