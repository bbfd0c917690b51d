"""The typed objects passed to hooks and commands: no module globals."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from autocom.clock import Clock, parse_instant
from autocom.config.errors import ConfigError
from autocom.directory.search import DirectoryProvider, KeypadSearchGetter
from autocom.feature import Feature
from autocom.loader import Config, load_config
from autocom.store.base import StateStore
from autocom.store.last_known import LastKnown

if TYPE_CHECKING:
    from autocom.metrics import Metrics
    from autocom.reload import ConfigHolder


@dataclass
class AppContext:
    """Built once by the server's lifespan; every hook reaches it via the request."""

    config: ConfigHolder
    store: StateStore
    clock: Clock
    metrics: Metrics
    features: Mapping[str, Feature] = field(default_factory=dict)
    # the last state values seen, to decide on through a store outage
    last_known: LastKnown = field(default_factory=LastKnown)
    node: str = ""  # this server's name in the cluster (set once the AGI port is bound)

    def directory_for(self, config: Config) -> KeypadSearchGetter | None:
        """The directory search of ``config``, from the feature that serves it (None:
        no loaded feature serves a directory for that config)."""
        for feature in self.features.values():
            if isinstance(feature, DirectoryProvider) and feature.serves(config):
                provider = feature
                return lambda: provider.keypad_search(config)
        return None


@dataclass
class CliContext:
    """What a CLI command may use: the config path, the features, a clock."""

    config_path: Path
    features: tuple[Feature, ...]
    _clock: Clock | None = None  # tests and drills pin one; else the site's zone
    _config: Config | None = None

    @property
    def clock(self) -> Clock:
        """The clock in the site's time zone (autocom.yaml's timezone)."""
        if self._clock is None:
            self._clock = Clock(self.load().settings.timezone)
        return self._clock

    def load(self) -> Config:
        """The config, or print every issue and exit 1 (as `autocom check` does)."""
        if self._config is None:
            try:
                self._config = load_config(self.config_path, self.features)
            except ConfigError as exc:
                for issue in exc.issues:
                    print(issue, file=sys.stderr)
                raise SystemExit(1) from None
        return self._config

    def when(self, at: str | None) -> datetime:
        """An --at time (ISO 8601, read in the site's zone; None: now); exit 64 if bad."""
        if at is None:
            return self.clock.now()
        try:
            return parse_instant(at, self.load().settings.timezone)
        except ValueError as exc:
            print(f"--at: {exc}", file=sys.stderr)
            raise SystemExit(64) from None

    async def open_store(self) -> StateStore:
        from autocom.store.factory import open_store

        return await open_store(self.load())

    @asynccontextmanager
    async def store(self) -> AsyncIterator[StateStore]:
        """``async with cli.store() as store:`` the state store, closed on the way out."""
        store = await self.open_store()
        try:
            yield store
        finally:
            await store.close()
