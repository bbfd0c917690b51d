"""The server side: every config a node applies (at start, at each reload) is
recorded in the history, beside the calls and never in their way.

``ConfigHolder.on_applied`` calls ``Recorder.applied`` in the reload's thread once
the new config serves: the files are read there, then the recording runs as a
task on the event loop (the store is async).  A store that fails is logged; the
reload has applied already and nothing waits for the history.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from autocom.clock import Clock
from autocom.history.files import FileText, read_files
from autocom.history.store import History
from autocom.loader import Config
from autocom.store.base import StateStore, StoreError

log = logging.getLogger("autocom.history")

DRAIN_TIMEOUT = 5.0  # seconds a stopping server gives the last recording


class Recorder:
    """Records the configs one node applies, one at a time, in applied order."""

    def __init__(
        self,
        store: StateStore,
        clock: Clock,
        node: Callable[[], str],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.history = History(store)
        self._clock = clock
        self._node = node
        self._loop = loop
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self.failures = 0  # recordings the store refused (logged each time)

    def applied(self, config: Config) -> None:
        """``config`` serves now: record it (from any thread; returns at once)."""
        settings = config.settings.history
        if not settings.enabled:
            return
        try:
            files = read_files(config.base, config.files)
        except OSError as exc:
            self.failures += 1
            log.error("config history: cannot read the applied files (%s); not recorded", exc)
            return
        try:
            self._loop.call_soon_threadsafe(self._spawn, files, settings.keep)
        except RuntimeError:  # the loop has stopped: the server is going away
            log.warning("config history: server stopping, the applied config is not recorded")

    def _spawn(self, files: tuple[FileText, ...], keep: int) -> None:
        task = self._loop.create_task(self._record(files, keep), name="autocom-history")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record(self, files: tuple[FileText, ...], keep: int) -> None:
        async with self._lock:
            try:
                version = await self.history.record(files, self._node(), self._clock.now(), keep)
            except (StoreError, ValueError) as exc:
                self.failures += 1
                log.error(
                    "config history: the applied config was NOT recorded (state store: %s); "
                    "the reload applied and serves; the next change is recorded against "
                    "the last version stored",
                    exc,
                )
                return
        if version is not None:
            log.info(
                "config history: version %d recorded (%s by %s)",
                version.number,
                ", ".join(c.name for c in version.changes),
                version.who,
            )

    async def drain(self) -> None:
        """Let the recordings in progress finish (at most DRAIN_TIMEOUT seconds)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=DRAIN_TIMEOUT)
