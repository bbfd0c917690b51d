"""PIN lockout state in the state store (SQLite or Redis), namespace ``rights_pin_lock``.

Keys, per PIN owner (an extension):

- ``fail:<owner>:<ms>-<random>``: one key per wrong PIN, value
  ``{"at": epoch, "caller": ext}``, expiring after the lockout window.  One key
  per failure, never a counter read then written: two autocom servers sharing a
  Redis that count a failure at the same moment both count it.
- ``state:<owner>``: ``{"reset_at", "locked_until", "locked_since",
  "locked_failures"}``: the last reset (right PIN, lock start, unlock) and the
  lock, expiring when neither matters any more.

Every method raises :class:`autocom.store.base.StoreError` when the store cannot
answer; the hook then refuses the PIN (docs/time_rules.md).  The decision
itself is :func:`apps.time_rules.lockout.decide_lock` (pure).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from apps.time_rules.lockout import LockDecision, LockoutPolicy, PinHistory
from autocom.store.base import StateStore

NAMESPACE = "rights_pin_lock"
OWNER_RE = re.compile(r"^[0-9A-Za-z*#+._-]{1,64}$")


def valid_owner(owner: str) -> bool:
    """An extension or caller number usable in a key (no ':', which separates keys)."""
    return OWNER_RE.match(owner) is not None


@dataclass(frozen=True)
class Failure:
    at: float
    caller: str


def _state_key(owner: str) -> str:
    return f"state:{owner}"


def _fail_prefix(owner: str) -> str:
    return f"fail:{owner}:"


def _float(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) else None


class PinLocks:
    """Read and write one site's PIN lockout state through a StateStore."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    async def history(self, owner: str, *, with_failures: bool = True) -> PinHistory:
        """The owner's snapshot; without failures it costs one GET (enough to see a lock)."""
        state = await self._state(owner)
        failures = tuple(f.at for f in await self.failures(owner)) if with_failures else ()
        return PinHistory(
            failures=failures,
            reset_at=_float(state, "reset_at"),
            locked_until=_float(state, "locked_until"),
            locked_since=_float(state, "locked_since"),
            locked_failures=int(state.get("locked_failures") or 0),
        )

    async def failures(self, owner: str) -> list[Failure]:
        """The wrong PINs still stored for the owner, oldest first."""
        found: list[Failure] = []
        for value in (await self.store.items(NAMESPACE, _fail_prefix(owner))).values():
            try:
                data = json.loads(value)
                found.append(Failure(float(data["at"]), str(data.get("caller", ""))))
            except (ValueError, KeyError, TypeError):
                continue  # a value we did not write: ignore it, it expires
        return sorted(found, key=lambda f: f.at)

    async def record_failure(
        self, owner: str, at: float, caller: str, policy: LockoutPolicy
    ) -> None:
        key = f"{_fail_prefix(owner)}{int(at * 1000)}-{os.urandom(4).hex()}"
        value = json.dumps({"at": at, "caller": caller})
        await self.store.set(NAMESPACE, key, value, ttl=policy.window)

    async def start_lock(
        self, owner: str, decision: LockDecision, now: float, policy: LockoutPolicy
    ) -> None:
        """Write the lock; it also resets the count (the failures before it are spent)."""
        until = decision.until if decision.until is not None else now + policy.lock
        state = {
            "reset_at": now,
            "locked_until": until,
            "locked_since": now,
            "locked_failures": decision.failures,
        }
        ttl = max(policy.window, until - now, 1.0)
        await self.store.set(NAMESPACE, _state_key(owner), json.dumps(state), ttl=ttl)

    async def reset(self, owner: str, now: float, policy: LockoutPolicy) -> None:
        """A right PIN: the wrong PINs before ``now`` no longer count."""
        state = {"reset_at": now}
        await self.store.set(NAMESPACE, _state_key(owner), json.dumps(state), ttl=policy.window)

    async def unlock(self, owner: str, now: float, policy: LockoutPolicy | None) -> bool:
        """An admin's unlock: lift the lock and forget the wrong PINs; True if locked."""
        state = await self._state(owner)
        until = _float(state, "locked_until")
        was_locked = until is not None and until > now
        for key in await self.store.items(NAMESPACE, _fail_prefix(owner)):
            await self.store.delete(NAMESPACE, key)
        if policy is not None:
            await self.reset(owner, now, policy)
        else:
            await self.store.delete(NAMESPACE, _state_key(owner))
        return was_locked

    async def _state(self, owner: str) -> dict[str, Any]:
        raw = await self.store.get(NAMESPACE, _state_key(owner))
        if raw is None:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


__all__ = ["NAMESPACE", "Failure", "PinLocks", "valid_owner"]
