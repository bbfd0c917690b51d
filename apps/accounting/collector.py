"""The collection shell: CEL events in (AMI live, backlog catch-up), tickets out.

``Collector.ingest(events)`` stores the events not seen yet, and for every call
(linkedid) that got a new event and has ended (LINKEDID_END stored), rebuilds its
ticket from all its stored events with the pure ``build_ticket``.  Ingestion is
serialized (one lock), so a catch-up from the backlog and the live feed can run
at the same time in any order: the result is the same tickets.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from apps.accounting.backlog import read_batch
from apps.accounting.cel import CelError, CelEvent, from_ami
from apps.accounting.engine import SiteFacts, build_ticket
from apps.accounting.rules import Tariff
from apps.accounting.state import TicketStore
from autocom.ami.protocol import AmiMessage

log = logging.getLogger("autocom.accounting")
BACKLOG_CHECKPOINT = "backlog"
MAX_PENDING = 200_000  # live events kept in memory while the store is down


class Collector:
    def __init__(
        self,
        store: TicketStore,
        facts: Callable[[], SiteFacts],
        tariffs: Callable[[], Sequence[Tariff]],
    ) -> None:
        self.store = store
        self._facts = facts
        self._tariffs = tariffs
        self._lock = asyncio.Lock()
        self._pending: list[CelEvent] = []
        self._wake = asyncio.Event()
        self.tickets_built = 0
        self.events_stored = 0
        self.bad_events = 0
        self.bad_tickets = 0

    async def ingest(self, events: Sequence[CelEvent]) -> int:
        """Store ``events``; build the tickets of the calls they end; return how many."""
        async with self._lock:
            new = await self.store.add_events(events)
            self.events_stored += len(new)
            done = await self.store.complete({e.linkedid for e in new})
            facts, tariffs = self._facts(), self._tariffs()
            tickets = []
            for linkedid in sorted(done):
                events = await self.store.events_of(linkedid)
                try:
                    tickets.append(build_ticket(events, facts, tariffs))
                except (ValueError, TypeError, KeyError) as exc:  # a bug, or events beyond it
                    self.bad_tickets += 1
                    log.error("no ticket for call %s: %r", linkedid, exc)
            if tickets:
                await self.store.save_tickets(tickets)
            self.tickets_built += len(tickets)
            return len(tickets)

    def on_ami_event(self, message: AmiMessage, zone: ZoneInfo) -> None:
        """AMI callback: queue a CEL event for the flusher (``run_flusher``)."""
        if message.get("Event") != "CEL":
            return
        try:
            self._pending.append(from_ami(message, zone))
        except CelError as exc:
            self.bad_events += 1
            log.warning("CEL event ignored: %s", exc)
            return
        self._wake.set()

    async def run_flusher(self, interval: float = 0.2, retry: float = 5.0) -> None:
        """Ingest the queued live events in batches, until cancelled.  When the store
        fails, the batch waits for the next try (at most ``MAX_PENDING`` events are
        kept: the backlog has them all, the catch-up brings back what was dropped)."""
        while True:
            await self._wake.wait()
            await asyncio.sleep(interval)  # gather a batch
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            try:
                await self.ingest(batch)
            except Exception as exc:  # the store's own errors: sqlite3, asyncpg, OSError
                log.error("ticket store unavailable (%r): retrying in %g s", exc, retry)
                self._pending = (batch + self._pending)[-MAX_PENDING:]
                self._wake.set()
                await asyncio.sleep(retry)

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            await self.ingest(batch)

    async def catch_up(self, backlog: Path) -> int:
        """Read the backlog from the checkpoint to its end; return the events read."""
        total = 0
        while True:
            after = await self.store.get_checkpoint(BACKLOG_CHECKPOINT)
            try:
                batch = await asyncio.to_thread(read_batch, backlog, after)
            except (OSError, sqlite3.Error) as exc:
                log.warning("CEL backlog %s unreadable: %s", backlog, exc)
                return total
            if batch.restarted:
                log.info("CEL backlog %s was replaced: reading it from the start", backlog)
            self.bad_events += batch.skipped
            if batch.events:
                await self.ingest(batch.events)
            total += len(batch.events)
            if batch.last_rowid == after and not batch.restarted:
                return total
            await self.store.set_checkpoint(BACKLOG_CHECKPOINT, batch.last_rowid)
