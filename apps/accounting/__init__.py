"""Call accounting: CEL collected live over AMI and caught up from Asterisk's backlog,
one ticket per call (docs/accounting.md), stored in SQLite or PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from apps.accounting import cli
from apps.accounting.checks import check_rules
from apps.accounting.history import call_views
from apps.accounting.rules import AccountingRules
from apps.accounting.service import Accounting, department_stats, open_ticket_store, rules_of
from apps.accounting.state import Query
from autocom.config import ConfigIssue, load_yaml, validate
from autocom.feature import Commands, Feature
from autocom.loader import Config
from autocom.services import CallView, DepartmentStats
from autocom.site.model import Site
from autocom.store.base import StoreUnavailable

if TYPE_CHECKING:
    from aiohttp import web

    from autocom.context import AppContext


# what the ticket stores raise when their database fails (SQLite, asyncpg, the network)
STORE_ERRORS = (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


class AccountingFeature(Feature):
    name = "accounting"

    def __init__(self) -> None:
        self.service: Accounting | None = None

    def load_rules(self, path: Path | None, site: Site) -> AccountingRules | None:
        if path is None:
            return None
        return validate(AccountingRules, load_yaml(path))

    def check(self, config: Config) -> list[ConfigIssue]:
        rules = rules_of(config)
        if rules is None:
            return []
        name = config.settings.rules.get(self.name) or "accounting.yaml"
        return check_rules(rules, config, str(config.resolve(name)))

    def add_commands(self, commands: Commands) -> None:
        cli.add_commands(commands)

    def http_routes(self, ctx: AppContext) -> Sequence[web.AbstractRouteDef]:
        from apps.accounting.http import routes

        return routes(self, ctx)

    async def start(self, ctx: AppContext) -> None:
        config = ctx.config.current
        rules = rules_of(config)
        if rules is None:
            return
        store = await open_ticket_store(config, rules)
        self.service = Accounting(ctx.config, store, ctx.clock.now)
        self.service.start()

    async def calls_of(self, ctx: AppContext, user: str, limit: int) -> list[CallView] | None:
        """autocom.services.CallHistoryService: ``user``'s newest calls, None when
        accounting is not running."""
        if self.service is None:
            return None
        rows = await self.service.store.tickets(Query(user=user, limit=limit))
        return call_views(rows, user)

    async def department_stats(
        self, ctx: AppContext, department: str, since: datetime, until: datetime
    ) -> DepartmentStats | None:
        """autocom.services.DepartmentStatsService: None when accounting is not running;
        StoreUnavailable when the ticket store fails (down, damaged)."""
        rules = rules_of(ctx.config.current)
        if self.service is None or rules is None:
            return None
        try:
            return await department_stats(self.service.store, rules, department, since, until)
        except STORE_ERRORS as exc:
            raise StoreUnavailable(f"ticket store: {exc}") from exc

    async def stop(self) -> None:
        if self.service is not None:
            service, self.service = self.service, None
            await service.close()


__all__ = ["AccountingFeature"]
