"""The VIP numbers a secretary adds (apps/boss_secretary/vips.py): what is a number,
and each edit of a boss's overlay with its outcome."""

from __future__ import annotations

import pytest

from apps.boss_secretary.state import parse_vips
from apps.boss_secretary.vips import MAX_PER_BOSS, bad_number, edit, number_of

FILE_VIP = ("0145678900", "_06XXXXXXXX")


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("0388123456", "0388123456"),
        ("  03 88 12 34 56 ", "0388123456"),
        ("03.88.12.34.56", "0388123456"),
        ("+33-3-88-12-34-56", "+33388123456"),
        ("03\u00a088\u00a012\u00a034\u00a056", "0388123456"),
        ("12", "12"),
        ("1", None),  # too short
        ("1" * 21, None),  # too long
        ("", None),
        ("06*)(x", None),  # an LDAP-looking or hostile input
        ("_06XXXXXXXX", None),  # patterns are the admin's, in filters.yaml
        ("0388,123456", None),  # the store's separator cannot get in
        ("++33388123456", None),
        ("33+388", None),
        ("\uff10\uff13\uff18\uff18", None),  # fullwidth digits are not ASCII digits
        ("1" * 200, None),  # long input refused before any work
    ],
)
def test_what_is_a_number(typed: str, number: str | None) -> None:
    assert number_of(typed) == number


def test_a_refused_input_is_repeated_back_short() -> None:
    refused = bad_number("x" * 500)
    assert refused.numbers is None and refused.code == "vip_bad_number"
    assert refused.number == "x" * 40
    assert "is not a phone number: write digits" in refused.reason


def test_adding_and_removing() -> None:
    done = edit((), "0388123456", True, FILE_VIP)
    assert (done.numbers, done.code) == (("0388123456",), "vip_added")
    done = edit(("0388123456",), "+33388000000", True, FILE_VIP)
    assert done.numbers == ("0388123456", "+33388000000")
    done = edit(("0388123456", "+33388000000"), "0388123456", False, FILE_VIP)
    assert (done.numbers, done.code) == (("+33388000000",), "vip_removed")
    done = edit(("0388123456",), "0388123456", False, FILE_VIP)
    assert done.numbers == ()


@pytest.mark.parametrize(
    ("current", "number", "add", "code"),
    [
        (("0388123456",), "0388123456", True, "vip_already"),
        ((), "0145678900", True, "vip_in_file"),  # a plain entry of the rule file
        ((), "0612345678", True, "vip_in_file"),  # matches its pattern
        ((), "0145678900", False, "vip_not_added"),  # the admin's entry stays
        (("0388123456",), "0388000000", False, "vip_not_added"),
        (tuple(f"03881234{i:02}" for i in range(MAX_PER_BOSS)), "0388999999", True, "vip_full"),
    ],
)
def test_refused_edits_change_nothing(
    current: tuple[str, ...], number: str, add: bool, code: str
) -> None:
    done = edit(current, number, add, FILE_VIP)
    assert (done.numbers, done.code, done.number) == (None, code, number)


def test_the_stored_overlay_keeps_only_numbers() -> None:
    assert parse_vips(None) == ()
    assert parse_vips("") == ()
    assert parse_vips("0388123456,+33388000000") == ("0388123456", "+33388000000")
    assert parse_vips("0388123456,,_06XX,abc, 12") == ("0388123456",)
