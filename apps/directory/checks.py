"""What `autocom check` says of the directory beyond directory.yaml:
``check(config) -> issues``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.directory.rules import DirectoryRules
from autocom.config.errors import ConfigIssue

if TYPE_CHECKING:
    from autocom.loader import Config


def check(config: Config) -> list[ConfigIssue]:
    rules = config.rules.get("directory")
    if not isinstance(rules, DirectoryRules):
        return []
    issues = []
    phones = rules.model.phones
    if phones.enabled and phones.auth is None and not phones.allow:
        issues.append(
            ConfigIssue(
                rules.file,
                rules.lines.get("phones"),
                "phones: the directory is open to any address and needs no password",
                "list the phones' subnets under allow: or set auth:",
            )
        )
    return issues
