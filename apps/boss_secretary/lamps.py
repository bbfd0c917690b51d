"""The filters' BLF lamps, kept by the shared lamp keeper (autocom.ari.lamps).

A call to *37<boss> sets the lamp itself (SET VARIABLE DEVICE_STATE(...)).
What changes the state outside a call (`autocom filter on|off`, another
autocom server, a state kept while Asterisk restarted) reaches the lamps
through the ``ari:`` section of autocom.yaml: at server start every lamp is
set from the state store, then every ``lamp_sync`` seconds (filters.yaml) the
lamps whose state changed.  This module gives the keeper what is the
filters': :func:`wanted` (every boss's lamp: the stored state or the filter's
default) and :func:`interval`; :func:`push` is `autocom filter on|off`'s.
"""

from __future__ import annotations

from collections.abc import Mapping

from apps.boss_secretary import state
from apps.boss_secretary.rules import FilterRules
from autocom.ari import lamps
from autocom.config.settings import AriSettings
from autocom.loader import Config
from autocom.store.base import StateStore

NAME = "boss_secretary"


def _rules(config: Config) -> FilterRules | None:
    rules = config.rules.get(NAME)
    return rules if isinstance(rules, FilterRules) else None


async def wanted(config: Config, store: StateStore) -> dict[str, str]:
    """Every boss of filters.yaml -> its lamp's state (no filter file: no lamp, no read)."""
    rules = _rules(config)
    if rules is None or not rules.filters:
        return {}
    on = state.effective(rules, await state.all_states(store))
    return {state.lamp_device(boss): state.lamp_state(value) for boss, value in on.items()}


def interval(config: Config) -> float:
    rules = _rules(config)
    return (rules or FilterRules()).lamp_sync


async def push(settings: AriSettings | None, states: Mapping[str, bool]) -> str:
    """Set these bosses' lamps now (boss -> on); a short report for the CLI."""
    devices = {state.lamp_device(boss): state.lamp_state(on) for boss, on in states.items()}
    return await lamps.push(settings, devices, without_ari="it follows at the next *37")
