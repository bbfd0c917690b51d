"""The prompts departments record for their IVR menus (autocom.departments), set on
ivr.yaml's menus (pure)."""

from __future__ import annotations

from apps.ivr.rules import IvrRules, Menu, _sounds
from autocom.config.errors import ConfigError, ConfigIssue
from autocom.departments.compiled import Departments


def with_department_prompts(rules: IvrRules, deps: Departments) -> IvrRules:
    """ivr.yaml's menus, each a fragment sets the prompt of with that prompt.  Raises
    ConfigError for a menu ivr.yaml lacks or a sound name it would refuse."""
    issues = deps.missing_grants("prompts", "menu", rules.menus, "ivr.yaml")
    menus: dict[str, Menu] = dict(rules.menus)
    for s in deps.of("prompt"):
        menu = menus.get(s.key)
        if menu is None:
            continue  # reported by missing_grants (a menu not granted: by the departments' check)
        try:
            sounds = _sounds(list(s.value))
        except ValueError as exc:
            issues.append(ConfigIssue(s.file, s.line, f"prompts: {s.key}: {exc}"))
            continue
        menus[s.key] = menu.model_copy(update={"prompt": sounds})
    if issues:
        raise ConfigError(issues)
    return rules.model_copy(update={"menus": menus}) if deps.of("prompt") else rules
