"""The kept days' decisions both ticket stores share (apps.accounting.kept_days):
which asked days are kept or missing, a summed day and its row, and which kept days
a batch of saved tickets forgets (pure, no store)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from apps.accounting.kept_days import (
    MAX_DAY,
    complete,
    day_keys,
    from_kept,
    kept_span,
    missing,
    summed,
    to_forget,
    touched,
    windows,
)
from apps.accounting.stats import DaySummary, StatGroup, local_days
from autocom.services import stats_period

PARIS = ZoneInfo("Europe/Paris")
MARCH = local_days(*stats_period(PARIS, "2027-03"))  # 28 March: 23 hours
GROUP = StatGroup("outgoing", "answered", "national", 2, 90, Decimal("0.1400"))


def at(day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(2027, 3, day, hour, minute, tzinfo=PARIS).timestamp()


def test_kept_days_are_used_and_the_missing_ones_listed() -> None:
    keys = day_keys(MARCH)
    assert keys[0] == (at(1), at(2)) and keys[27] == (at(28), at(29))
    assert keys[27][1] - keys[27][0] == 23 * 3600
    assert kept_span(keys) == (at(1), at(31))
    day = DaySummary((GROUP,), (0,) * 24)
    kept = {keys[0]: day.to_json(), keys[30]: day.to_json(), (at(2), at(4)): day.to_json()}
    out = from_kept(keys, kept)
    assert out[0] == day and out[30] == day
    assert missing(out) == list(range(1, 30))  # (2, 4) is no day asked
    with pytest.raises(RuntimeError, match="29 day"):
        complete(out)
    for i in missing(out):
        out[i] = DaySummary((), (0,) * 24)
    assert complete(out)[0] == day and len(complete(out)) == 31


def test_a_summed_day_and_the_row_that_keeps_it() -> None:
    nine_utc = int(at(12, 9, 15))  # 08:15 UTC, 09h in Paris
    summary, row = summed("Chimie", MARCH[11], [GROUP], [(nine_utc, 2)])
    assert summary.groups == (GROUP,) and summary.hours[9] == 2 and sum(summary.hours) == 2
    assert row == ("Chimie", at(12), at(13), summary.to_json())
    assert DaySummary.from_json(row[3]) == summary


def test_touched_are_the_saved_and_replaced_tickets_starts() -> None:
    saved = [("Chimie", at(3, 9)), ("Chimie", at(3, 9)), (None, at(4))]
    old = [("Physique", at(1, 10)), (None, at(4))]
    assert touched(saved, old) == {("Chimie", at(3, 9)), ("", at(4)), ("Physique", at(1, 10))}


def test_windows_cover_each_start_and_merge_only_near_ones() -> None:
    starts = {("Chimie", at(3, 9)), ("Chimie", at(3, 17)), ("Chimie", at(20)), ("Bio", at(3))}
    assert windows(starts) == [
        ("Bio", at(3) - MAX_DAY, at(3) + 1),
        ("Chimie", at(3, 9) - MAX_DAY, at(3, 17) + 1),
        ("Chimie", at(20) - MAX_DAY, at(20) + 1),
    ]
    assert windows(set()) == []


def test_forget_the_kept_days_a_start_falls_in_by_their_real_bounds() -> None:
    kept = [("Chimie", s.timestamp(), e.timestamp()) for s, e in MARCH]
    kept += [("Bio", at(3), at(4)), ("Chimie", at(28, 12), at(29))]  # half a day (a range)
    starts = [
        ("Chimie", at(3)),  # the 3rd's first instant: the 3rd, not the 2nd
        ("Chimie", at(3, 23, 59)),
        ("Chimie", at(29)),  # the 28th ends there (23 hours long): the 29th only
        ("Chimie", at(28, 12)),
        ("Physique", at(5)),  # no kept day of that department
    ]
    assert to_forget(kept, starts) == [
        ("Chimie", at(3), at(4)),
        ("Chimie", at(28), at(29)),
        ("Chimie", at(28, 12), at(29)),
        ("Chimie", at(29), at(30)),
    ]
    assert to_forget(kept, []) == []
