"""Boss filters on past calls (`autocom simulate`): the bsfilter decision taken again.

A ticket names the boss whose filter took a call, not whether the boss had the
filter switched on then (*37) nor the VIP numbers secretaries had added: the
replay assumes the switches and added VIPs stored now (a boss never switched:
the filter's default), and says so.  The decision is the
hook's own, :func:`engine.decide`, with the slots of the call rights at the
call's time.  A ticket has the caller's number, not the device nor a transfer
by a secretary: the caller is known by its number only.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime

from apps.boss_secretary import engine, state
from apps.boss_secretary.patterns import matches
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


Added = Mapping[str, tuple[str, ...]]  # boss -> the VIP numbers secretaries added


def filter_part(
    config: Config, stored: Mapping[str, bool], added: Added, call: PastCall, when: datetime
) -> Part:
    """What the bsfilter hook decides for ``call`` at ``when`` under ``config`` (the
    hook reads the added VIPs only for a caller with a number: so does this)."""
    rules = rules_of(config)
    if rules is None:
        return Part("direct", False, "boss_secretary does not run")
    boss = call.called_user
    vips = added.get(boss, ()) if call.caller else ()
    slots = slot_check(config.rules.get("time_rules"))
    plan = engine.decide(rules, config.site, call.caller, boss, when, stored, slots, vips)
    if plan.action != "filter":
        return Part("direct", False, plan.reason)
    rings = " then ".join(" + ".join(leg.label for leg in step.legs) for step in plan.steps)
    return Part(f"filter {plan.filter}: {rings}", True, plan.reason)


CallerFacts = tuple[tuple[str | None, tuple[bool, ...]] | None, ...]


def caller_facts(configs: Sequence[Config], boss: str) -> Callable[[str], CallerFacts]:
    """What ``engine.decide`` reads of a caller known by its number only, for ``boss``
    under each config: the number when it is the boss's or a secretary's own (exempt),
    and which VIP entries it matches.  Callers with equal facts are decided alike."""
    per_config: list[tuple[frozenset[str], tuple[str, ...]] | None] = []
    for config in configs:
        rules = rules_of(config)
        filt = rules.filter_of(boss) if rules is not None else None
        boss_rule = filt.boss(boss) if filt is not None else None
        if filt is None or boss_rule is None:
            per_config.append(None)
            continue
        exempt = frozenset({boss, *engine.secretary_extensions(filt, config.site)})
        users = frozenset(e for e in exempt if config.site.user(e) is not None)
        per_config.append((users, (*boss_rule.vip, *filt.vip)))

    def facts(caller: str) -> CallerFacts:
        return tuple(
            None
            if c is None
            else (caller if caller in c[0] else None, tuple(matches(v, caller) for v in c[1]))
            for c in per_config
        )

    return facts


def step(stored: Mapping[str, bool], added: Added, configs: Sequence[Config]) -> ReplayStep:
    facts = {boss: caller_facts(configs, boss) for boss in bosses(*configs)}
    known: dict[tuple[str, str], Hashable] = {}

    def key(call: PastCall) -> Hashable | None:
        boss = call.called_user
        of = facts.get(boss)
        if of is None:
            return None
        pair = (boss, call.caller)
        found = known.get(pair)
        if found is None:
            found = known[pair] = (boss, of(call.caller), call.caller in added.get(boss, ()))
        return found

    def decide(config: Config, call: PastCall, when: datetime) -> Part:
        return filter_part(config, stored, added, call, when)

    return ReplayStep("secretary", "before", decide, key, frozenset(facts))


async def replay(store: StateStore, current: Config, new: Config) -> Replay:
    stored = await state.all_states(store)
    vips = await store.items(state.VIP_NAMESPACE)
    added = {boss: numbers for boss, value in vips.items() if (numbers := state.parse_vips(value))}
    shown = "; ".join(f"{b}: {', '.join(n)}" for b, n in sorted(added.items()))
    switched = ", ".join(f"{b} {'on' if on else 'off'}" for b, on in sorted(stored.items()))
    assumed = (
        "boss filters: switched (*37) as stored now, for every call "
        f"({switched or 'none switched: each filter default'})",
        f"boss filters: the VIP numbers secretaries added, as stored now ({shown or 'none'})",
        "boss filters: the caller is known by its number (a ticket has no device, and a "
        "call put through by a secretary is replayed as a new call to the boss)",
    )
    return Replay("boss_secretary", (step(stored, added, (current, new)),), assumed)
