"""Push the filters' BLF lamps to Asterisk over ARI (the ari: section of autocom.yaml).

A call to *37<boss> sets the lamp itself (SET VARIABLE DEVICE_STATE(...)).
What changes the state outside a call (`autocom filter on|off`, another
autocom server, a state kept while Asterisk restarted) reaches the lamps here:
at server start every lamp is set from the state store, then every
``lamp_sync`` seconds (filters.yaml) the lamps whose state changed, through
autocom.ari.device_states (Custom: devices, set with DEVICE_STATE()).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from apps.boss_secretary import state
from apps.boss_secretary.rules import FilterRules
from autocom.ari.client import AriClient
from autocom.ari.device_states import DeviceStates
from autocom.ari.errors import AriError
from autocom.config.settings import AriSettings
from autocom.store.base import StateStore, StoreUnavailable

log = logging.getLogger("autocom.boss_secretary.lamps")


def client(settings: AriSettings) -> AriClient:
    return AriClient(settings.url, settings.user, settings.password, timeout=settings.timeout)


async def set_lamp(ari: AriClient, boss: str, on: bool) -> None:
    await DeviceStates(ari).set_custom(state.lamp_device(boss), state.lamp_state(on))


async def push_lamps(settings: AriSettings | None, states: Mapping[str, bool]) -> str:
    """Set these lamps now; a short report of what was done, for the CLI."""
    if settings is None:
        return "no ari: section in autocom.yaml: the lamp follows at the next *37"
    try:
        async with client(settings) as ari:
            for boss, on in states.items():
                await set_lamp(ari, boss, on)
    except AriError as exc:
        return f"lamp not set, the server's next sync will: {exc}"
    return "lamp set"


class LampSync:
    """The server's lamp keeper: every lamp at start, then the changed ones."""

    def __init__(self, settings: AriSettings) -> None:
        self.pushed: dict[str, bool] = {}
        self.syncs = 0
        self._ari = client(settings)

    async def sync_once(self, rules: FilterRules, store: StateStore) -> int:
        """Push every lamp that differs from what was last pushed; returns the count."""
        try:
            wanted = state.effective(rules, await state.all_states(store))
        except StoreUnavailable:
            log.warning("lamp sync: state store unavailable, trying again later")
            return 0
        count = 0
        for boss, on in wanted.items():
            if self.pushed.get(boss) == on:
                continue
            try:
                await set_lamp(self._ari, boss, on)
            except AriError as exc:
                log.warning("lamp sync: %s not set: %s", state.lamp_device(boss), exc)
                continue
            self.pushed[boss] = on
            count += 1
        self.syncs += 1
        return count

    async def run(self, rules_of: Callable[[], object], store: StateStore) -> None:
        """Sync until cancelled; ``rules_of()`` gives the current FilterRules."""
        while True:
            rules = rules_of()
            interval = 30.0
            if isinstance(rules, FilterRules):
                await self.sync_once(rules, store)
                interval = rules.lamp_sync
            await asyncio.sleep(interval)

    async def close(self) -> None:
        await self._ari.close()
