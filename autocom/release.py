"""Freeing a replaced config a piece at a time, so the event loop is never stalled.

When a reload swaps a config in, the old one is freed by reference counting: one
decrement that frees everything behind it in a single C call, holding the GIL
all along (measured: 100 ms for 100,000 rule lines whose classes all moved, a
call arriving then waits as long).  :func:`let_go` first lists the old config's
objects that nothing else holds, breadth first (parents before their children;
an object is listed once all its references come from listed ones), then lets go
of them in that order: each object freed is then one object, its children still
held by the list; the calls are served in between (:class:`Pacer`).  Objects the
new config shares with the old one (what a reload kept) are held elsewhere, so
they are neither listed nor walked.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Iterator
from typing import Any

STEP = 256  # references looked at, or objects let go of, between two looks at the clock
PACE = 0.0005  # seconds of work before the calls get the event loop back
HELD_WAIT = 10.0  # seconds a call may keep a replaced config before it is let go of
_LOOK_EVERY = 0.05
_SHARDS = 256
_MASK = _SHARDS - 1


class Pacer:
    """Work done in the event loop in steps: :meth:`step` gives the loop back (to
    the calls) once ``pace`` seconds of work have gone by since it last did."""

    def __init__(self, pace: float = PACE) -> None:
        self.pace = pace
        self._since = time.perf_counter()

    async def step(self) -> None:
        if time.perf_counter() - self._since > self.pace:
            await asyncio.sleep(0)
            self._since = time.perf_counter()


def _overhead() -> int:
    """What ``sys.getrefcount`` adds, in :func:`_listing`, to an object's references
    (the referents list, the loop variable, the call's argument)."""
    parent: list[list[object]] = [[]]
    for child in gc.get_referents(parent):
        return sys.getrefcount(child) - 1
    raise AssertionError("unreachable")  # pragma: no cover


_OVERHEAD = _overhead()


def _listing(pieces: list[object]) -> Iterator[None]:
    """Lists, after ``pieces``' one object, those behind it that only listed ones
    hold; yields every :data:`STEP` references looked at.

    What was seen is kept in :data:`_SHARDS` sets and dicts by id, not one of each:
    one of 200,000 ids growing copies them all at once (30 ms)."""
    listed: list[set[int]] = [set() for _ in range(_SHARDS)]
    held: list[dict[int, int]] = [{} for _ in range(_SHARDS)]  # references from listed ones
    listed[(id(pieces[0]) >> 4) & _MASK].add(id(pieces[0]))  # ids are 16-byte aligned
    index = looked = 0
    while index < len(pieces):
        for child in gc.get_referents(pieces[index]):
            looked += 1
            if not looked % STEP:
                yield  # a container of 100,000 items is looked at in several steps
            key = id(child)
            shard = (key >> 4) & _MASK
            if key in listed[shard] or not gc.is_tracked(child):
                continue  # listed, or an atom (str, int, tuple of atoms): freed with its parent
            counts = held[shard]
            count = counts[key] = counts.get(key, 0) + 1
            if sys.getrefcount(child) - _OVERHEAD == count:  # else held elsewhere too, so far
                listed[shard].add(key)
                pieces.append(child)
        index += 1
    for shard in range(_SHARDS):  # let go of the bookkeeping a shard at a time too
        listed[shard], held[shard] = set(), {}
        if not shard % 16:
            yield


async def unheld(box: list[Any], others: int = 0) -> None:
    """Until nothing but ``box`` (and ``others`` references the caller knows of)
    holds its object: the calls that took it as their config snapshot ended;
    :data:`HELD_WAIT` at most.  Let go of before, it would be freed in one go when
    the last of them ends."""
    for _ in range(int(HELD_WAIT / _LOOK_EVERY)):  # no event says so: look
        if sys.getrefcount(box[0]) <= 2 + others:  # the list's reference, the argument
            return
        await asyncio.sleep(_LOOK_EVERY)


async def let_go(box: list[Any], pace: float = PACE) -> int:
    """Free what ``box``'s one item holds (the caller gives its last reference
    through ``box``, emptied here), parents first, the calls served every ``pace``
    seconds.  Returns how many objects were let go of."""
    pieces: list[object | None] = [box.pop()]
    pacer = Pacer(pace)
    for _ in _listing(pieces):
        await pacer.step()
    for index in range(len(pieces)):
        pieces[index] = None
        if not index % STEP:
            await pacer.step()
    return len(pieces)


def drain(mapping: dict[Any, Any]) -> None:
    """Empty ``mapping`` an item at a time: a dict of 250,000 items freed in one go
    (``del``, ``clear()``) holds the GIL 14 ms."""
    while mapping:
        mapping.popitem()


__all__ = ["PACE", "Pacer", "drain", "let_go", "unheld"]
