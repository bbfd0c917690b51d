"""Time slots: case tables of instants, holidays, closures, midnight and DST."""

from __future__ import annotations

from datetime import datetime

import pytest

from autocom.rights.slots import slot_is_active

from .helpers import PARIS, UTC, paris, rules
from .rules_text import RULES

R = rules(RULES)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


CASES = [
    # office hours, end excluded
    ("office_hours", paris(2026, 11, 23, 10, 0), True),  # Monday
    ("office_hours", paris(2026, 11, 23, 8, 0), True),  # start included
    ("office_hours", paris(2026, 11, 23, 7, 59, 59), False),
    ("office_hours", paris(2026, 11, 23, 17, 59, 59), True),
    ("office_hours", paris(2026, 11, 23, 18, 0), False),  # end excluded
    ("office_hours", paris(2026, 11, 28, 10, 0), False),  # Saturday
    # night, across midnight
    ("night", paris(2026, 11, 24, 23, 0), True),
    ("night", paris(2026, 11, 24, 20, 0), True),
    ("night", paris(2026, 11, 24, 19, 59), False),
    ("night", paris(2026, 11, 25, 0, 0), True),
    ("night", paris(2026, 11, 25, 3, 0), True),
    ("night", paris(2026, 11, 25, 6, 59, 59), True),
    ("night", paris(2026, 11, 25, 7, 0), False),
    ("night", paris(2026, 11, 25, 12, 0), False),
    # weekend
    ("weekend", paris(2026, 11, 28, 10, 0), True),
    ("weekend", paris(2026, 11, 29, 23, 59), True),
    ("weekend", paris(2026, 11, 30, 0, 0), False),
    # public holidays: 14 July, Easter Monday; Good Friday and 26 Dec only in 57 / 6AE
    ("public_holidays", paris(2026, 7, 14, 10, 0), True),
    ("public_holidays", paris(2026, 4, 6, 10, 0), True),  # Easter Monday 2026
    ("public_holidays", paris(2027, 3, 29, 10, 0), True),  # Easter Monday 2027
    ("public_holidays", paris(2026, 4, 3, 10, 0), False),  # Good Friday, not in 75
    ("moselle_holidays", paris(2026, 4, 3, 10, 0), True),  # Good Friday in 57
    ("alsace_holidays", paris(2026, 4, 3, 10, 0), True),  # Good Friday in 6AE
    ("public_holidays", paris(2026, 12, 26, 10, 0), False),
    ("moselle_holidays", paris(2026, 12, 26, 10, 0), True),
    ("public_holidays", paris(2026, 7, 15, 10, 0), False),
    ("public_holidays", paris(2030, 5, 1, 10, 0), True),  # a year not warmed up
    # closure days
    ("closure", paris(2026, 12, 24, 10, 0), True),
    ("closure", paris(2026, 8, 10, 0, 0), True),
    ("closure", paris(2026, 8, 14, 23, 59), True),  # range ends included (whole days)
    ("closure", paris(2026, 8, 15, 0, 0), False),
    ("closure", paris(2027, 12, 24, 10, 0), False),  # dated: that year only
    # yearly range across new year
    ("xmas", paris(2026, 12, 31, 10, 0), True),
    ("xmas", paris(2027, 1, 2, 10, 0), True),
    ("xmas", paris(2027, 1, 3, 10, 0), False),
    ("xmas", paris(2026, 12, 23, 10, 0), False),
    # combinations
    ("working", paris(2026, 7, 15, 10, 0), True),
    ("working", paris(2026, 7, 14, 10, 0), False),  # holiday
    ("working", paris(2026, 12, 24, 10, 0), False),  # closure
    ("working", paris(2026, 7, 15, 19, 0), False),  # after hours
    ("lunch_or_evening", paris(2026, 7, 15, 13, 0), True),
    ("lunch_or_evening", paris(2026, 7, 15, 19, 0), True),
    ("lunch_or_evening", paris(2026, 7, 15, 16, 0), False),
    # DST, spring 2026-03-29: 02:00 CET -> 03:00 CEST; 02:00-03:00 never happens
    ("dst_hole", utc(2026, 3, 29, 0, 59, 59), False),  # 01:59:59 CET
    ("dst_hole", utc(2026, 3, 29, 1, 0), False),  # 03:00 CEST
    ("night", utc(2026, 3, 29, 4, 59), True),  # 06:59 CEST
    ("night", utc(2026, 3, 29, 5, 0), False),  # 07:00 CEST (06:00 if zone were ignored)
    ("office_hours", utc(2026, 3, 30, 6, 0), True),  # Monday 08:00 CEST
    ("office_hours", utc(2026, 3, 27, 6, 30), False),  # Friday 07:30 CET
    ("office_hours", utc(2026, 3, 27, 7, 0), True),  # Friday 08:00 CET
    # DST, autumn 2026-10-25: 03:00 CEST -> 02:00 CET; 02:30 happens twice
    ("dst_hole", utc(2026, 10, 25, 0, 30), True),  # 02:30 CEST
    ("dst_hole", utc(2026, 10, 25, 1, 30), True),  # 02:30 CET
    ("dst_hole", utc(2026, 10, 25, 2, 0), False),  # 03:00 CET
    ("night", utc(2026, 10, 25, 5, 59), True),  # 06:59 CET
    ("night", utc(2026, 10, 25, 6, 0), False),  # 07:00 CET
]


@pytest.mark.parametrize(("slot", "when", "active"), CASES, ids=lambda v: str(v))
def test_slot(slot: str, when: datetime, active: bool) -> None:
    assert slot_is_active(R, slot, when) is active


def test_naive_time_is_site_time() -> None:
    assert slot_is_active(R, "office_hours", datetime(2026, 11, 23, 10, 0))
    assert not slot_is_active(R, "office_hours", datetime(2026, 11, 23, 18, 0))


def test_rules_timezone_converts() -> None:
    r = rules("timezone: America/New_York\nslots:\n  day: {hours: '09:00-17:00'}\n")
    # 15:00 in Paris is 09:00 in New York
    assert slot_is_active(r, "day", paris(2026, 11, 23, 15, 0))
    assert not slot_is_active(r, "day", paris(2026, 11, 23, 14, 59))
    assert r.tz is not None and r.tz != PARIS


def test_slot_names_and_unknown() -> None:
    assert {"office_hours", "night", "working"} <= R.slot_names()
    with pytest.raises(KeyError):
        slot_is_active(R, "nope", paris(2026, 1, 1, 0, 0))


def test_whole_day_and_french_day_names() -> None:
    r = rules("slots:\n  all: {hours: '00:00-24:00', weekdays: 'lun-ven'}\n")
    assert slot_is_active(r, "all", paris(2026, 11, 23, 0, 0))
    assert slot_is_active(r, "all", paris(2026, 11, 27, 23, 59, 59))
    assert not slot_is_active(r, "all", paris(2026, 11, 28, 12, 0))


def test_wrapping_weekday_range() -> None:
    r = rules("slots:\n  long_weekend: {weekdays: fri-mon}\n")
    days = [slot_is_active(r, "long_weekend", paris(2026, 11, 23 + i, 12, 0)) for i in range(7)]
    assert days == [True, False, False, False, True, True, True]  # Mon..Sun
