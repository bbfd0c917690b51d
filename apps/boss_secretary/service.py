"""Bosses' filters offered to other features (autocom.services.BossFiltersService).

Who may switch is *37's rule (``engine.may_toggle``); the state is the same key in
the store and the lamp the same ``Custom:bsfilter-<boss>`` device, pushed over ARI
(the dialplan sets it after *37).
"""

from __future__ import annotations

from apps.boss_secretary import engine, lamps, state
from apps.boss_secretary.rules import FilterRules
from autocom.context import AppContext
from autocom.services import BossFilterView, Change
from autocom.store.base import StoreError


def _rules(ctx: AppContext) -> FilterRules | None:
    rules = ctx.config.current.rules.get("boss_secretary")
    return rules if isinstance(rules, FilterRules) else None


async def filters_for(ctx: AppContext, user: str) -> list[BossFilterView]:
    rules = _rules(ctx)
    if rules is None:
        return []
    site = ctx.config.current.site
    out: list[BossFilterView] = []
    for filt in rules.filters:
        for boss in filt.bosses:
            if not engine.may_toggle(rules, site, user, boss.extension):
                continue
            stored = await state.get_state(ctx.store, boss.extension)
            person = site.user(boss.extension)
            name = f"{person.first_name} {person.name}".strip() if person else boss.extension
            on = filt.default if stored is None else stored
            out.append(BossFilterView(boss.extension, name, filt.name, on, filt.vip + boss.vip))
    return out


async def switch(ctx: AppContext, user: str, boss: str, on: bool) -> Change:
    """Turn ``boss``'s filter on or off for ``user``, if *37 would let ``user`` do it."""
    rules = _rules(ctx)
    if rules is None or rules.filter_of(boss) is None:
        return Change(False, f"{boss} is not a boss of a filter")
    if not engine.may_toggle(rules, ctx.config.current.site, user, boss):
        return Change(False, f"{user} is neither {boss} nor one of {boss}'s secretaries")
    try:
        await state.set_state(ctx.store, boss, on)
    except StoreError as exc:
        return Change(False, f"the state store cannot be reached ({exc}): nothing changed")
    ctx.last_known.remember(state.NAMESPACE, boss, state.ON if on else state.OFF)
    await lamps.push(ctx.config.current.settings.ari, {boss: on})
    return Change(True, f"filter of {boss} {'on' if on else 'off'}")
