"""Call rights by time slot: who may call what, when (rights.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from apps.time_rules import checks
from apps.time_rules.state import OwnerLocks
from autocom.config.errors import ConfigIssue
from autocom.feature import Commands, Feature, HookRoute, PlanRoute
from autocom.rights import TimeRules, load_rules
from autocom.rights.departments import with_department_classes
from autocom.site.model import Site

if TYPE_CHECKING:
    from datetime import datetime

    from autocom.context import AppContext
    from autocom.departments import Departments
    from autocom.loader import Config
    from autocom.services import Change, PinLockView


class TimeRulesFeature(Feature):
    name = "time_rules"
    none_example = "`classes: {}`"
    rules_from_file_only = True  # rights.yaml and the site, nothing else

    def __init__(self) -> None:
        # wrong PINs of one owner are counted one at a time on this server
        self.pin_owners = OwnerLocks()

    def load_rules(self, path: Path | None, site: Site) -> TimeRules:
        return load_rules(path, site)

    def reload_rules(self, path: Path | None, site: Site, previous: TimeRules) -> TimeRules:
        """The classes whose text did not change are kept (autocom.rights.incremental)."""
        return load_rules(path, site, previous)

    def merge_departments(self, rules: TimeRules, departments: Departments) -> TimeRules:
        """The classes departments give their users (autocom.rights.departments)."""
        return with_department_classes(rules, departments)

    def check(self, config: Config) -> list[ConfigIssue]:
        return checks.check(config)

    def hooks(self) -> Sequence[HookRoute | PlanRoute]:
        from apps.time_rules.hooks import routes

        return routes()

    def add_commands(self, commands: Commands) -> None:
        from apps.time_rules.cli import add_commands

        add_commands(commands)

    async def pin_lock(self, ctx: AppContext, owner: str, now: datetime) -> PinLockView:
        """autocom.services.PinLocksService: as `autocom rights pin-status`."""
        from apps.time_rules import service

        return await service.pin_lock(ctx, self.pin_owners, owner, now)

    async def unlock_pin(self, ctx: AppContext, owner: str, now: datetime) -> Change:
        """As `autocom rights pin-unlock`."""
        from apps.time_rules import service

        return await service.unlock(ctx, self.pin_owners, owner, now)

    async def change_pin(
        self, ctx: AppContext, owner: str, current: str, new: str, now: datetime
    ) -> Change:
        """``owner`` changes its own PIN (portal): the current one checked first."""
        from apps.time_rules import service

        return await service.change_pin(ctx, self.pin_owners, owner, current, new, now)


__all__ = ["TimeRules", "TimeRulesFeature"]
