"""Cross-file checks of accounting.yaml (run by `autocom check` and every reload)."""

from __future__ import annotations

from apps.accounting.rules import AccountingRules
from autocom.config import ConfigIssue
from autocom.loader import Config


def check_rules(rules: AccountingRules, config: Config, file: str) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    if rules.ami is None and not rules.backlog:
        issues.append(
            ConfigIssue(
                file,
                None,
                "no source of CEL events: neither ami: nor backlog: is set",
                "write an ami: section (host, port, user, secret) and the backlog: path",
            )
        )
    seen: dict[tuple[str, str, str], int] = {}
    for i, tariff in enumerate(rules.tariffs):
        key = (tariff.category, tariff.days, tariff.hours)
        line = tariff.source.line if tariff.source else None
        if key in seen:
            issues.append(
                ConfigIssue(
                    file,
                    line,
                    f"tariff {i + 1} ({tariff.category}) has the same days and hours as "
                    f"tariff {seen[key] + 1}: the first one always wins",
                    "delete one of the two, or give them different days: or hours:",
                )
            )
        seen.setdefault(key, i)
    return issues
