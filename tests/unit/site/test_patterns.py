from __future__ import annotations

import pytest

from autocom.site.patterns import (
    parse_pattern,
    pattern_matches,
    pattern_problem,
    patterns_overlap,
    range_matches,
    shadow_issues,
    shadowed_extensions,
)
from tests.unit.site.helpers import BASE, site_from


@pytest.mark.parametrize(
    ("pattern", "number", "expected"),
    [
        ("*21", "*21", True),
        ("*21", "*210", False),
        ("2001", "2001", True),
        ("_X", "5", True),
        ("_X", "55", False),
        ("_Z", "0", False),
        ("_Z", "1", True),
        ("_N", "1", False),
        ("_N", "2", True),
        ("_x", "7", True),  # classes are case-insensitive
        ("_*21X.", "*212001", True),
        ("_*21X.", "*212", False),  # '.' needs one more character
        ("_*21X!", "*212", True),  # '!' zero or more
        ("_[1-5]XX", "599", True),
        ("_[1-5]XX", "699", False),
        ("_[135-7]X", "61", True),
        ("_[135-7]X", "21", False),
        ("_0-X.", "0612", True),  # '-' is ignored
        ("_0X.", "0", False),
        ("_0X.", "01", False),
        ("_0X.", "012", True),
        ("_.", "anything", True),
        ("_!", "", True),
        ("_[12", "1", False),  # invalid: never matches
    ],
)
def test_pattern_matches(pattern: str, number: str, expected: bool) -> None:
    assert pattern_matches(pattern, number) is expected


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("", "empty"),
        ("_", "nothing after"),
        ("_[]X", "empty set"),
        ("_[5-1]X", "reversed"),
        ("_[12", "without ']'"),
        ("_X.X", "put '.' last"),
        ("_X!1", "put '!' last"),
    ],
)
def test_patterns_that_can_never_match(pattern: str, problem: str) -> None:
    reason = pattern_problem(pattern)
    assert reason is not None and problem in reason


@pytest.mark.parametrize("pattern", ["_X.", "*21", "_[1-5]", "_*2[0-3]X!", "2001", "_N[a-c]"])
def test_valid_patterns(pattern: str) -> None:
    assert pattern_problem(pattern) is None


def test_parse_pattern_positions_and_tail() -> None:
    p = parse_pattern("_*2[1-3]X.")
    assert [sorted(s) for s in p.positions] == [["*"], ["2"], ["1", "2", "3"], list("0123456789")]
    assert p.tail == "."
    assert p.min_length == 5


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("_0X.", "_X.", True),
        ("_0X.", "_1X.", False),
        ("_0X.", "0", False),  # 0 alone is too short for _0X.
        ("_0X.", "012", True),
        ("_0X.", "01", False),
        ("_*21X.", "_*2X!", True),
        ("_XX", "_XXX", False),
        ("_XX!", "_XXX", True),
        ("_X.", "_X", False),
        ("_X!", "_X", True),
        ("*21", "*21", True),
        ("*21", "*22", False),
    ],
)
def test_patterns_overlap(a: str, b: str, expected: bool) -> None:
    assert patterns_overlap(a, b) is expected
    assert patterns_overlap(b, a) is expected


def test_range_matches() -> None:
    assert range_matches("_20[5-9]X", "2001", "2090") == "2050"
    assert range_matches("_3XXX", "2001", "2090") is None
    assert range_matches("_2X.", "2001", "2090") == "2001"
    assert range_matches("_2X", "2001", "2090") is None  # too short


def test_shadowed_user_group_emergency_and_range() -> None:
    site = site_from(BASE)
    found = shadowed_extensions(site, "_20XX")
    kinds = {(s.kind, s.number) for s in found}
    assert ("user", "2001") in kinds and ("user", "2002") in kinds
    assert ("group", "2091") in kinds
    # the range hit is a number no user or group took
    assert any(s.kind == "range" and s.number not in {"2001", "2002", "2091"} for s in found)
    assert all(s.source is not None for s in found)
    emergency = shadowed_extensions(site, "_11X")
    assert [(s.kind, s.number) for s in emergency] == [
        ("emergency", "112"),
        ("emergency", "114"),
        ("emergency", "115"),
        ("emergency", "119"),
    ]


def test_shadowed_outgoing_prefix_and_nothing_for_star_codes() -> None:
    site = site_from(BASE)
    found = shadowed_extensions(site, "_0XX.")
    assert found[-1].kind == "outgoing"
    assert {s.number for s in found if s.kind == "emergency"} == {
        "0112", "0114", "0115", "0116000", "0119", "0191", "0196", "0197"
    }  # fmt: skip
    assert shadowed_extensions(site, "_*21X.") == []
    assert shadowed_extensions(site, "*21") == []
    # without a line prefix every digit string is an outside call, still no * or # code
    no_prefix = site_from(BASE.replace('    line_prefix: "0"\n', ""))
    assert [s.kind for s in shadowed_extensions(no_prefix, "_9XX.")] == ["outgoing"]
    for code in ("*21", "_*21X.", "#5", "_#."):
        assert shadowed_extensions(no_prefix, code) == [], code


def test_shadow_issues_name_both_file_lines() -> None:
    site = site_from(BASE)
    issues = shadow_issues(site, "2001", "speed_dial.yaml", 7, label="speed-dial code")
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.file, issue.line) == ("speed_dial.yaml", 7)
    assert "user 2001 Dupont Marie (site.yaml:" in issue.message
    assert "speed_dial.yaml:7" in issue.hint
    bad = shadow_issues(site, "_[5-1]", "forwards.yaml", 3)
    assert len(bad) == 1 and "reversed" in bad[0].message
