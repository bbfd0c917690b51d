"""VIP entries: numbers, extensions and Asterisk patterns."""

from __future__ import annotations

import pytest

from apps.boss_secretary.patterns import check_entry, matches

CASES = [
    ("0145678900", "0145678900", True),
    ("0145678900", "01456789000", False),
    ("2010", "2010", True),
    ("_06XXXXXXXX", "0612345678", True),
    ("_06XXXXXXXX", "061234567", False),
    ("_06XXXXXXXX", "07123456789", False),
    ("_0[67]XXXXXXXX", "0712345678", True),
    ("_0[6-7]XXXXXXXX", "0812345678", False),
    ("_NXX", "200", True),
    ("_NXX", "100", False),
    ("_ZX", "10", True),
    ("_ZX", "01", False),
    ("_00.", "0044", True),
    ("_00.", "00", False),
    ("_00!", "00", True),
    ("_+33.", "+33145678900", True),
    ("_x2", "12", True),  # lower case class letters work as in Asterisk
    ("2010", "", False),
    ("_06-XX-XX", "061234", True),  # '-' is ignored, as Asterisk ignores it
    ("_06-XX-XX", "06-12-34", False),
]


@pytest.mark.parametrize(("entry", "number", "expected"), CASES)
def test_matches(entry: str, number: str, expected: bool) -> None:
    assert check_entry(entry) == entry
    assert matches(entry, number) is expected


@pytest.mark.parametrize(
    "entry", ["", "abc", "_06X.X", "_0[6", "_0]6", "_0[]", "06 12", "_0[a-z]X", "0" * 31]
)
def test_bad_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        check_entry(entry)


def test_regex_characters_in_caller_numbers_stay_literal() -> None:
    assert not matches("_0.", ".*")  # the caller number is data, not a pattern
    assert matches("_0.", "0.*")
