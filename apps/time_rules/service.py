"""PIN lockouts offered to other features (autocom.services.PinLocksService): the
status `autocom rights pin-status` prints and the unlock of `pin-unlock`."""

from __future__ import annotations

from datetime import datetime

from apps.time_rules.pinlock import OwnerLocks, PinLocks, valid_owner
from autocom.context import AppContext
from autocom.rights import TimeRules
from autocom.rights.lockout import decide_lock
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
