"""Bosses' filters offered to other features (autocom.services.BossFiltersService).

Who may switch is *37's rule (``engine.may_toggle``); the state is the same key in
the store and the lamp the same ``Custom:bsfilter-<boss>`` device, pushed over ARI
(the dialplan sets it after *37).  The same people add and remove the VIP numbers of
the overlay (``vips.py``), which the next call's decision reads.
"""

from __future__ import annotations

from apps.boss_secretary import engine, lamps, state, vips
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
            added = await state.get_vips(ctx.store, boss.extension)
            vip = filt.vip + boss.vip
            out.append(BossFilterView(boss.extension, name, filt.name, on, vip, added))
    return out


async def change_vip(ctx: AppContext, user: str, boss: str, typed: str, add: bool) -> Change:
    """Add or remove one VIP number of ``boss`` in the store, if *37 would let ``user``
    switch the boss's filter; the rule file's list is the admin's and stays as it is."""
    rules = _rules(ctx)
    filt = rules.filter_of(boss) if rules is not None else None
    if rules is None or filt is None:
        return Change(False, f"{boss} is not a boss of a filter", code="not_boss")
    if not engine.may_toggle(rules, ctx.config.current.site, user, boss):
        why = f"{user} is neither {boss} nor one of {boss}'s secretaries"
        return Change(False, why, code="not_yours", facts=(("boss", boss),))
    number = vips.number_of(typed)
    boss_rule = filt.boss(boss)
    assert boss_rule is not None
    try:
        if number is None:
            done = vips.bad_number(typed)
        else:
            current = await state.get_vips(ctx.store, boss)
            done = vips.edit(current, number, add, filt.vip + boss_rule.vip)
        if done.numbers is not None:
            await state.set_vips(ctx.store, boss, done.numbers)
    except StoreError as exc:
        why = f"the state store cannot be reached ({exc}): nothing changed"
        return Change(False, why, code="store_down")
    if done.numbers is not None:
        ctx.last_known.remember(state.VIP_NAMESPACE, boss, ",".join(done.numbers) or None)
    facts = (("boss", boss), ("number", done.number), ("max", str(vips.MAX_PER_BOSS)))
    return Change(done.numbers is not None, done.reason, code=done.code, facts=facts)


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
