"""Stored forward values: what we write reads back; foreign values are ignored."""

from __future__ import annotations

import pytest

from apps.forwards import state
from apps.forwards.engine import Forward


@pytest.mark.parametrize("fwd", [Forward("0612345678", True), Forward("2002", False)])
def test_round_trip(fwd: Forward) -> None:
    assert state.decode(state.encode(fwd)) == fwd


@pytest.mark.parametrize(
    "raw", ["", "not json", "[]", '{"destination": 2002, "enabled": true}', '{"destination": "1"}']
)
def test_garbage_is_ignored(raw: str) -> None:
    assert state.decode(raw) is None


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
