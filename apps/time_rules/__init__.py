"""Call rights by time slot: who may call what, when (rights.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from apps.time_rules.rules import TimeRules, load_rules
from autocom.feature import Commands, Feature, HookRoute
from autocom.site.model import Site


class TimeRulesFeature(Feature):
    name = "time_rules"

    def load_rules(self, path: Path | None, site: Site) -> TimeRules:
        return load_rules(path, site)

    def hooks(self) -> Sequence[HookRoute]:
        from apps.time_rules.hooks import routes

        return routes()

    def add_commands(self, commands: Commands) -> None:
        from apps.time_rules.cli import add_commands

        add_commands(commands)


__all__ = ["TimeRules", "TimeRulesFeature"]
