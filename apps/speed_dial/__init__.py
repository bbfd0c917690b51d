"""Speed dials: collective codes from speeddial.yaml, personal slots programmed by phone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from apps.speed_dial import checks, cli, compile, hooks, service
from apps.speed_dial.departments import with_department_codes
from apps.speed_dial.engine import Request
from apps.speed_dial.replay import replay as replay_past
from apps.speed_dial.rules import SpeedDialRules
from autocom.config import ConfigIssue
from autocom.context import AppContext
from autocom.departments import Departments
from autocom.feature import CodeClaim, Commands, Feature, HookRoute
from autocom.loader import Config
from autocom.services import Change, SpeedDialView
from autocom.site.model import Site
from autocom.store.base import StateStore
from autocom.whatif.replay import Replay

NO_FILE = "speed_dial (no rule file under rules:, the default codes)"


class SpeedDialFeature(Feature):
    name = "speed_dial"
    none_example = "`collective: {entries: []}`"

    def load_rules(self, path: Path | None, site: Site) -> SpeedDialRules:
        return compile.load_rules(path, site)

    def merge_departments(self, rules: SpeedDialRules, departments: Departments) -> SpeedDialRules:
        """The departments' collective codes (apps.speed_dial.departments)."""
        return with_department_codes(rules, departments)

    def check(self, config: Config) -> list[ConfigIssue]:
        return checks.check(config)

    def codes(self, config: Config) -> Sequence[CodeClaim]:
        rules = config.rules.get(self.name)
        if not isinstance(rules, SpeedDialRules):
            return ()
        name = config.settings.rules.get(self.name)
        file = str(config.resolve(name)) if name else NO_FILE
        return rules.code_claims(file)

    def hooks(self) -> Sequence[HookRoute]:
        return (HookRoute("speeddial", hooks.speeddial),)

    def add_commands(self, commands: Commands) -> None:
        cli.add_commands(commands)

    # autocom.services.SpeedDialsService
    async def speed_dials_of(self, ctx: AppContext, user: str) -> list[SpeedDialView]:
        return await service.speed_dials_of(ctx, user)

    async def store_speed_dial(
        self, ctx: AppContext, user: str, slot: str, number: str, now: datetime
    ) -> Change:
        """As the store code (*55 by default) then the slot and number, dialed by ``user``."""
        return await service.change(ctx, user, Request("store", slot=slot, number=number), now)

    async def delete_speed_dial(
        self, ctx: AppContext, user: str, slot: str, now: datetime
    ) -> Change:
        return await service.change(ctx, user, Request("delete", slot=slot), now)

    # autocom.services.ReplayService
    async def replay(self, store: StateStore, current: Config, new: Config) -> Replay:
        """The codes dialed in past calls resolved again (apps.speed_dial.replay)."""
        return await replay_past(store)


__all__ = ["SpeedDialFeature"]
