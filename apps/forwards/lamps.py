"""Forward lamps (BLF) pushed to Asterisk over ARI, whatever changed the forward.

A feature code sets its user's three lamps itself, in the dialplan
(autocom-forwards-lamps).  Everything else that changes the state store
reaches the lamps through the ``ari:`` section of autocom.yaml and the shared
lamp keeper (autocom.ari.lamps); this module gives it what is the forwards':

- :func:`wanted`: every lamp of the site from the store (one read of the
  namespace: a SCAN on Redis, in the background, never on a call);
- :func:`interval`: ``lamp_sync`` (forwards.yaml);
- :func:`push`: `autocom forwards set|clear` pushes the user's lamps at once.

The server's keeper sets every lamp at start, then every ``lamp_sync``
seconds the lamps whose state changed: a CLI run that could not reach ARI,
another autocom server on the same Redis, a script writing the store.
"""

from __future__ import annotations

from collections.abc import Mapping

from apps.forwards import engine, state
from apps.forwards.rules import ForwardsRules
from autocom.ari import lamps
from autocom.config.settings import AriSettings
from autocom.loader import Config
from autocom.store.base import StateStore

NAME = "forwards"


async def wanted(config: Config, store: StateStore) -> dict[str, str]:
    """Every lamp of every user of the site -> the state the store says."""
    return engine.wanted_lamps(config.site, await state.load_all(store))


def interval(config: Config) -> float:
    rules = config.rules.get(NAME)
    return rules.lamp_sync if isinstance(rules, ForwardsRules) else ForwardsRules().lamp_sync


async def push(settings: AriSettings | None, states: Mapping[str, str]) -> str:
    """Set these lamps now (device -> state); a short report for the CLI."""
    return await lamps.push(
        settings, states, without_ari="they follow at the user's next forward code"
    )
