"""Number patterns: parsing, matching, specificity, ambiguity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocom.rights.categories import FRENCH_PLAN
from autocom.rights.patterns import Pattern, PatternIndex


@pytest.mark.parametrize(
    ("pattern", "number", "matches"),
    [
        ("06", "06", True),
        ("06", "0612345678", True),
        ("06", "0712345678", False),
        ("_112", "112", True),
        ("_112", "1120", False),
        ("_0[67]XXXXXXXX", "0612345678", True),
        ("_0[67]XXXXXXXX", "061234567", False),
        ("_0[67]XXXXXXXX", "0812345678", False),
        ("_NXX", "200", True),
        ("_NXX", "100", False),
        ("_ZX", "10", True),
        ("_ZX", "01", False),
        ("_0[1-59]X", "091", True),
        ("_00.", "00", False),
        ("_00.", "0044", True),
        ("_00!", "00", True),
        ("_*21*X.", "*21*2001", True),
    ],
)
def test_match(pattern: str, number: str, matches: bool) -> None:
    assert Pattern.parse(pattern).matches(number) is matches


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty pattern"),
        ("06a", "is not a digit"),
        ("_0[67", "without ']'"),
        ("_0.X", "put '.' last"),
        ("_", "nothing after"),
        ("_0Y", "is not allowed"),
        ("_[9-1]", "reversed"),
        ("_[]", "empty set"),
    ],
)
def test_bad_patterns(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Pattern.parse(text)


def best(number: str, *patterns: str) -> str:
    found = [Pattern.parse(p) for p in patterns if Pattern.parse(p).matches(number)]
    return min(found, key=lambda p: p.key(number)).text


@pytest.mark.parametrize(
    ("number", "patterns", "winner"),
    [
        ("0899123456", ("_08XXXXXXXX", "_089XXXXXXX"), "_089XXXXXXX"),
        ("0612345678", ("06", "_0[67]XXXXXXXX"), "06"),  # position 1: 6 beats [67]
        ("0612345678", ("_06", "_0[67]XXXXXXXX"), "_0[67]XXXXXXXX"),  # _06 does not match
        ("0612345678", ("0", "06"), "06"),
        ("0387123456", ("_0[1-5]XXXXXXXX", "_0387XXXXXX"), "_0387XXXXXX"),
        ("06", ("06", "_06"), "_06"),
        ("0044", ("_00.", "_00!"), "_00."),
        ("2001", ("_2XXX", "_NXXX"), "_2XXX"),
    ],
)
def test_most_specific_wins(number: str, patterns: tuple[str, ...], winner: str) -> None:
    assert best(number, *patterns) == winner
    assert best(number, *reversed(patterns)) == winner


@pytest.mark.parametrize(
    ("a", "b", "ambiguous"),
    [
        ("_0[1-5]XX", "_0[2-6]XX", True),
        ("_0[1-5]XX", "_0[6-9]XX", False),  # disjoint
        ("_0[1-5]XX", "_0[1-4]XX", False),  # one narrower
        ("06", "06", True),
        ("06", "_06", False),
        ("_06.", "_07.", False),
        ("_06XX", "_06X", False),
    ],
)
def test_ambiguity(a: str, b: str, ambiguous: bool) -> None:
    assert Pattern.parse(a).ambiguous_with(Pattern.parse(b)) is ambiguous


def test_french_plan_is_unambiguous() -> None:
    entries = [(c, Pattern.parse(p)) for c, ps in FRENCH_PLAN.items() for p in ps]
    for i, (ca, a) in enumerate(entries):
        for cb, b in entries[i + 1 :]:
            assert ca == cb or not a.ambiguous_with(b), (a, b)


# ---------------------------------------------------------------- the prefix index


def scan(patterns: list[Pattern], number: str) -> int | None:
    """The reference: every pattern tried, the smallest key wins, the earlier on a tie
    (what classification did before the index)."""
    best: int | None = None
    best_key: tuple[int, ...] = ()
    for i, pattern in enumerate(patterns):
        if pattern.matches(number):
            key = pattern.key(number)
            if best is None or key < best_key:
                best, best_key = i, key
    return best


# Small alphabets so that patterns and numbers overlap often.
_DIGIT = st.sampled_from("0123*")
_POSITION = st.one_of(
    _DIGIT,
    st.sampled_from(["X", "Z", "N", "[0-2]", "[13]", "[*#0]"]),
)


@st.composite
def patterns(draw: st.DrawFn) -> Pattern:
    if draw(st.booleans()):  # a plain prefix
        return Pattern.parse("".join(draw(st.lists(_DIGIT, min_size=1, max_size=5))))
    positions = draw(st.lists(_POSITION, min_size=1, max_size=5))
    tail = draw(st.sampled_from(["", ".", "!"]))
    return Pattern.parse("_" + "".join(positions) + tail)


_NUMBER = st.text(alphabet="01234*#a", max_size=8)


@given(
    st.lists(patterns(), min_size=0, max_size=30),
    st.lists(_NUMBER, min_size=1, max_size=20),
)
@settings(max_examples=300, deadline=None)
def test_the_index_picks_what_a_scan_of_every_pattern_picks(
    pats: list[Pattern], numbers: list[str]
) -> None:
    index = PatternIndex(pats)
    for number in numbers:
        assert index.best(number) == scan(pats, number), (number, [p.text for p in pats])
        assert sorted(index.matching(number)) == [
            i for i, p in enumerate(pats) if p.matches(number)
        ]


def test_the_french_plan_through_the_index() -> None:
    pats = [Pattern.parse(p) for ps in FRENCH_PLAN.values() for p in ps]
    index = PatternIndex(pats)
    for number in ("15", "112", "0612345678", "0899123456", "0044123", "3456", "1234", "", "06"):
        assert index.best(number) == scan(pats, number)
    assert pats[index.best("0836123456") or 0].text == "_0836XXXXXX"


@given(
    st.lists(st.tuples(patterns(), st.integers(0, 2)), min_size=0, max_size=30),
    st.lists(_NUMBER, min_size=1, max_size=20),
)
@settings(max_examples=300, deadline=None)
def test_priorities_beat_specificity(
    given_patterns: list[tuple[Pattern, int]], numbers: list[str]
) -> None:
    pats = [p for p, _ in given_patterns]
    priority = [g for _, g in given_patterns]
    index = PatternIndex(pats, priority)
    for number in numbers:
        expected = None
        for group in sorted(set(priority)):
            in_group = [i for i, g in enumerate(priority) if g == group]
            found = scan([pats[i] for i in in_group], number)
            if found is not None:
                expected = in_group[found]
                break
        assert index.best(number) == expected, (number, given_patterns)


@pytest.mark.parametrize(
    ("patterns", "priority", "number", "winner"),
    [
        # after "03", two runs of X of different lengths: no shortcut, each its own
        (["_0[13]XX", "_0NXXX"], None, "0311", 0),
        (["_0[13]XX", "_0NXXX"], None, "03111", 1),
        (["_0[13]XX", "_0NXXX"], None, "0211", None),
        (["_0[13]XX", "_0[13]XX"], None, "0311", 0),  # the same run twice: the first
        # a tail met before a run keeps its higher priority
        (["_0!", "_0XXX"], [0, 1], "0123", 0),
        (["_0!", "_0XXX"], [1, 0], "0123", 1),
        (["_0!", "_0XXX"], None, "0123", 1),
        (["_0XX", "_0[*#]X"], None, "0*1", 1),  # a run of digits: * is not one
        (["_X*X"], None, "1*2", 0),
    ],
)
def test_runs_of_one_set(
    patterns: list[str], priority: list[int] | None, number: str, winner: int | None
) -> None:
    index = PatternIndex([Pattern.parse(p) for p in patterns], priority)
    assert index.best(number) == winner
