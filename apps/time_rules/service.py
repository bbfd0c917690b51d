"""PINs offered to other features (autocom.services.PinLocksService): the lock status
`autocom rights pin-status` prints, the unlock of `pin-unlock`, and a user's own PIN
change (stored as `set-pin` does, after the current PIN is checked as a call checks
it: a wrong one counts towards the lockout)."""

from __future__ import annotations

from datetime import datetime

from apps.time_rules.state import OwnerLocks, PinLocks, valid_owner
from autocom.context import AppContext
from autocom.rights import TimeRules
from autocom.rights.lockout import decide_lock
from autocom.rights.pins import STORE_NAMESPACE, hash_pin, verify_pin
from autocom.services import Change, PinLockView
from autocom.store.base import StoreError


def _rules(ctx: AppContext) -> TimeRules | None:
    rules = ctx.config.current.rules.get("time_rules")
    return rules if isinstance(rules, TimeRules) else None


async def pin_lock(ctx: AppContext, owners: OwnerLocks, owner: str, now: datetime) -> PinLockView:
    rules = _rules(ctx)
    if not valid_owner(owner):
        return PinLockView(False, f"{owner!r} is not an extension")
    if rules is None or rules.lockout is None:
        return PinLockView(False, "PIN lockout is off (pin: lockout: off)")
    try:
        history = await PinLocks(ctx.store, owners).history(owner)
    except StoreError as exc:
        return PinLockView(False, f"unknown: the state store cannot be reached ({exc})")
    lock = decide_lock(rules.lockout, history, now.timestamp(), rules.tz)
    return PinLockView(lock.locked, lock.reason)


async def unlock(ctx: AppContext, owners: OwnerLocks, owner: str, now: datetime) -> Change:
    if not valid_owner(owner):
        return Change(False, f"{owner!r} is not an extension")
    try:
        was = await PinLocks(ctx.store, owners).unlock(owner, now.timestamp())
    except StoreError as exc:
        return Change(False, f"the state store cannot be reached ({exc}): nothing changed")
    done = "unlocked" if was else "was not locked"
    return Change(True, f"PIN of {owner} {done}, its wrong PINs forgotten")


async def change_pin(
    ctx: AppContext, owners: OwnerLocks, owner: str, current: str, new: str, now: datetime
) -> Change:
    rules = _rules(ctx)
    if rules is None or not valid_owner(owner):
        return Change(False, "no call rights file: PINs are not used on this server")
    settings = rules.model.pin
    if not new.isdigit() or not settings.min_digits <= len(new) <= settings.max_digits:
        return Change(False, f"a PIN is {settings.min_digits} to {settings.max_digits} digits")
    locks = PinLocks(ctx.store, owners)
    try:
        if rules.lockout is not None:
            lock = decide_lock(rules.lockout, await locks.history(owner), now.timestamp(), rules.tz)
            if lock.locked:
                return Change(False, f"the PIN is locked ({lock.reason}): ask the helpdesk")
        stored = await ctx.store.get(STORE_NAMESPACE, owner) or rules.pins.get(owner)
        if stored is not None and not verify_pin(current, stored):
            if rules.lockout is not None:
                policy, at = rules.lockout, now.timestamp()
                await locks.record_failure(
                    owner, at, "portal", policy, lambda h: decide_lock(policy, h, at, rules.tz)
                )
            return Change(False, "the current PIN is wrong")
        await ctx.store.set(STORE_NAMESPACE, owner, hash_pin(new))
    except StoreError as exc:
        return Change(False, f"the state store cannot be reached ({exc}): nothing changed")
    return Change(True, f"PIN of {owner} changed")
