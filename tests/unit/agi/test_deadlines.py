"""autocom.agi.deadlines: one sweep expires every overdue waiter, and only those."""

from __future__ import annotations

import asyncio

from autocom.agi.deadlines import Deadlines


class Waiter:
    def __init__(self) -> None:
        self.expired = 0

    def expire(self) -> None:
        self.expired += 1


async def test_expires_overdue_only_once() -> None:
    deadlines = Deadlines(asyncio.get_running_loop(), tick=0.01)
    short, long, gone = Waiter(), Waiter(), Waiter()
    deadlines.add(short, 0.02)
    deadlines.add(long, 10.0)
    deadlines.add(gone, 0.02)
    deadlines.discard(gone)
    await asyncio.sleep(0.1)
    assert (short.expired, long.expired, gone.expired) == (1, 0, 0)
    assert len(deadlines) == 1
    deadlines.close()
    assert len(deadlines) == 0


async def test_no_timer_while_nothing_waits() -> None:
    deadlines = Deadlines(asyncio.get_running_loop(), tick=0.01)
    waiter = Waiter()
    deadlines.add(waiter, 0.0)
    await asyncio.sleep(0.05)
    assert waiter.expired == 1
    assert deadlines._handle is None  # the sweep stopped rescheduling itself
    deadlines.add(waiter, 0.0)  # and starts again on demand
    await asyncio.sleep(0.05)
    assert waiter.expired == 2


async def test_readding_moves_the_deadline() -> None:
    deadlines = Deadlines(asyncio.get_running_loop(), tick=0.01)
    waiter = Waiter()
    deadlines.add(waiter, 0.03)
    deadlines.add(waiter, 10.0)
    await asyncio.sleep(0.08)
    assert waiter.expired == 0
    deadlines.close()
