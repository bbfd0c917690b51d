"""Per-department call statistics from the tickets: pure functions, no I/O.

The store groups one department's tickets of a period (``StatGroup``: calls, talk
time and cost per direction, disposition and category; ``buckets``: calls per
quarter hour, UTC) and :func:`aggregate` makes them the ``DepartmentStats`` the CLI
and the portal show.  A ticket belongs to the department it records
(``department``, docs/accounting.md): the payer's at the time of the call for a call
made (outgoing or internal: the caller's; a call forwarded outside: the forwarding
user's), the called user's for a call received from outside.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from autocom.services import DepartmentStats, StatCounts, hms

BUCKET_SECONDS = 900  # the store counts calls per quarter hour (any zone's offset)
DIRECTIONS = ("outgoing", "incoming", "internal")
# a ticket's direction -> the statistics' direction ('transit': forwarded outside)
DIRECTION_OF = {"outgoing": "outgoing", "transit": "outgoing", "incoming": "incoming"}
TOP_DESTINATIONS = 5
BUSIEST = 3


@dataclass(frozen=True)
class StatGroup:
    """The tickets of one (direction, disposition, category), as the store sums them."""

    direction: str
    disposition: str
    category: str
    calls: int
    talk_seconds: int
    cost: Decimal


def _sum(groups: Iterable[StatGroup]) -> StatCounts:
    total = StatCounts()
    for g in groups:
        answered = g.calls if g.disposition == "answered" else 0
        total = total + StatCounts(g.calls, answered, g.talk_seconds, g.cost)
    return total


def _by(groups: Sequence[StatGroup], key: str) -> list[tuple[str, StatCounts]]:
    """The groups summed by ``key`` (an attribute), most calls first, then by name."""
    keys = sorted({getattr(g, key) for g in groups})
    rows = [(k, _sum(g for g in groups if getattr(g, key) == k)) for k in keys]
    return sorted(rows, key=lambda row: -row[1].calls)


def hours_of(buckets: Iterable[tuple[int, int]], zone: tzinfo) -> tuple[int, ...]:
    """Calls per local hour (0..23) from calls per quarter hour (its UTC start)."""
    hours = [0] * 24
    for start, calls in buckets:
        hours[datetime.fromtimestamp(start, zone).hour] += calls
    return tuple(hours)


@dataclass(frozen=True)
class DaySummary:
    """One department's calls of one local day: what the store keeps (``stats_days``)
    so that a month's statistics read 31 of these instead of every ticket."""

    groups: tuple[StatGroup, ...]
    hours: tuple[int, ...]  # calls started in each local hour 0..23

    def to_json(self) -> str:
        rows = [[g.direction, g.disposition, g.category, g.calls, g.talk_seconds, str(g.cost)]
                for g in self.groups]  # fmt: skip
        return json.dumps({"groups": rows, "hours": list(self.hours)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> DaySummary:
        body = json.loads(text)
        groups = tuple(StatGroup(a, b, c, d, e, Decimal(f)) for a, b, c, d, e, f in body["groups"])
        return cls(groups, tuple(body["hours"]))


def summarize(
    groups: Sequence[StatGroup], buckets: Iterable[tuple[int, int]], zone: tzinfo | None
) -> DaySummary:
    return DaySummary(tuple(groups), hours_of(buckets, zone or ZoneInfo("UTC")))


def local_days(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """[since, until) cut at each local midnight of ``since``'s zone (a DST day is
    23 or 25 hours long)."""
    days: list[tuple[datetime, datetime]] = []
    start = since
    while start < until:
        midnight = datetime.combine(start.date() + timedelta(days=1), time(), since.tzinfo)
        days.append((start, min(midnight, until)))
        start = midnight
    return days


def aggregate(
    department: str,
    since: datetime,
    until: datetime,
    currency: str,
    days: Sequence[DaySummary],
) -> DepartmentStats:
    """The statistics of ``department`` over [since, until) from its days' summaries."""
    groups = _merged(g for day in days for g in day.groups)
    directions = dict(_by(groups, "direction"))
    outgoing = [g for g in groups if g.direction == "outgoing"]
    hours = tuple(sum(day.hours[h] for day in days) for h in range(24))
    busiest = sorted((h for h in range(24) if hours[h]), key=lambda h: (-hours[h], h))
    return DepartmentStats(
        department=department,
        since=since,
        until=until,
        currency=currency,
        total=_sum(groups),
        directions=tuple((d, directions.get(d, StatCounts())) for d in DIRECTIONS),
        dispositions=tuple((d, c.calls) for d, c in _by(groups, "disposition")),
        categories=tuple(_by(groups, "category")),
        destinations=tuple(_by(outgoing, "category")[:TOP_DESTINATIONS]),
        hours=hours,
        busiest_hours=tuple(busiest[:BUSIEST]),
    )


def _merged(groups: Iterable[StatGroup]) -> list[StatGroup]:
    """The groups of every day summed by (direction as shown, disposition, category)."""
    sums: dict[tuple[str, str, str], tuple[int, int, Decimal]] = {}
    for g in groups:
        key = (DIRECTION_OF.get(g.direction, "internal"), g.disposition, g.category)
        calls, talk, cost = sums.get(key, (0, 0, Decimal(0)))
        sums[key] = (calls + g.calls, talk + g.talk_seconds, cost + g.cost)
    return [StatGroup(*key, *value) for key, value in sums.items()]


def counts_dict(c: StatCounts) -> dict[str, object]:
    return {
        "calls": c.calls,
        "answered": c.answered,
        "unanswered": c.unanswered,
        "talk_seconds": c.talk_seconds,
        "mean_talk_seconds": round(c.mean_talk_seconds, 1),
        "cost": f"{c.cost:.4f}",
    }


def stats_dict(s: DepartmentStats) -> dict[str, object]:
    """The JSON form (`autocom calls stats --json`)."""
    return {
        "department": s.department,
        "since": s.since.isoformat(),
        "until": s.until.isoformat(),
        "currency": s.currency,
        **counts_dict(s.total),
        "directions": {d: counts_dict(c) for d, c in s.directions},
        "dispositions": dict(s.dispositions),
        "categories": {k: counts_dict(c) for k, c in s.categories},
        "top_destinations": [{"category": k, **counts_dict(c)} for k, c in s.destinations],
        "hours": list(s.hours),
        "busiest_hours": list(s.busiest_hours),
    }


def _line(name: str, c: StatCounts, currency: str) -> str:
    return (
        f"  {name:<16} {c.calls:>7} {c.answered:>9} {c.unanswered:>11} "
        f"{hms(c.talk_seconds):>11} {hms(c.mean_talk_seconds):>9} "
        f"{c.cost:>12.4f} {currency}"
    )


HEAD = (
    f"  {'':<16} {'calls':>7} {'answered':>9} {'unanswered':>11} {'talk':>11} "
    f"{'mean':>9} {'cost':>12}"
)


def stats_text(s: DepartmentStats) -> str:
    """The statistics as a plain-text page (`autocom calls stats`)."""
    last = s.until - timedelta(days=1)
    lines = [
        f"department {s.department or '(none)'}: {s.since:%Y-%m-%d} to {last:%Y-%m-%d}",
        HEAD,
        _line("all", s.total, s.currency),
        *(_line(d, c, s.currency) for d, c in s.directions),
        "by category:",
        *(_line(k or "(none)", c, s.currency) for k, c in s.categories),
        "top destinations (outgoing):",
        *(_line(k or "(none)", c, s.currency) for k, c in s.destinations),
        "outcome: " + ", ".join(f"{d} {n}" for d, n in s.dispositions),
        "busiest hours: " + ", ".join(f"{h:02d}h ({s.hours[h]})" for h in s.busiest_hours),
    ]
    return "\n".join(lines)


def summary_text(all_stats: Sequence[DepartmentStats]) -> str:
    """One line per department (every department, for the site's admin)."""
    head = (
        f"{'department':<28} {'calls':>7} {'out':>6} {'in':>6} {'internal':>8} "
        f"{'answered':>9} {'unanswered':>11} {'talk':>11} {'mean':>9} {'cost':>12}"
    )
    lines = [head]
    for s in all_stats:
        d = dict(s.directions)
        t = s.total
        lines.append(
            f"{s.department or '(none)':<28} {t.calls:>7} {d['outgoing'].calls:>6} "
            f"{d['incoming'].calls:>6} {d['internal'].calls:>8} {t.answered:>9} "
            f"{t.unanswered:>11} {hms(t.talk_seconds):>11} "
            f"{hms(t.mean_talk_seconds):>9} {t.cost:>12.4f}"
        )
    return "\n".join(lines)
