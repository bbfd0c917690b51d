"""Cheap timeouts for many waiters: one periodic sweep instead of a timer each.

A FastAGI server has one pending read per session (the environment, then each
reply).  Arming and cancelling an event-loop timer for each read costs more than
the read's own parsing; here a waiter registers a deadline in a dict and one
callback, scheduled only while something waits, expires the overdue ones every
``tick`` seconds.  A timeout fires between ``deadline`` and ``deadline + tick``.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

__all__ = ["Deadlines", "Expirable"]


class Expirable(Protocol):
    def expire(self) -> None: ...


class Deadlines:
    __slots__ = ("_handle", "_waiting", "loop", "tick")

    def __init__(self, loop: asyncio.AbstractEventLoop, tick: float) -> None:
        self.loop = loop  # for the waiters: Python 3.11's get_running_loop() calls getpid()
        self.tick = tick
        self._waiting: dict[Expirable, float] = {}
        self._handle: asyncio.TimerHandle | None = None

    def add(self, item: Expirable, seconds: float) -> None:
        """Call ``item.expire()`` if it is still waiting ``seconds`` from now."""
        self._waiting[item] = self.loop.time() + seconds
        if self._handle is None:
            self._handle = self.loop.call_later(self.tick, self._sweep)

    def discard(self, item: Expirable) -> None:
        self._waiting.pop(item, None)

    def __len__(self) -> int:
        return len(self._waiting)

    def _sweep(self) -> None:
        self._handle = None
        now = self.loop.time()
        waiting = self._waiting
        expired = [item for item, deadline in waiting.items() if deadline <= now]
        for item in expired:
            del waiting[item]
        for item in expired:
            item.expire()
        if waiting:
            self._handle = self.loop.call_later(self.tick, self._sweep)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._waiting.clear()
