"""The kept days of the statistics (``stats_days``): what both stores decide, no I/O.

A store answers a department's days from the summaries it keeps, sums the missing
ones from its tickets and keeps them (state.py, state_pg.py: only the SQL is
theirs).  A saved ticket makes the kept days its start falls in be summed again:
those of its department and, when it replaces an older ticket, the old one's.
A day is keyed by its local bounds as timestamps, [day_start, day_end).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from apps.accounting.stats import DaySummary, StatGroup, summarize

DayKey = tuple[float, float]  # (day_start, day_end)
KeptRow = tuple[str, float, float, str]  # a stats_days row: department, start, end, body
MAX_DAY = 2 * 86400  # a kept day is shorter (a local day: 23 to 25 hours)


def day_keys(days: Sequence[tuple[datetime, datetime]]) -> list[DayKey]:
    return [(start.timestamp(), end.timestamp()) for start, end in days]


def kept_span(keys: Sequence[DayKey]) -> tuple[float, float]:
    """The first and last day_start to read the kept days of ``keys`` (in order)."""
    return keys[0][0], keys[-1][0]


def from_kept(keys: Sequence[DayKey], kept: Mapping[DayKey, str]) -> list[DaySummary | None]:
    """Each day's kept summary (``kept``: body by key), None where it is missing."""
    return [DaySummary.from_json(kept[k]) if k in kept else None for k in keys]


def missing(days: Sequence[DaySummary | None]) -> list[int]:
    """The positions of the days still to sum."""
    return [i for i, day in enumerate(days) if day is None]


def summed(
    department: str,
    day: tuple[datetime, datetime],
    groups: Sequence[StatGroup],
    buckets: Iterable[tuple[int, int]],
) -> tuple[DaySummary, KeptRow]:
    """A day summed from its tickets' sums, and the stats_days row that keeps it."""
    summary = summarize(groups, buckets, day[0].tzinfo)
    start, end = day
    return summary, (department, start.timestamp(), end.timestamp(), summary.to_json())


def complete(days: Sequence[DaySummary | None]) -> list[DaySummary]:
    """The days once every missing one is summed."""
    out = [day for day in days if day is not None]
    if len(out) != len(days):
        raise RuntimeError(f"{len(days) - len(out)} day(s) of statistics left unsummed")
    return out


def touched(
    saved: Iterable[tuple[str | None, float]], old: Iterable[tuple[str | None, float]]
) -> set[tuple[str, float]]:
    """(department, start) of the tickets saved and of the older ones they replace."""
    return {(department or "", at) for department, at in (*saved, *old)}


def windows(starts: Iterable[tuple[str, float]]) -> list[tuple[str, float, float]]:
    """(department, low, high): reading the kept days with low < day_start <= high
    finds every day these starts fall in (and a few more, that ``to_forget`` leaves:
    high has a second of margin, the bounds travel as JSON text).  Starts of a
    department whose windows overlap share one, those further apart get their own
    (a ticket rebuilt from last year does not read a year of kept days)."""
    out: list[tuple[str, float, float]] = []
    for department, at in sorted(starts):
        if out and out[-1][0] == department and at - MAX_DAY <= out[-1][2]:
            out[-1] = (department, out[-1][1], at + 1)
        else:
            out.append((department, at - MAX_DAY, at + 1))
    return out


def to_forget(
    kept: Iterable[tuple[str, float, float]], starts: Iterable[tuple[str, float]]
) -> list[tuple[str, float, float]]:
    """The kept days (department, day_start, day_end) one of these starts falls in:
    day_start <= start < day_end."""
    by_department: dict[str, list[float]] = {}
    for department, at in starts:
        by_department.setdefault(department, []).append(at)
    for ats in by_department.values():
        ats.sort()
    out = set()
    for department, start, end in kept:
        ats = by_department.get(department, [])
        i = bisect_left(ats, start)  # the first start at or after day_start
        if i < len(ats) and ats[i] < end:
            out.add((department, start, end))
    return sorted(out)
