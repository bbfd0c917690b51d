"""PIN lockout state in the state store (SQLite or Redis), namespace ``rights_pin_lock``.

Three keys per PIN owner (an extension):

- ``count:<owner>``: the wrong PINs of the current window, an atomic counter
  (``StateStore.incr``) whose ttl, ``window``, is set by the first wrong PIN:
  the window starts there.  This is the count that locks; no wrong PIN is lost
  however many calls on however many servers sharing the store type at once.
- ``lock:<owner>``: ``{"until": epoch, "since": epoch, "failures": n}`` while a
  lock lasts (written whole, expiring at its end).
- ``seen:<owner>``: ``{"since": epoch, "failures": [[epoch, "caller"], ...]}``,
  the wrong PINs of the window (or of the lock) with the phone each came from,
  for ``autocom rights pin-status``.  A read then a write, serialised per owner
  on one server by :class:`OwnerLocks`; across servers two writes in the same
  gap can drop an entry of this record (never of the count, which decides).

A lock check is three GETs sent at once; a wrong PIN is a GET (the lock), an
INCR, a GET and a SET (the record), plus a SET and a DELETE when it locks.
Never a SCAN (``items()`` walks every key of a Redis).

Every method raises :class:`autocom.store.base.StoreError` when the store cannot
answer; the hook then refuses the PIN (docs/time_rules.md). The decision
itself is :func:`autocom.rights.lockout.decide_lock` (pure).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from autocom.rights.lockout import LockDecision, LockoutPolicy, PinHistory
from autocom.store import codec
from autocom.store.base import StateStore

NAMESPACE = "rights_pin_lock"
OWNER_RE = re.compile(r"^[0-9A-Za-z*#+._-]{1,64}$")
KEEP_FAILURES = 100  # the most a lockout can count (failures: <= 100)

# decide_lock with the policy, time and zone bound: history -> decision
Decide = Callable[[PinHistory], LockDecision]


def valid_owner(owner: str) -> bool:
    """An extension or caller number usable in a key (no ':', which separates keys)."""
    return OWNER_RE.match(owner) is not None


@dataclass(frozen=True)
class Failure:
    at: float
    caller: str


class OwnerLocks:
    """One asyncio.Lock per PIN owner in use (dropped when nobody waits on it)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, owner: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(owner, (asyncio.Lock(), 0))
        self._locks[owner] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[owner]
            if users <= 1:
                del self._locks[owner]
            else:
                self._locks[owner] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


def _count_key(owner: str) -> str:
    return f"count:{owner}"


def _lock_key(owner: str) -> str:
    return f"lock:{owner}"


def _seen_key(owner: str) -> str:
    return f"seen:{owner}"


def _float(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _json(raw: str | None) -> dict[str, Any]:
    # not ours: treated as empty, overwritten by the next write
    return codec.decode(raw) or {}


def _count(raw: str | None) -> int:
    try:
        return max(0, int(raw)) if raw is not None else 0
    except ValueError:
        return 0


def _failures(seen: dict[str, Any]) -> list[Failure]:
    found: list[Failure] = []
    raw = seen.get("failures")
    for item in raw if isinstance(raw, list) else ():
        if (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], int | float)
            and not isinstance(item[0], bool)
        ):
            found.append(Failure(float(item[0]), str(item[1])))
    return sorted(found, key=lambda f: f.at)


def _history(lock: dict[str, Any], count: int, seen: dict[str, Any]) -> PinHistory:
    locked_failures = lock.get("failures")
    return PinHistory(
        count=count,
        failures=tuple(f.at for f in _failures(seen)),
        since=_float(seen, "since"),
        locked_until=_float(lock, "until"),
        locked_since=_float(lock, "since"),
        locked_failures=locked_failures if isinstance(locked_failures, int) else 0,
    )


class PinLocks:
    """Read and write one site's PIN lockout state through a StateStore."""

    def __init__(self, store: StateStore, owners: OwnerLocks | None = None) -> None:
        self.store = store
        self.owners = owners if owners is not None else OwnerLocks()

    async def history(self, owner: str) -> PinHistory:
        """The owner's snapshot: the lock, the count and the record (three GETs at once)."""
        lock, count, seen = await asyncio.gather(
            self.store.get(NAMESPACE, _lock_key(owner)),
            self.store.get(NAMESPACE, _count_key(owner)),
            self.store.get(NAMESPACE, _seen_key(owner)),
        )
        return _history(_json(lock), _count(count), _json(seen))

    async def failures(self, owner: str) -> list[Failure]:
        """The wrong PINs recorded for the owner, oldest first (for pin-status)."""
        return _failures(_json(await self.store.get(NAMESPACE, _seen_key(owner))))

    async def record_failure(
        self, owner: str, at: float, caller: str, policy: LockoutPolicy, decide: Decide
    ) -> LockDecision:
        """Count a wrong PIN (atomic INCR) and, if ``decide`` says so, start the lock.

        A wrong PIN that arrives when a lock has started since the hook checked
        (a call on another server locked it) is not counted: the lock answers.
        """
        async with self.owners.hold(owner):
            lock = _json(await self.store.get(NAMESPACE, _lock_key(owner)))
            until = _float(lock, "until")
            if until is not None and until > at:
                return decide(_history(lock, 0, {}))
            count = await self.store.incr(NAMESPACE, _count_key(owner), ttl=policy.window)
            # the first wrong PIN of a window starts a new record
            seen = _json(await self.store.get(NAMESPACE, _seen_key(owner))) if count > 1 else {}
            since = _float(seen, "since") if count > 1 else at
            kept = [[f.at, f.caller] for f in _failures(seen)]
            seen = {
                "since": at if since is None else since,
                "failures": [*kept, [at, caller]][-KEEP_FAILURES:],
            }
            decision = decide(_history({}, count, seen))
            keep = float(policy.window)
            if decision.start_lock:
                until = decision.until if decision.until is not None else at + policy.lock
                lock = {"until": until, "since": at, "failures": decision.failures}
                ttl = max(until - at, 1.0)
                await self.store.set(NAMESPACE, _lock_key(owner), codec.encode(lock), ttl=ttl)
                # the lock's wrong PINs are spent: the next one after it opens a new window
                await self.store.delete(NAMESPACE, _count_key(owner))
                keep = max(keep, ttl)  # pin-status shows what made the lock while it lasts
            await self.store.set(NAMESPACE, _seen_key(owner), codec.encode(seen), ttl=keep)
            return decision

    async def reset(self, owner: str, now: float, policy: LockoutPolicy) -> None:
        """A right PIN: the wrong PINs so far no longer count (two DELETEs; a lock stays)."""
        async with self.owners.hold(owner):
            await self.store.delete(NAMESPACE, _count_key(owner))
            await self.store.delete(NAMESPACE, _seen_key(owner))

    async def unlock(self, owner: str, now: float) -> bool:
        """An admin's unlock: lift the lock and forget the wrong PINs; True if it was locked.

        The keys are deleted, not stamped with the CLI's time: a CLI host whose
        clock runs ahead of the servers' cannot hide their next failures.
        """
        async with self.owners.hold(owner):
            until = _float(_json(await self.store.get(NAMESPACE, _lock_key(owner))), "until")
            for key in (_lock_key(owner), _count_key(owner), _seen_key(owner)):
                await self.store.delete(NAMESPACE, key)
            return until is not None and until > now


__all__ = ["NAMESPACE", "Failure", "OwnerLocks", "PinLocks", "valid_owner"]
