"""PIN lockout: the pure decision (decide_lock), durations, and the pin: lockout: settings."""

from __future__ import annotations

from functools import partial

import pytest

from apps.time_rules.state import PinLocks
from autocom.config import ConfigError
from autocom.rights.lockout import (
    LockDecision,
    LockoutPolicy,
    PinHistory,
    decide_lock,
    format_duration,
    parse_duration,
)
from autocom.store.memory_store import MemoryStore

from .helpers import PARIS, rules

POLICY = LockoutPolicy(failures=3, window=900, lock=3600, where="rights.yaml:40")
T0 = 1_800_000_000.0  # 2027-01-15T09:00:00+01:00


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), (" 1H 5M ", 3900)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "1.5h", "1w", "h1", "-5m", "5m1h"])
def test_bad_durations_say_what_to_write(text: str) -> None:
    with pytest.raises(ValueError, match=r"e\.g\. 90s, 15m, 1h"):
        parse_duration(text)


def test_a_bare_number_gets_a_hint() -> None:
    with pytest.raises(ValueError, match="for 900 seconds write 900s"):
        parse_duration("900")


# (count, lock (since, until) offsets, now offset) -> locked?, starts?, failures, left
CASES = [
    ("no failure", 0, None, 0, False, False, 0, 3),
    ("two failures: one left", 2, None, 0, False, False, 2, 1),
    ("the third in the window locks now", 3, None, 0, True, True, 3, 0),
    ("more than enough (servers at once) locks", 5, None, 0, True, True, 5, 0),
    ("locked: still locked", 0, (0, 3600), 100, True, False, 3, 0),
    ("locked: a count does not lengthen it", 3, (0, 3600), 100, True, False, 3, 0),
    ("the lock has ended", 0, (0, 3600), 3601, False, False, 0, 3),
    # the failures that made the lock are spent: one more wrong PIN after it is 1, not 4
    ("failures after a lock start over", 1, (0, 3600), 3700, False, False, 1, 2),
]


