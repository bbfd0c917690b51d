"""The running collection: the ticket store, the AMI link, the backlog and retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apps.accounting.collector import Collector
from apps.accounting.compile import site_facts
from apps.accounting.engine import SiteFacts
from apps.accounting.rules import AccountingRules, Tariff
from apps.accounting.state import SqliteTicketStore, TicketStore
from apps.accounting.stats import aggregate, local_days
from autocom.ami.client import AmiAccess, AmiLink
from autocom.loader import Config
from autocom.reload import ConfigHolder
from autocom.services import DepartmentStats
from autocom.tasks import cancel_and_wait

log = logging.getLogger("autocom.accounting")
BACKLOG_INTERVAL = 60.0  # seconds between two backlog reads (besides each AMI login)
RETENTION_INTERVAL = 3600.0


async def open_ticket_store(config: Config, rules: AccountingRules) -> TicketStore:
    if rules.storage.backend == "postgresql":
        from apps.accounting.state_pg import PgTicketStore

        return await PgTicketStore.connect(rules.storage.dsn)
    return await SqliteTicketStore(config.resolve(rules.storage.path)).open()


async def department_stats(
    store: TicketStore, rules: AccountingRules, department: str, since: datetime, until: datetime
) -> DepartmentStats:
    """``department``'s statistics over [since, until) (apps.accounting.stats)."""
    days = await store.day_summaries(department, local_days(since, until))
    return aggregate(department, since, until, rules.currency, days)


def rules_of(config: Config) -> AccountingRules | None:
    rules = config.rules.get("accounting")
    return rules if isinstance(rules, AccountingRules) else None


class Accounting:
    """Started by the feature with the server; every task stops with ``close``."""

    def __init__(
        self,
        holder: ConfigHolder,
        store: TicketStore,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.holder = holder
        self.store = store
        self._now = now
        self.collector = Collector(store, self._facts, self._tariffs)
        self.link: AmiLink | None = None
        self._tasks: list[asyncio.Task[Any]] = []

    def _rules(self) -> AccountingRules:
        return rules_of(self.holder.current) or AccountingRules()

    def _facts(self) -> SiteFacts:
        config = self.holder.current
        return site_facts(config, self._rules())

    def _tariffs(self) -> tuple[Tariff, ...]:
        return self._rules().tariffs

    @property
    def backlog(self) -> Path | None:
        rules = self._rules()
        return self.holder.current.resolve(rules.backlog) if rules.backlog else None

    async def catch_up(self) -> int:
        backlog = self.backlog
        return await self.collector.catch_up(backlog) if backlog is not None else 0

    def start(self) -> None:
        rules = self._rules()
        zone = ZoneInfo(rules.asterisk_timezone or self.holder.current.settings.timezone)
        self._spawn(self.collector.run_flusher(), "accounting-flush")
        self._spawn(self._periodic(), "accounting-periodic")
        if rules.ami is not None:
            a = rules.ami
            self.link = AmiLink(
                AmiAccess(a.host, a.port, a.user, a.secret, a.timeout),
                lambda message: self.collector.on_ami_event(message, zone),
                on_connect=self._on_connect,
            )
            self._spawn(self.link.run(), "accounting-ami")

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        self._tasks = [t for t in self._tasks if not t.done()]  # one catch-up per login
        self._tasks.append(asyncio.create_task(coro, name=name))

    async def _on_connect(self) -> None:
        # what happened while the link was down is in the backlog
        self._spawn(self.catch_up(), "accounting-catch-up")

    async def _periodic(self) -> None:
        since_retention = RETENTION_INTERVAL
        while True:
            try:
                await self.catch_up()
                if since_retention >= RETENTION_INTERVAL:
                    await self.retention()
                    since_retention = 0.0
            except Exception as exc:  # the store's own errors: sqlite3, asyncpg, OSError
                log.error("ticket store unavailable for the backlog or retention: %r", exc)
            await asyncio.sleep(BACKLOG_INTERVAL)
            since_retention += BACKLOG_INTERVAL

    async def retention(self) -> int:
        r = self._rules().retention
        return await self.store.apply_retention(
            self._now(),
            r.mask_external_after_months,
            r.delete_after_months,
            r.events_after_days,
        )

    async def close(self) -> None:
        await cancel_and_wait(*self._tasks)
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.collector.flush()
        await self.store.close()
