"""Stored forward values: what we write reads back; foreign values are ignored."""

from __future__ import annotations

import pytest

from apps.forwards import state
from apps.forwards.engine import Forward


@pytest.mark.parametrize("fwd", [Forward("0612345678", True), Forward("2002", False)])
def test_round_trip(fwd: Forward) -> None:
    assert state.decode(state.encode(fwd)) == fwd


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"destination": "0612345678", "enabled": true}', Forward("0612345678", True)),
        ('{"enabled": false, "destination": "2002"}', Forward("2002", False)),
        ('{"destination": "", "enabled": true, "since": "x"}', Forward("", True)),
    ],
)
def test_the_documented_format_reads(raw: str, expected: Forward) -> None:
    """Values as the module's docstring writes them (what a store already holds, or
    another server wrote) read back: key order and extra keys do not matter."""
    assert state.decode(raw) == expected


# Each foreign value next to the nearest value that is ours: the one must read, the
# other must not (a decode that refuses everything fails the first column).
NEAR_MISSES = [
    ('{"destination": "2002", "enabled": true}', ""),
    ('{"destination": "2002", "enabled": true}', '{"destination": "2002", "enabled": true'),
    ('{"destination": "2002", "enabled": true}', '[{"destination": "2002", "enabled": true}]'),
    ('{"destination": "2002", "enabled": true}', '{"destination": 2002, "enabled": true}'),
    ('{"destination": "2002", "enabled": true}', '{"destination": "2002", "enabled": "true"}'),
    ('{"destination": "2002", "enabled": true}', '{"destination": "2002"}'),
    ('{"destination": "2002", "enabled": true}', '{"enabled": true}'),
    ('{"destination": "2002", "enabled": true}', '{"destination": null, "enabled": true}'),
]


@pytest.mark.parametrize(("ours", "foreign"), NEAR_MISSES)
def test_foreign_values_are_ignored(ours: str, foreign: str) -> None:
    assert state.decode(ours) == Forward("2002", True)
    assert state.decode(foreign) is None


def test_parse_groups_by_user_and_skips_unknown_types() -> None:
    items = {
        "2001:unconditional": state.encode(Forward("2002")),
        "2001:busy": state.encode(Forward("2003", False)),
        "2001:sometimes": state.encode(Forward("2004")),
        "2002:noanswer": "garbage",
    }
    assert state._parse(items) == {
        "2001": {"unconditional": Forward("2002"), "busy": Forward("2003", False)}
    }