@pytest.mark.parametrize(
    ("label", "count", "lock", "now", "locked", "start", "failures", "left"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_decide_lock(
    label: str,
    count: int,
    lock: tuple[int, int] | None,
    now: int,
    locked: bool,
    start: bool,
    failures: int,
    left: int,
) -> None:
    history = PinHistory(
        count=count,
        locked_since=None if lock is None else T0 + lock[0],
        locked_until=None if lock is None else T0 + lock[1],
        locked_failures=3 if lock else 0,
    )
    d = decide_lock(POLICY, history, T0 + now, PARIS)
    assert (d.locked, d.start_lock, d.failures, d.left) == (locked, start, failures, left)
    assert d.trace[0] == "rights.yaml:40 pin.lockout: 3 wrong PINs within 15m lock for 1h"
    if start:
        assert d.until == T0 + now + 3600
        assert "PIN locked until 2027-01-15T10:00:00+01:00" in d.reason
    elif locked:
        assert d.until == T0 + 3600 and "(3 wrong PINs)" in d.reason


def test_counted_are_the_newest_recorded_of_the_window() -> None:
    # several servers: clocks differ a little, so the record is sorted; older windows drop
    history = PinHistory(count=2, failures=(T0 + 2, T0 - 5, T0 + 1, T0 - 900), since=T0 - 5)
    d = decide_lock(POLICY, history, T0 + 3, PARIS)
    assert not d.locked and d.counted == (T0 + 1, T0 + 2)
    assert "since 2027-01-15T08:59:55+01:00" in d.trace[1]
    # the record is best effort: the count decides even when entries are missing
    d = decide_lock(POLICY, PinHistory(count=3, failures=(T0,)), T0, PARIS)
    assert d.locked and d.start_lock and d.counted == (T0,)
    assert "3 wrong PINs in the window: locked for 1h" in d.trace[1]


def test_lockout_off() -> None:
    d = decide_lock(None, PinHistory(count=50, failures=(T0,) * 50), T0)
    assert not d.locked and d.reason == "PIN lockout is off"


def test_settings_and_their_defaults() -> None:
    default = rules("assign: {}\n").lockout
    assert default is not None
    assert (default.failures, default.window, default.lock) == (5, 3600, 3600)
    assert default.where == "rights.yaml (default)"
    text = 'pin:\n  attempts: 3\n  lockout:\n    failures: 4\n    window: 30m\n    lock: "2h"\n'
    set_ = rules(text).lockout
    assert set_ == LockoutPolicy(4, 1800, 7200, "rights.yaml:3")
    assert rules("pin: {lockout: off}\n").lockout is None
    on = rules("pin: {lockout: on}\n").lockout
    assert on is not None and on.failures == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "pin:\n  lockout: {window: 15}\n",
            "rights.yaml:2: pin.lockout.window: '15' is not a duration: write a number and a "
            "unit, e.g. 90s, 15m, 1h, 1h30m or 2d; for 15 seconds write 15s",
        ),
        (
            "pin:\n  lockout:\n    lock: 10s\n",
            "rights.yaml:3: pin.lockout.lock: '10s': write a duration from 1m to 30d",
        ),
        (
            "pin:\n  lockout:\n    window: 8d\n",
            "rights.yaml:3: pin.lockout.window: '8d': write a duration from 1m to 7d",
        ),
        (
            "pin:\n  lockout:\n    failures: 0\n",
            "rights.yaml:3: pin.lockout.failures: '0': write a number of wrong PINs from 1 to 100",
        ),
        (
            "pin:\n  lockout:\n    failures: many\n",
            "rights.yaml:3: pin.lockout.failures: 'many': write a number of wrong PINs from 1",
        ),
        (
            "pin:\n  lockout: maybe\n",
            "rights.yaml:2: pin.lockout: lockout 'maybe' is not a setting: write 'lockout: off',"
            " or failures:, window: and lock: lines",
        ),
        ("pin:\n  lockout:\n", "rights.yaml:2: pin.lockout: lockout is empty: write"),
        ("pin:\n  lockout: {tries: 3}\n", "rights.yaml:2: pin.lockout: unknown key 'tries'"),
    ],
)
def test_bad_settings_name_file_and_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        rules(text)
    messages = [str(i) for i in info.value.issues]
    assert any(m.startswith(expected) for m in messages), messages


class Clock:
    """Seconds for a MemoryStore's ttl and the hook's ``now``, moved by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


async def fail(locks: PinLocks, clock: Clock, owner: str = "2850") -> LockDecision:
    decide = partial(decide_lock, POLICY, now=clock.now, tz=PARIS)
    return await locks.record_failure(owner, clock.now, "5001", POLICY, decide)


async def test_pin_locks_window_reset_lock_and_unlock_on_a_memory_store() -> None:
    clock = Clock()
    locks = PinLocks(MemoryStore(clock))
    assert [(await fail(locks, clock)).left for _ in range(2)] == [2, 1]
    clock.now += 901  # the window (15m) opened by the first wrong PIN is over
    assert (await locks.history("2850")).count == 0
    assert (await fail(locks, clock)).left == 2  # a new window
    await locks.reset("2850", clock.now, POLICY)  # a right PIN
    assert (await locks.history("2850")).count == 0 and await locks.failures("2850") == []
    for left in (2, 1):
        clock.now += 60
        assert (await fail(locks, clock)).left == left
    clock.now += 60
    locked = await fail(locks, clock)
    assert locked.start_lock and locked.until == clock.now + 3600
    history = await locks.history("2850")
    assert history.locked_failures == 3 and history.count == 0
    assert [f.caller for f in await locks.failures("2850")] == ["5001"] * 3
    # during the lock a wrong PIN is answered by it and not counted
    clock.now += 10
    during = await fail(locks, clock)
    assert during.locked and not during.start_lock
    assert len(await locks.failures("2850")) == 3
    # the record lasts as long as the lock, for pin-status
    clock.now += 1200
    assert len(await locks.failures("2850")) == 3
    assert await locks.unlock("2850", clock.now) is True
    assert await locks.unlock("2850", clock.now) is False
    assert await locks.history("2850") == PinHistory()
    assert (await fail(locks, clock)).left == 2
