"""What `autocom check` says of the call rights beyond the rule file itself:
``check(config) -> issues`` (the time zone, the site's emergency numbers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocom.config.errors import ConfigIssue
from autocom.rights import EMERGENCY, TimeRules, classify

if TYPE_CHECKING:
    from autocom.loader import Config


def check(config: Config) -> list[ConfigIssue]:
    rules = config.rules.get("time_rules")
    if not isinstance(rules, TimeRules):
        return []
    issues: list[ConfigIssue] = []
    line = rules.model.source.line if rules.model.source else None
    zone = config.settings.timezone
    if rules.tz.key != zone:
        issues.append(
            ConfigIssue(
                rules.file,
                line,
                f"call rights read times in {rules.tz.key} but autocom.yaml's timezone is {zone}",
                f"write 'timezone: {zone}' in this file",
            )
        )
    # The dialplan routes the site's emergency numbers before any hook; the
    # rules must agree, or explain and the audit log would tell another story.
    for ctx in config.site.outgoing():
        for number in getattr(ctx, "emergency", ()):
            for dialed in {number, ctx.line_prefix + number}:
                cat = classify(rules, dialed)
                if cat.category != EMERGENCY:
                    issues.append(
                        ConfigIssue(
                            rules.file,
                            line,
                            f"{dialed} is an emergency number of the site's outgoing "
                            f"context {ctx.name} but the call rights file makes it "
                            f"{cat.category}",
                            f'add "_{number}" under categories: emergency:',
                        )
                    )
    return issues
