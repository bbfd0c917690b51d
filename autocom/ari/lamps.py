"""BLF lamps kept in step with the state store: the one lamp keeper every feature uses.

A feature's lamps (``Custom:`` devices, set through
:class:`autocom.ari.device_states.DeviceStates`) are a view of what its state
store says.  A call that changes the state sets its lamp in the dialplan;
everything else (a CLI run that could not reach ARI, another autocom server on
the same Redis, a script writing the store, a restarted Asterisk) reaches the
lamps here, when autocom.yaml has an ``ari:`` section:

- :class:`LampKeeper`, the server's background keeper: every lamp at start,
  then every ``interval(config)`` seconds only the lamps whose wanted state
  differs from what it last set.  A feature gives only what differs: a
  function giving the wanted ``{device: state}`` from the current config and
  the store, and the interval;
- :func:`push`, for the CLI: set these lamps now, and say in one line what
  was done.

Store unreachable: the round is skipped, the next one tries again.  Asterisk
unreachable (connection refused, timeout): the round stops and the next one
sets every lamp again, since Asterisk may have restarted.  Either outage is
logged once as a warning when it starts (its later rounds at debug level) and
once at info level when it ends: an autocom started before Asterisk, or without
it (``make run``), does not repeat the same line every round.
Any other refusal of one lamp (an ARI error status, a device name ARI cannot
take) is logged and the other lamps are still set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autocom.ari.client import AriClient
from autocom.ari.device_states import DeviceStates
from autocom.ari.errors import AriConnectionError, AriError, AriTimeout
from autocom.config.settings import AriSettings
from autocom.store.base import StateStore, StoreError
from autocom.tasks import cancel_and_wait

if TYPE_CHECKING:
    from autocom.context import AppContext
    from autocom.feature import Feature
    from autocom.loader import Config

log = logging.getLogger("autocom.ari.lamps")

# What a feature gives the keeper: its lamps' wanted states (may raise StoreError) ...
Wanted = Callable[["Config", StateStore], Awaitable[Mapping[str, str]]]
# ... and the seconds between two rounds, read from the current config each round.
Interval = Callable[["Config"], float]


async def push(settings: AriSettings | None, states: Mapping[str, str], *, without_ari: str) -> str:
    """Set these lamps (device -> state) now; one line for the CLI saying what was done.

    ``without_ari`` says what moves the lamps when autocom.yaml has no ``ari:``
    section (e.g. "it follows at the next *37").
    """
    one = len(states) == 1
    lamps = "lamp" if one else "lamps"
    if settings is None:
        return f"no ari: section in autocom.yaml: {lamps} not set; {without_ari}"
    try:
        async with AriClient.from_settings(settings) as ari:
            devices = DeviceStates(ari)
            for device, value in states.items():
                await devices.set_custom(device, value)
    except AriError as exc:
        them = "it" if one else "them"
        return f"{lamps} not set ({exc}); the server's next lamp sync sets {them}"
    return f"{lamps} set"


@dataclass(frozen=True)
class LampSpec:
    """A feature's BLF lamps, declared (``Feature.lamp_spec``): the server's lifespan
    runs a :class:`LampKeeper` for them while the feature runs."""

    name: str  # the keeper's name: logs, the task "autocom-<name>-lamps"
    wanted: Wanted
    interval: Interval


def start_lamps(feature: Feature, ctx: AppContext) -> None:
    """Run the keeper of ``feature``'s declared lamps as ``feature.lamps`` (none when
    it declares none or autocom.yaml has no ari:)."""
    spec = feature.lamp_spec(ctx)
    if spec is not None:
        feature.lamps = LampKeeper.start(ctx, spec.name, spec.wanted, spec.interval)


async def stop_lamps(feature: Feature) -> None:
    keeper, feature.lamps = feature.lamps, None
    if keeper is not None:
        await keeper.stop()


class LampKeeper:
    """The server's keeper of one feature's lamps: all at start, then the changed ones.

    Build it with :meth:`start` (which runs it as a task) and end it with
    :meth:`stop`; :meth:`sync_once` is one round.
    """

    def __init__(
        self,
        name: str,
        ari: AriClient,
        config_of: Callable[[], Config],
        store: StateStore,
        wanted: Wanted,
        interval: Interval,
    ) -> None:
        self.name = name
        self.pushed: dict[str, str] = {}  # device -> state last set by this keeper
        self.syncs = 0  # rounds done (a round skipped for the store is not counted)
        self._ari = ari
        self._config_of = config_of
        self._store = store
        self._wanted = wanted
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._down: set[str] = set()  # "store", "asterisk": the outages already logged

    def _outage(self, part: str, what: str) -> None:
        """Log an outage of ``part`` at warning level once, then at debug level."""
        level = logging.DEBUG if part in self._down else logging.WARNING
        self._down.add(part)
        log.log(level, "%s lamp sync: %s; trying again later", self.name, what)

    def _answers(self, part: str, what: str) -> None:
        if part in self._down:
            self._down.discard(part)
            log.info("%s lamp sync: %s answers again", self.name, what)

    @classmethod
    def start(
        cls, ctx: AppContext, name: str, wanted: Wanted, interval: Interval
    ) -> LampKeeper | None:
        """Keep ``name``'s lamps from the server's store; None when autocom.yaml has no ari:."""
        settings = ctx.config.current.settings.ari
        if settings is None:
            return None
        keeper = cls(
            name,
            AriClient.from_settings(settings),
            lambda: ctx.config.current,
            ctx.store,
            wanted,
            interval,
        )
        keeper._task = asyncio.create_task(keeper.run(), name=f"autocom-{name}-lamps")
        return keeper

    async def sync_once(self) -> int:
        """Set every lamp whose wanted state differs from what was last set; the count."""
        try:
            wanted = await self._wanted(self._config_of(), self._store)
        except StoreError as exc:
            self._outage("store", f"state store: {exc}")
            return 0
        self._answers("store", "the state store")
        devices = DeviceStates(self._ari)
        count = 0
        for device, value in wanted.items():
            if self.pushed.get(device) == value:
                continue
            try:
                await devices.set_custom(device, value)
            except (AriConnectionError, AriTimeout) as exc:
                # Asterisk may be restarting: set every lamp again once it answers
                self._outage("asterisk", f"Asterisk unreachable ({exc})")
                self.pushed.clear()
                break
            except (AriError, ValueError) as exc:
                log.warning("%s lamp sync: %s not set: %s", self.name, device, exc)
                continue
            self._answers("asterisk", "Asterisk")
            self.pushed[device] = value
            count += 1
        self.syncs += 1
        return count

    async def run(self) -> None:
        """Sync, sleep the current interval, again, until cancelled."""
        while True:
            await self.sync_once()
            await asyncio.sleep(self._interval(self._config_of()))

    async def stop(self) -> None:
        """Cancel the task (if :meth:`start` made one) and close the ARI client."""
        task, self._task = self._task, None
        await cancel_and_wait(task)
        await self._ari.close()
