"""PIN lockout state in the state store (SQLite or Redis), namespace ``rights_pin_lock``.

One key per PIN owner (an extension), ``state:<owner>``, a JSON object::

    {"failures": [[epoch, "caller"], ...],   # the wrong PINs, newest last (at most 100)
     "reset_at": epoch,                      # last right PIN, lock start or unlock
     "locked_until": epoch, "locked_since": epoch, "locked_failures": n}

expiring when nothing in it matters any more (the window, or the end of the lock).
Every operation is one GET, or one GET and one SET, whatever the size of the
store: never a SCAN (``items()`` walks every key of a Redis; with a million
keys one wrong PIN took 0.9 s, measured).

Counting is a read then a write. On one server, :class:`OwnerLocks` serialises
them per owner, so no wrong PIN is lost however many calls type at once.
Across servers sharing a Redis, two wrong PINs for the same owner written
within the same GET-SET gap (well under a millisecond) count as one: the
store's interface has no atomic increment.

Every method raises :class:`autocom.store.base.StoreError` when the store cannot
answer; the hook then refuses the PIN (docs/time_rules.md). The decision
itself is :func:`apps.time_rules.lockout.decide_lock` (pure).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from apps.time_rules.lockout import LockDecision, LockoutPolicy, PinHistory
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


def _key(owner: str) -> str:
    return f"state:{owner}"


def _float(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _failures(data: dict[str, Any]) -> list[Failure]:
    found: list[Failure] = []
    raw = data.get("failures")
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], int | float):
            found.append(Failure(float(item[0]), str(item[1])))
    return sorted(found, key=lambda f: f.at)


def _history(data: dict[str, Any]) -> PinHistory:
    locked_failures = data.get("locked_failures")
    return PinHistory(
        failures=tuple(f.at for f in _failures(data)),
        reset_at=_float(data, "reset_at"),
        locked_until=_float(data, "locked_until"),
        locked_since=_float(data, "locked_since"),
        locked_failures=locked_failures if isinstance(locked_failures, int) else 0,
    )


class PinLocks:
    """Read and write one site's PIN lockout state through a StateStore."""

    def __init__(self, store: StateStore, owners: OwnerLocks | None = None) -> None:
        self.store = store
        self.owners = owners if owners is not None else OwnerLocks()

    async def history(self, owner: str) -> PinHistory:
        """The owner's snapshot: one GET."""
        return _history(await self._state(owner))

    async def failures(self, owner: str) -> list[Failure]:
        """The wrong PINs still stored for the owner, oldest first (for pin-status)."""
        return _failures(await self._state(owner))

    async def record_failure(
        self, owner: str, at: float, caller: str, policy: LockoutPolicy, decide: Decide
    ) -> LockDecision:
        """Count a wrong PIN and, if ``decide`` says so, start the lock (GET, SET)."""
        async with self.owners.hold(owner):
            data = await self._state(owner)
            since = at - policy.window
            kept = [[f.at, f.caller] for f in _failures(data) if f.at > since]
            data["failures"] = [*kept, [at, caller]][-KEEP_FAILURES:]
            decision = decide(_history(data))
            if decision.start_lock:
                until = decision.until if decision.until is not None else at + policy.lock
                data.update(
                    reset_at=at,
                    locked_until=until,
                    locked_since=at,
                    locked_failures=decision.failures,
                )
            await self._write(owner, data, at, policy)
            return decision

    async def reset(self, owner: str, now: float, policy: LockoutPolicy) -> None:
        """A right PIN: the wrong PINs so far no longer count (one SET)."""
        async with self.owners.hold(owner):
            await self._write(owner, {"reset_at": now}, now, policy)

    async def unlock(self, owner: str, now: float) -> bool:
        """An admin's unlock: lift the lock and forget the wrong PINs; True if it was locked.

        The key is deleted, not stamped with the CLI's time: a CLI host whose
        clock runs ahead of the servers' would otherwise hide their next failures.
        """
        async with self.owners.hold(owner):
            until = _float(await self._state(owner), "locked_until")
            await self.store.delete(NAMESPACE, _key(owner))
            return until is not None and until > now

    async def _write(
        self, owner: str, data: dict[str, Any], now: float, policy: LockoutPolicy
    ) -> None:
        until = _float(data, "locked_until") or now
        ttl = max(float(policy.window), until - now, 1.0)
        await self.store.set(NAMESPACE, _key(owner), json.dumps(data), ttl=ttl)

    async def _state(self, owner: str) -> dict[str, Any]:
        raw = await self.store.get(NAMESPACE, _key(owner))
        if raw is None:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            return {}  # not ours: treated as empty, overwritten by the next write
        return data if isinstance(data, dict) else {}


__all__ = ["NAMESPACE", "Failure", "OwnerLocks", "PinLocks", "valid_owner"]
