"""The web portal (docs/portal.md): users, secretaries, helpdesk and admins, on its
own listener, server-rendered, French by default."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from aiohttp import web

from apps.portal import checks, cli
from apps.portal.handlers import Portal, build_portal_app
from apps.portal.rules import PortalRules
from autocom.config import ConfigIssue, load_yaml, validate
from autocom.context import AppContext
from autocom.feature import Commands, Feature
from autocom.loader import Config
from autocom.site.model import Site

log = logging.getLogger("autocom.portal")


def rules_of(config: Config) -> PortalRules | None:
    rules = config.rules.get("portal")
    return rules if isinstance(rules, PortalRules) else None


class PortalFeature(Feature):
    name = "portal"
    none_example = "`people: {}`"

    def __init__(self) -> None:
        self.port: int | None = None  # the bound port, once started
        self.portal: Portal | None = None
        self._runner: web.AppRunner | None = None

    def load_rules(self, path: Path | None, site: Site) -> PortalRules | None:
        if path is None:
            return None
        rules = validate(PortalRules, load_yaml(path))
        return rules.model_copy(update={"base": str(path.parent)})

    def check(self, config: Config) -> list[ConfigIssue]:
        rules = rules_of(config)
        if rules is None:
            return []
        file = str(config.resolve(config.settings.rules.get(self.name) or "portal.yaml"))
        return checks.check(config, rules, file)

    def add_commands(self, commands: Commands) -> None:
        cli.add_commands(commands)

    async def start(self, ctx: AppContext) -> None:
        """Listen on portal.yaml's listen: (when autocom.yaml names a portal file)."""
        rules = rules_of(ctx.config.current)
        if rules is None:
            return
        self.portal = Portal(ctx, rules)
        runner = web.AppRunner(build_portal_app(self.portal), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, rules.listen.host, rules.listen.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("portal on %s:%s", rules.listen.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.cleanup()
            self._runner = None
            self.port = None


__all__ = ["PortalFeature"]
