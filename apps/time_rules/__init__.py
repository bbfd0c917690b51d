"""Call rights by time slot: who may call what, when (rights.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from apps.time_rules.rules import TimeRules, load_rules
from autocom.config.errors import ConfigIssue
from autocom.feature import Commands, Feature, HookRoute
from autocom.site.model import Site

if TYPE_CHECKING:
    from autocom.loader import Config


class TimeRulesFeature(Feature):
    name = "time_rules"

    def load_rules(self, path: Path | None, site: Site) -> TimeRules:
        return load_rules(path, site)

    def check(self, config: Config) -> list[ConfigIssue]:
        rules = config.rules.get(self.name)
        if not isinstance(rules, TimeRules):
            return []
        zone = config.settings.timezone
        if rules.tz.key != zone:
            line = rules.model.source.line if rules.model.source else None
            return [
                ConfigIssue(
                    rules.file,
                    line,
                    f"call rights read times in {rules.tz.key} but autocom.yaml's "
                    f"timezone is {zone}",
                    f"write 'timezone: {zone}' in this file",
                )
            ]
        return []

    def hooks(self) -> Sequence[HookRoute]:
        from apps.time_rules.hooks import routes

        return routes()

    def add_commands(self, commands: Commands) -> None:
        from apps.time_rules.cli import add_commands

        add_commands(commands)


__all__ = ["TimeRules", "TimeRulesFeature"]
