"""Enriched directory: LDAP, file and site sources; phone phonebooks; caller names.

``DirectoryFeature.service_for(config)`` gives the :class:`DirectoryService`
other features use (search, keypad search, lookup); see docs/directory.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from apps.directory import checks
from apps.directory.compile import load_rules
from apps.directory.rules import DirectoryRules
from apps.directory.service import DirectoryService
from autocom.config.errors import ConfigIssue
from autocom.directory import Page
from autocom.feature import Commands, Feature, HookRoute
from autocom.site.model import Site

if TYPE_CHECKING:
    from aiohttp import web

    from autocom.context import AppContext
    from autocom.loader import Config


class DirectoryFeature(Feature):
    name = "directory"
    none_example = "`sources: [{type: site}]` (the site's users only)"

    def __init__(self) -> None:
        self._ctx: AppContext | None = None
        self._service: DirectoryService | None = None
        self._lock = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()

    def load_rules(self, path: Path | None, site: Site) -> DirectoryRules:
        return load_rules(path, site)

    def check(self, config: Config) -> list[ConfigIssue]:
        return checks.check(config)

    def hooks(self) -> Sequence[HookRoute]:
        from apps.directory.hooks import routes

        return routes(self)

    def http_routes(self, ctx: AppContext) -> Sequence[web.AbstractRouteDef]:
        from apps.directory.http import routes

        return routes(self, ctx)

    def render_phonebook(
        self, config: Config, vendor: str, page: Page, title: str, base_url: str
    ) -> tuple[bytes, str] | None:
        """Entries of another feature in ``vendor``'s phonebook XML
        (autocom.directory.phonebook.PhonebookRenderer)."""
        from apps.directory.phones import RESULTS, View, render_results

        rules = config.rules.get(self.name)
        if not isinstance(rules, DirectoryRules) or vendor not in RESULTS:
            return None
        # the other feature's numbers have no canonical form yet: the phones dial it
        plan = rules.plan
        entries = tuple(
            replace(
                e,
                numbers=tuple(replace(n, canonical=plan.canonical(n.raw)) for n in e.numbers),
            )
            for e in page.entries
        )
        return render_results(
            vendor, replace(page, entries=entries), View(base_url, "", title, plan)
        )

    def add_commands(self, commands: Commands) -> None:
        from apps.directory.cli import add_commands

        add_commands(commands)

    async def start(self, ctx: AppContext) -> None:
        self._ctx = ctx
        await self.service_for(ctx.config.current)

    async def stop(self) -> None:
        service, self._service = self._service, None
        if service is not None:
            await service.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def serves(self, config: Config) -> bool:
        """True when ``config`` names a directory file (DirectoryProvider)."""
        return config.rules.get(self.name) is not None

    async def keypad_search(self, config: Config) -> DirectoryService:
        """The directory other features search by keypad (DirectoryProvider)."""
        return await self.service_for(config)

    async def service_for(self, config: Config) -> DirectoryService:
        """The service for this config; a reloaded directory.yaml gets a new one."""
        rules: DirectoryRules = config.rules[self.name]
        service = self._service
        if service is not None and service.rules is rules:
            return service
        async with self._lock:
            service = self._service
            if service is not None and service.rules is rules:
                return service
            fresh = DirectoryService(rules, self._ctx.store if self._ctx else None)
            await fresh.start()
            self._service = fresh
            if service is not None:  # close the old pool once its searches are done
                task = asyncio.create_task(service.close())
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
            return fresh


__all__ = ["DirectoryFeature", "DirectoryRules", "DirectoryService"]
