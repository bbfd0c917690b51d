"""Boss filters on past calls (`autocom simulate`): the bsfilter decision taken again.

A ticket names the boss whose filter took a call, not whether the boss had the
filter switched on then (*37): the replay assumes the switches stored now (a
boss never switched: the filter's default), and says so.  The decision is the
hook's own, :func:`engine.decide`, with the slots of the call rights at the
call's time.  A ticket has the caller's number, not the device nor a transfer
by a secretary: the caller is known by its number only.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import datetime

from apps.boss_secretary import engine, state
from apps.boss_secretary.rules import FilterRules
from apps.boss_secretary.slots import slot_check
from autocom.loader import Config
from autocom.store.base import StateStore
from autocom.whatif.replay import Part, PastCall, Replay, ReplayStep


def rules_of(config: Config) -> FilterRules | None:
    rules = config.rules.get("boss_secretary")
    return rules if isinstance(rules, FilterRules) else None


def bosses(*configs: Config) -> frozenset[str]:
    """Every boss of any filter of these configs."""
    return frozenset(
        b.extension
        for config in configs
        if (rules := rules_of(config)) is not None
        for f in rules.filters
        for b in f.bosses
    )


def filter_part(config: Config, stored: Mapping[str, bool], call: PastCall, when: datetime) -> Part:
    """What the bsfilter hook decides for ``call`` at ``when`` under ``config``."""
    rules = rules_of(config)
    if rules is None:
        return Part("direct", False, "boss_secretary does not run")
    time_rules = config.rules.get("time_rules")
    plan = engine.decide(
        rules, config.site, call.caller, call.called_user, when, stored, slot_check(time_rules)
    )
    if plan.action != "filter":
        return Part("direct", False, plan.reason)
    rings = " then ".join(" + ".join(leg.label for leg in step.legs) for step in plan.steps)
    return Part(f"filter {plan.filter}: {rings}", True, plan.reason)


def step(stored: Mapping[str, bool], filtered: frozenset[str]) -> ReplayStep:
    def key(call: PastCall) -> Hashable | None:
        return (call.called_user, call.caller) if call.called_user in filtered else None

    def decide(config: Config, call: PastCall, when: datetime) -> Part:
        return filter_part(config, stored, call, when)

    return ReplayStep("secretary", "before", decide, key)


async def replay(store: StateStore, current: Config, new: Config) -> Replay:
    stored = await state.all_states(store)
    filtered = bosses(current, new)
    switched = ", ".join(f"{b} {'on' if on else 'off'}" for b, on in sorted(stored.items()))
    assumed = (
        "boss filters: switched (*37) as stored now, for every call "
        f"({switched or 'none switched: each filter default'})",
        "boss filters: the caller is known by its number (a ticket has no device, and a "
        "call put through by a secretary is replayed as a new call to the boss)",
    )
    return Replay("boss_secretary", (step(stored, filtered),), assumed)
