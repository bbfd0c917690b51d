"""IVR (voice menus) as an ARI Stasis application, plus ARI device states and status."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apps.ivr import checks, compile, daynight_hooks, engine
from apps.ivr.departments import with_department_prompts
from apps.ivr.finder import Finder, directory_finder, site_finder
from apps.ivr.hooks import CallFacts, IvrApp, active_slots
from apps.ivr.rules import IvrRules
from autocom.ari.client import AriClient, AriEventLink
from autocom.ari.lamps import LampSpec
from autocom.config import ConfigIssue
from autocom.feature import CodeClaim, Commands, Feature, HookRoute

if TYPE_CHECKING:
    from aiohttp import web

    from autocom.context import AppContext
    from autocom.departments import Departments
    from autocom.loader import Config
    from autocom.site.model import Site
    from autocom.store.base import StateStore


class IvrFeature(Feature):
    name = "ivr"
    none_example = "`menus: {}`"

    def __init__(self) -> None:
        self.client: AriClient | None = None
        self.link: AriEventLink | None = None
        self.app: IvrApp | None = None
        self._ctx: AppContext | None = None

    def load_rules(self, path: Path | None, site: Site) -> IvrRules:
        return compile.load_rules(path, site)

    def merge_departments(self, rules: IvrRules, departments: Departments) -> IvrRules:
        """The prompts departments set (apps.ivr.departments)."""
        return with_department_prompts(rules, departments)

    def check(self, config: Config) -> list[ConfigIssue]:
        return checks.check(config)

    def admin_routes(self, ctx: AppContext) -> Sequence[web.AbstractRouteDef]:
        from apps.ivr.status import routes

        return routes(self)

    def codes(self, config: Config) -> Sequence[CodeClaim]:
        rules: IvrRules = config.rules.get("ivr") or IvrRules()
        file = str(config.path.parent / "ivr.yaml")
        return [
            CodeClaim(s.code, f"day/night toggle of {name}", *checks.source_of(s, file))
            for name, s in rules.daynight.services.items()
            if s.code is not None
        ]

    def hooks(self) -> Sequence[HookRoute]:
        return (
            HookRoute("daynight", daynight_hooks.daynight_query),
            HookRoute("daynight-toggle", daynight_hooks.daynight_toggle),
        )

    def add_commands(self, commands: Commands) -> None:
        from apps.ivr.cli import add_commands, add_daynight_commands

        add_commands(commands)
        add_daynight_commands(commands)

    def _facts(self) -> CallFacts:
        assert self._ctx is not None
        config = self._ctx.config.current
        rules: IvrRules = config.rules.get("ivr") or IvrRules()
        now = self._ctx.clock.now()
        slots = active_slots(config.rules.get("time_rules"), engine.slots_used(rules), now)
        store = self._ctx.store

        async def night() -> frozenset[str]:
            return await daynight_hooks.night_services(config, store, now)

        return CallFacts(rules, slots, self._finder(config), night)

    def _finder(self, config: Config) -> Finder:
        """Dial by name: the directory when a feature serves one, else the site's users."""
        assert self._ctx is not None
        directory = self._ctx.directory_for(config)
        if directory is None:
            return site_finder(config.site.users)
        return directory_finder(directory, config.site.users)

    async def start(self, ctx: AppContext) -> None:
        self._ctx = ctx
        config = ctx.config.current
        ari = config.settings.ari
        rules: IvrRules = config.rules.get("ivr") or IvrRules()
        if ari is None:
            return
        self.client = AriClient.from_settings(ari)
        self.app = IvrApp(self.client, rules.app, self._facts)
        self.link = AriEventLink(
            self.client, rules.app, self.app.on_event, on_connect=self.app.resync
        )
        self.link.start()

    def lamp_spec(self, ctx: AppContext) -> LampSpec:
        """The day/night lamps (when autocom.yaml has ari:)."""
        clock = ctx.clock

        async def wanted(config: Config, store: StateStore) -> dict[str, str]:
            return await daynight_hooks.wanted_lamps(config, store, clock.now())

        return LampSpec("daynight", wanted, daynight_hooks.lamp_interval)

    async def stop(self) -> None:
        if self.link is not None:
            await self.link.stop()
        if self.app is not None:
            await self.app.close()
        if self.client is not None:
            await self.client.close()
        self.link = self.app = self.client = None

    def status(self) -> dict[str, Any]:
        link = self.link
        return {
            "configured": link is not None,
            "connected": bool(link and link.connected),
            "app": link.app if link else None,
            "connects": link.connects if link else 0,
            "last_error": link.last_error if link else "",
            "ivr_calls": len(self.app.calls) if self.app else 0,
        }


__all__ = ["IvrFeature"]
