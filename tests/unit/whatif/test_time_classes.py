"""Time classes: every slot is active at an instant exactly when it is at its class's
representative instant, DST nights included (the example university's slots, and
a rule set with other hours beside it)."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apps import features
from autocom.loader import load_config
from autocom.rights import TimeRules
from autocom.rights.slots import is_active, local_time
from autocom.whatif.time_classes import time_classes
from tests.support.call_month import edit

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture(scope="module")
def rule_sets(tmp_path_factory: pytest.TempPathFactory) -> list[TimeRules]:
    folder = tmp_path_factory.mktemp("slots") / "other"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("var", "thirdparty"))
    edit(
        folder / "rights.yaml", r'hours: "20:00-07:00"', 'hours: "02:15-02:45"'
    )  # in the DST hours
    feats = tuple(features())
    out = []
    for main in (EXAMPLES / "autocom.yaml", folder / "autocom.yaml"):
        rules = load_config(main, feats).rules["time_rules"]
        assert isinstance(rules, TimeRules)
        out.append(rules)
    return out


def vector(rule_sets: list[TimeRules], at: datetime) -> tuple[bool, ...]:
    return tuple(
        is_active(r.slots, name, local_time(r.tz, at))
        for r in rule_sets
        for name in sorted(r.slots)
    )


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 12, 20, tzinfo=UTC),  # Christmas, the closure days, New Year
        datetime(2027, 3, 20, tzinfo=UTC),  # spring forward: 02:00-03:00 does not exist
        datetime(2027, 10, 25, tzinfo=UTC),  # fall back: 02:00-03:00 twice
    ],
)
def test_an_instant_is_in_the_slots_of_its_class(
    rule_sets: list[TimeRules], start: datetime
) -> None:
    end = start + timedelta(days=14)
    times = time_classes(rule_sets, start, end)
    rnd = random.Random(start.toordinal())
    span = int((end - start).total_seconds())
    instants = [start + timedelta(seconds=rnd.randrange(span)) for _ in range(3000)]
    # and every whole minute of the two DST nights, where a wrong cut would show
    for night in (
        datetime(2027, 3, 28, 0, 0, tzinfo=UTC),
        datetime(2027, 10, 31, 0, 0, tzinfo=UTC),
    ):
        if start <= night < end:
            instants += [
                night + timedelta(minutes=m, seconds=s) for m in range(180) for s in (0, 59)
            ]
    for at in instants:
        cls = times.of(at.timestamp())
        assert vector(rule_sets, at) == vector(rule_sets, times.instants[cls]), at
    assert 3 <= len(times) < 64  # a few classes, not one per segment
    with pytest.raises(ValueError):
        times.of((start - timedelta(days=5)).timestamp())
