"""Personal speed dials offered to other features (autocom.services.SpeedDialsService):
a slot is stored or deleted by the store/delete codes' own decision (``engine.resolve``
with the user's call rights at that moment: a number the plan does not know is
refused)."""

from __future__ import annotations

from datetime import datetime

from apps.speed_dial import engine, state
from apps.speed_dial.rules import SpeedDialRules
from autocom.context import AppContext
from autocom.rights import rights_for
from autocom.services import Change, SpeedDialView
from autocom.store.base import StoreError


def _rules(ctx: AppContext) -> SpeedDialRules:
    rules = ctx.config.current.rules.get("speed_dial")
    return rules if isinstance(rules, SpeedDialRules) else SpeedDialRules()


async def speed_dials_of(ctx: AppContext, user: str) -> list[SpeedDialView]:
    found = await state.load(ctx.store, user)
    return [SpeedDialView(slot, e.number, e.label) for slot, e in sorted(found.items())]


async def change(ctx: AppContext, user: str, request: engine.Request, now: datetime) -> Change:
    """Store or delete one slot for ``user`` as the phone code would at ``now``."""
    rules = _rules(ctx)
    slot = engine.slot_of(request.slot, rules.personal.slots)
    if slot is None:
        return Change(False, f"slot {request.slot!r}: write 0 to {rules.personal.slots - 1}")
    config = ctx.config.current
    try:
        personal = await state.load_slot(ctx.store, user, slot)
        res = engine.resolve(
            rules,
            config.site,
            user,
            engine.Request(request.action, slot=slot, number=request.number.strip()),
            personal,
            rights_for(config, now, "call"),
        )
        if res.outcome == "refused":
            return Change(False, res.reason, res.trace)
        if res.changes:
            await state.apply(ctx.store, user, res.changes)
    except StoreError as exc:
        return Change(False, f"the state store cannot be reached ({exc}): nothing changed")
    return Change(True, res.reason, res.trace)
