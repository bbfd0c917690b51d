"""Instants that every rule decides alike: the time classes of a period.

A decision reads the time only through the time slots of rights.yaml (weekdays,
hour ranges, dates, public holidays; boss filters name those slots too).  Slot
hours are whole minutes and every other condition holds for a whole local day,
so between two *boundaries* (a local midnight, the start or end of an hour range
of any slot, either occurrence of a repeated wall-clock time, every minute of a
day whose UTC offset changes) every slot is either active or not throughout.

:func:`time_classes` cuts a period at those boundaries, asks
:func:`autocom.rights.slots.is_active` (the decision's own function) about every
slot at the start of each segment, and gives segments with the same answers one
class.  Deciding a call at its class's representative instant is then exactly
deciding it at its own time; ``tests/unit/whatif`` checks it against deciding
every call at its own time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from autocom.rights.rules import TimeRules
from autocom.rights.slots import is_active, local_time

DAY = 86400


@dataclass(frozen=True)
class TimeClasses:
    """Segments [bounds[i], bounds[i+1]) of epoch seconds and the class of each."""

    bounds: tuple[float, ...]
    segment_class: tuple[int, ...]  # segment index -> class id
    instants: tuple[datetime, ...]  # class id -> a representative instant (UTC)

    def of(self, epoch: float) -> int:
        """The class of an instant of the period (ValueError outside it)."""
        return self.segment(epoch)[2]

    def segment(self, epoch: float) -> tuple[float, float, int]:
        """(start, end, class) of the segment holding ``epoch`` (ValueError outside)."""
        i = bisect_right(self.bounds, epoch) - 1
        if i < 0 or i >= len(self.segment_class):
            raise ValueError(f"{epoch} is outside the period of these time classes")
        return self.bounds[i], self.bounds[i + 1], self.segment_class[i]

    def __len__(self) -> int:
        return len(self.instants)


def _minutes(rules: TimeRules) -> set[int]:
    """Seconds after local midnight where a slot's hour range starts or ends."""
    out = {0}
    for slot in rules.slots.values():
        for hours in slot.hours or ():
            out.update(s for s in (hours.start, hours.end) if s < DAY)
    return out


def _offset_changes(tz: ZoneInfo, day: date) -> bool:
    first = datetime(day.year, day.month, day.day, tzinfo=tz)
    last = first + timedelta(hours=23, minutes=59)
    return first.utcoffset() != last.utcoffset()


def _day_bounds(tz: ZoneInfo, day: date, seconds: Iterable[int]) -> set[float]:
    """The epoch instants where the local clock of ``day`` reads one of ``seconds``
    (both occurrences of a repeated time; every minute when the offset changes)."""
    if _offset_changes(tz, day):
        seconds = range(0, DAY, 60)
    out: set[float] = set()
    for s in seconds:
        hh, rest = divmod(s, 3600)
        for fold in (0, 1):
            local = datetime(day.year, day.month, day.day, hh, rest // 60, tzinfo=tz, fold=fold)
            out.add(local.timestamp())
    return out


def _bounds(rules: Sequence[TimeRules], start: datetime, end: datetime) -> list[float]:
    first = (start - timedelta(days=2)).date()
    days = (end - start).days + 4
    seconds = {0}.union(*(_minutes(r) for r in rules))
    out: set[float] = set()
    for tz in {r.tz for r in rules} or {ZoneInfo("UTC")}:
        for n in range(days):
            out |= _day_bounds(tz, first + timedelta(days=n), seconds)
    return sorted(out)


def time_classes(rules: Sequence[TimeRules], start: datetime, end: datetime) -> TimeClasses:
    """The time classes of [start, end) (a margin of two days each side is kept)
    for the slots of every rule set in ``rules`` (e.g. the current and the new)."""
    bounds = _bounds(rules, start, end)
    names = [(r, name) for r in rules for name in sorted(r.slots)]
    ids: dict[tuple[bool, ...], int] = {}
    instants: list[datetime] = []
    segment_class: list[int] = []
    for b in bounds[:-1]:
        at = datetime.fromtimestamp(b, UTC)
        vector = tuple(is_active(r.slots, n, local_time(r.tz, at)) for r, n in names)
        cid = ids.get(vector)
        if cid is None:
            cid = ids[vector] = len(instants)
            instants.append(at)
        segment_class.append(cid)
    return TimeClasses(tuple(bounds), tuple(segment_class), tuple(instants))
