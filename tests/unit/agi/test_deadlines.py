"""autocom.agi.deadlines: one sweep expires every overdue waiter, and only those.

Time is an injected clock, not sleeps: ``ManualClockLoop`` is asyncio's own
event loop whose ``time()`` reads a number the test moves forward; its timers
(``call_later``) fire when the loop runs after that number passed their time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from autocom.agi.deadlines import Deadlines


class ManualClockLoop(asyncio.SelectorEventLoop):
    """asyncio's selector loop with a clock moved by the test (``advance``)."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock, then let the loop run what fell due (no real wait)."""
        self.now += seconds
        for _ in range(3):  # a timer due now runs in the next loop iteration
            self.run_until_complete(asyncio.sleep(0))


class Waiter:
    def __init__(self) -> None:
        self.expired_at: list[float] = []
        self.clock: ManualClockLoop | None = None

    def expire(self) -> None:
        assert self.clock is not None
        self.expired_at.append(self.clock.now)


@pytest.fixture
def loop() -> Iterator[ManualClockLoop]:
    clock = ManualClockLoop()
    yield clock
    clock.close()


def waiters(loop: ManualClockLoop, n: int) -> list[Waiter]:
    made = [Waiter() for _ in range(n)]
    for waiter in made:
        waiter.clock = loop
    return made


def test_expires_between_the_deadline_and_one_tick_later(loop: ManualClockLoop) -> None:
    deadlines = Deadlines(loop, tick=0.25)
    (waiter,) = waiters(loop, 1)
    deadlines.add(waiter, 1.0)
    loop.advance(0.99)
    assert waiter.expired_at == []  # not before its deadline
    loop.advance(0.26)
    assert waiter.expired_at == [pytest.approx(1001.25)]  # within one tick after it
    loop.advance(5.0)
    assert len(waiter.expired_at) == 1  # once
    assert len(deadlines) == 0


def test_expires_overdue_only(loop: ManualClockLoop) -> None:
    deadlines = Deadlines(loop, tick=0.1)
    short, long, gone = waiters(loop, 3)
    deadlines.add(short, 0.2)
    deadlines.add(long, 10.0)
    deadlines.add(gone, 0.2)
    deadlines.discard(gone)
    loop.advance(0.35)
    assert (len(short.expired_at), long.expired_at, gone.expired_at) == (1, [], [])
    assert len(deadlines) == 1
    loop.advance(10.0)
    assert len(long.expired_at) == 1
    deadlines.close()


def test_readding_moves_the_deadline(loop: ManualClockLoop) -> None:
    deadlines = Deadlines(loop, tick=0.1)
    (waiter,) = waiters(loop, 1)
    deadlines.add(waiter, 0.3)
    deadlines.add(waiter, 5.0)  # the next command moves it
    loop.advance(4.9)
    assert waiter.expired_at == []  # the first deadline is gone
    loop.advance(0.2)
    assert waiter.expired_at == [pytest.approx(1005.1)]  # the second one holds


def test_no_timer_while_nothing_waits(loop: ManualClockLoop) -> None:
    deadlines = Deadlines(loop, tick=0.1)
    (waiter,) = waiters(loop, 1)
    deadlines.add(waiter, 0.0)
    loop.advance(0.1)
    assert len(waiter.expired_at) == 1
    assert deadlines._handle is None  # the sweep stopped rescheduling itself
    assert loop._scheduled == []  # no timer left in the loop
    deadlines.add(waiter, 0.0)  # and starts again on demand
    loop.advance(0.1)
    assert len(waiter.expired_at) == 2


def test_close_cancels_the_sweep(loop: ManualClockLoop) -> None:
    deadlines = Deadlines(loop, tick=0.1)
    (waiter,) = waiters(loop, 1)
    deadlines.add(waiter, 0.2)
    deadlines.close()
    loop.advance(1.0)
    assert waiter.expired_at == []
    assert len(deadlines) == 0
