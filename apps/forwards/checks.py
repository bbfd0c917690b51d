"""What `autocom check` says of forwards beyond forwards.yaml: ``check(config) -> issues``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocom.config.errors import ConfigIssue

if TYPE_CHECKING:
    from autocom.loader import Config


def check(config: Config) -> list[ConfigIssue]:
    if config.rules.get("time_rules") is None:
        return [
            ConfigIssue(
                str(config.path),
                None,
                "forwards need call rights to check forwards to outside numbers",
                "name a time_rules file under rules: (e.g. 'time_rules: rights.yaml')",
            )
        ]
    return []
