"""The collective range rendered as Asterisk extensions: exactly the range, nothing else."""

from __future__ import annotations

import random

import pytest

from apps.speed_dial.rules import range_patterns
from autocom.site.patterns import pattern_matches


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("8000", "8999", ["_8XXX"]),
        ("8000", "8049", ["_80[0-4]X"]),
        ("8", "8", ["8"]),
        ("0", "9", ["_X"]),
        ("8005", "8005", ["8005"]),
        ("198", "201", ["_19[8-9]", "_20[0-1]"]),
    ],
)
def test_known_ranges(start: str, end: str, expected: list[str]) -> None:
    assert range_patterns(start, end) == expected


@pytest.mark.parametrize("seed", range(20))
def test_every_number_of_the_range_matches_one_pattern_and_no_other_number_does(
    seed: int,
) -> None:
    rnd = random.Random(seed)
    width = rnd.choice((2, 3))
    a, b = sorted(rnd.randrange(10**width) for _ in range(2))
    start, end = f"{a:0{width}d}", f"{b:0{width}d}"
    patterns = range_patterns(start, end)
    for n in range(10**width):
        number = f"{n:0{width}d}"
        hits = [p for p in patterns if pattern_matches(p, number)]
        assert len(hits) == (1 if a <= n <= b else 0), (start, end, number, hits)
