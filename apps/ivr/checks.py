"""What `autocom check` says of the IVR menus against the other files:
``check(config) -> issues`` (time slots, groups, the ARI settings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.ivr.rules import IvrRules
from autocom.config.errors import ConfigIssue
from autocom.site.patterns import shadow_issues

if TYPE_CHECKING:
    from autocom.loader import Config


def check(config: Config) -> list[ConfigIssue]:
    rules: IvrRules = config.rules.get("ivr") or IvrRules()
    issues: list[ConfigIssue] = []
    time_rules = config.rules.get("time_rules")
    known_slots: set[str] | None = time_rules.slot_names() if time_rules else None
    issues += _daynight_issues(rules, config, known_slots)
    for name, menu in rules.menus.items():
        for branch in menu.branches:
            if branch.slot_name is None:
                continue
            if known_slots is None or branch.slot_name not in known_slots:
                where = branch.source or menu.source
                issues.append(
                    ConfigIssue(
                        where.file if where else str(config.path),
                        where.line if where else None,
                        f"menu {name}: time slot {branch.slot_name!r} is not defined",
                        "define it under slots: in the call rights file (time_rules)"
                        if known_slots is None
                        else f"use one of {', '.join(sorted(known_slots))}",
                    )
                )
        for action in rules.actions_of(menu):
            if action.group is not None and config.site.group(action.group) is None:
                where = action.source or menu.source
                issues.append(
                    ConfigIssue(
                        where.file if where else str(config.path),
                        where.line if where else None,
                        f"menu {name}: group {action.group!r} is not in the site file",
                        "write the extension of a group listed under groups: in site.yaml",
                    )
                )
    if rules.menus and config.settings.ari is None:
        issues.append(
            ConfigIssue(
                str(config.path),
                None,
                "IVR menus are defined but autocom.yaml has no ari: section",
                "add ari: {url: http://127.0.0.1:8088, user: ..., password: ...}",
            )
        )
    return issues


def source_of(obj: object, default_file: str) -> tuple[str, int | None]:
    source = getattr(obj, "source", None)
    return (source.file, source.line) if source is not None else (default_file, None)


def _daynight_issues(
    rules: IvrRules, config: Config, known_slots: set[str] | None
) -> list[ConfigIssue]:
    """Each service's slot is a slot of the call rights file; its code hides nothing."""
    issues: list[ConfigIssue] = []
    for name, service in rules.daynight.services.items():
        file, line = source_of(service, str(config.path))
        if known_slots is None or service.slot not in known_slots:
            issues.append(
                ConfigIssue(
                    file,
                    line,
                    f"day/night service {name}: time slot {service.slot!r} is not defined",
                    "define it under slots: in the call rights file (time_rules)"
                    if known_slots is None
                    else f"use one of {', '.join(sorted(known_slots))}",
                )
            )
        if service.code is not None:
            label = f"day/night toggle code of {name}"
            issues += shadow_issues(config.site, service.code, file, line, label)
    return issues
