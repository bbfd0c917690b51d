"""What `autocom check` says of the portal beyond portal.yaml: ``check(config) -> issues``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.portal.rules import PortalRules
from autocom.config.errors import ConfigIssue

if TYPE_CHECKING:
    from autocom.loader import Config


def check(config: Config, rules: PortalRules, default_file: str) -> list[ConfigIssue]:
    """Each person's extension is a user of the site (file:line of the person)."""
    issues: list[ConfigIssue] = []
    for login, person in rules.people.items():
        if person.extension and config.site.user(person.extension) is None:
            where = person.source
            issues.append(
                ConfigIssue(
                    where.file if where is not None else default_file,
                    where.line if where is not None else None,
                    f"people.{login}: extension {person.extension} is not a user of the site",
                    "write the extension of one of the site's users",
                )
            )
    return issues
