"""Forwards with external forward blocking: feature codes, lamps, checks when set and rung."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from apps.forwards import cli, hooks
from apps.forwards.rules import ForwardsRules
from autocom.config import ConfigIssue, load_yaml, validate
from autocom.feature import Commands, Feature, HookRoute
from autocom.loader import Config
from autocom.site.model import Site


class ForwardsFeature(Feature):
    name = "forwards"

    def load_rules(self, path: Path | None, site: Site) -> ForwardsRules:
        if path is None:
            return ForwardsRules()
        return validate(ForwardsRules, load_yaml(path))

    def check(self, config: Config) -> list[ConfigIssue]:
        issues: list[ConfigIssue] = []
        rules = config.rules.get(self.name)
        if config.rules.get("time_rules") is None:
            issues.append(
                ConfigIssue(
                    str(config.path),
                    None,
                    "forwards need call rights to check forwards to outside numbers",
                    "name a time_rules file under rules: (e.g. 'time_rules: rights.yaml')",
                )
            )
        if isinstance(rules, ForwardsRules):
            codes = rules.codes
            where = str(rules.source) if rules.source else str(config.path)
            file, _, line = where.rpartition(":")
            for code in (codes.unconditional, codes.no_answer, codes.busy, codes.cancel_all):
                for user in config.site.users:
                    if user.extension.startswith(code):
                        issues.append(
                            ConfigIssue(
                                file or where,
                                int(line) if line.isdigit() else None,
                                f"forward code {code!r} shadows extension {user.extension} "
                                f"({user.source or 'site'})",
                                "choose another code under codes:",
                            )
                        )
        return issues

    def hooks(self) -> Sequence[HookRoute]:
        return (
            HookRoute("forward-code", hooks.forward_code),
            HookRoute("forward-ring", hooks.forward_ring),
            HookRoute("forward-phone", hooks.forward_phone),
        )

    def add_commands(self, commands: Commands) -> None:
        cli.add_commands(commands)


__all__ = ["ForwardsFeature"]
