"""NumberPlan: one canonical form for every spelling; dialable forms; garbage refused."""

from __future__ import annotations

import pytest

from autocom.directory import ExtensionDid, NumberPlan

PLAN = NumberPlan(
    line_prefix="0",
    extension_dids=(ExtensionDid("+33388", 6),),
    did_aliases=(("+33389336001", "2001"),),
)


@pytest.mark.parametrize(
    "raw",
    ["0388400005", "+33388400005", "0033388400005", "+33 3 88 40 00 05", "03.88.40.00.05",
     "+33 (0)3 88 40 00 05", "03-88-40-00-05", "400005"],
)  # fmt: skip
def test_every_spelling_has_one_canonical_form(raw: str) -> None:
    assert PLAN.canonical(raw) == "+33388400005"


def test_did_alias_reads_as_the_extension() -> None:
    assert PLAN.canonical("0389336001") == "2001"
    assert PLAN.canonical("+33 3 89 33 60 01") == "2001"
    assert PLAN.canonical("2001") == "2001"
    assert set(PLAN.spellings("2001")) >= {"2001", "+33389336001", "0389336001", "0033389336001"}


def test_line_prefix_gives_a_second_candidate() -> None:
    # 0 + 0388... (the outside line digit kept on an incoming caller id)
    assert PLAN.candidates("00388400005") == ("+388400005", "+33388400005")
    assert PLAN.candidates("0612345678") == ("+33612345678",)


@pytest.mark.parametrize("raw", ["", "   ", "abc", "06 12 AB", "1" * 40, "+", "*)(uid=*", "٠٣٨٨"])
def test_not_a_number(raw: str) -> None:
    assert PLAN.canonical(raw) == ""
    assert PLAN.candidates(raw) == ()


def test_whitespace_is_noise() -> None:
    assert PLAN.canonical("0388\t40 00\n05") == "+33388400005"


def test_dialable() -> None:
    assert PLAN.dialable("+33 3 88 40 00 05") == "400005"  # an extension of the site
    assert PLAN.dialable("06 12 34 56 78") == "00612345678"  # line prefix + national
    assert PLAN.dialable("+49 30 1234567") == "000493012345677"[:-1]  # line + 00 + number
    assert PLAN.dialable("0389336001") == "2001"


def test_spellings_of_e164() -> None:
    assert PLAN.spellings("+33612345678") == ("+33612345678", "0033612345678", "0612345678")
    assert PLAN.spellings("") == ()
