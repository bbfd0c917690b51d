"""Forward lamps (BLF) pushed to Asterisk over ARI, whatever changed the forward.

A feature code sets its user's three lamps itself, in the dialplan
(autocom-forwards-lamps).  Everything else that changes the state store
reaches the lamps here, through the ``ari:`` section of autocom.yaml:

- `autocom forwards set|clear` pushes the user's lamps at once (:func:`push`);
- the server's :class:`LampSync` sets every lamp of the site from the store at
  start, then every ``lamp_sync`` seconds (forwards.yaml) the lamps whose state
  changed: a CLI run that could not reach ARI, another autocom server on the
  same Redis, a script writing the store.

Lamps are ``Custom:`` devices set with ``DEVICE_STATE()`` as a global variable
(autocom.ari.device_states): ARI refuses ``Custom:`` in ``/deviceStates``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from apps.forwards import engine, state
from apps.forwards.rules import ForwardsRules
from autocom.ari.client import AriClient
from autocom.ari.device_states import DeviceStates
from autocom.ari.errors import AriConnectionError, AriError, AriTimeout
from autocom.config.settings import AriSettings
from autocom.site.model import Site
from autocom.store.base import StateStore, StoreError

log = logging.getLogger("autocom.forwards.lamps")


def client(settings: AriSettings) -> AriClient:
    return AriClient(settings.url, settings.user, settings.password, timeout=settings.timeout)


async def push(settings: AriSettings | None, states: Mapping[str, str]) -> str:
    """Set these lamps now (device -> state); a short report for the CLI."""
    if settings is None:
        return (
            "lamps not set: no ari: section in autocom.yaml; "
            "they follow at the user's next forward code"
        )
    try:
        async with client(settings) as ari:
            lamps = DeviceStates(ari)
            for device, value in states.items():
                await lamps.set_custom(device, value)
    except AriError as exc:
        return f"lamps not set ({exc}); the server's next lamp sync sets them"
    return "lamps set"


class LampSync:
    """The server's lamp keeper: every lamp of the site at start, then the changed ones."""

    def __init__(self, settings: AriSettings) -> None:
        self.pushed: dict[str, str] = {}  # device -> state last set by this sync
        self.syncs = 0
        self._ari = client(settings)

    async def sync_once(self, site: Site, store: StateStore) -> int:
        """Set every lamp whose stored state differs from what was last set; the count.

        One store read for the whole namespace (a SCAN on Redis: in the
        background, never on a call).  Asterisk unreachable: the round stops and
        the next one sets every lamp again (Asterisk may have restarted).
        """
        try:
            stored = await state.load_all(store)
        except StoreError as exc:
            log.warning("lamp sync: state store: %s; trying again later", exc)
            return 0
        lamps = DeviceStates(self._ari)
        count = 0
        for device, value in engine.wanted_lamps(site, stored).items():
            if self.pushed.get(device) == value:
                continue
            try:
                await lamps.set_custom(device, value)
            except (AriConnectionError, AriTimeout) as exc:
                # Asterisk may be restarting: set every lamp again once it answers
                log.warning("lamp sync: Asterisk unreachable (%s); trying again later", exc)
                self.pushed.clear()
                break
            except AriError as exc:
                log.warning("lamp sync: %s not set: %s", device, exc)
                continue
            self.pushed[device] = value
            count += 1
        self.syncs += 1
        return count

    async def run(self, config_of: Callable[[], tuple[Site, object]], store: StateStore) -> None:
        """Sync until cancelled; ``config_of()`` gives the current site and forwards rules."""
        while True:
            site, rules = config_of()
            await self.sync_once(site, store)
            interval = rules.lamp_sync if isinstance(rules, ForwardsRules) else 10.0
            await asyncio.sleep(interval)

    async def close(self) -> None:
        await self._ari.close()
