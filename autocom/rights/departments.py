"""The classes departments give their users (autocom.departments), merged into the
compiled rights (pure): each becomes the user's extension assignment."""

from __future__ import annotations

from dataclasses import replace

from autocom.config.errors import ConfigError, ConfigIssue
from autocom.departments.compiled import Departments
from autocom.rights.rules import Assignment, TimeRules


def with_department_classes(rules: TimeRules, deps: Departments) -> TimeRules:
    """``rules`` where each extension a fragment assigns has that class (above the
    main admin's ranges, groups, departments, contexts and default); an extension the
    main admin assigns by itself (``assign: extensions:``) stays the admin's: a
    fragment that assigns it is refused. Raises ConfigError naming the file:line."""
    issues = deps.missing_grants("assign", "class", rules.classes, rules.file)
    admin = rules.model.assign.extensions
    extra: dict[str, Assignment] = {}
    for s in deps.of("assign"):
        if s.key in admin:
            pinned = rules.file
            if s.key in rules.by_extension:
                pinned = rules.where_of_assignment(rules.by_extension[s.key])
            issues.append(
                ConfigIssue(
                    s.file,
                    s.line,
                    f"assign: {s.key} is assigned by the main admin ({pinned}: {admin[s.key]})",
                    "remove it from the fragment: the main admin's assign: extensions: decides "
                    "for this user",
                )
            )
            continue
        (cls,) = s.value
        selector = f"extension {s.key} (department {deps.name_of(s.department)})"
        extra[s.key] = Assignment(cls, selector, s.where())
    if issues:
        raise ConfigError(issues)
    return replace(rules, by_extension={**rules.by_extension, **extra}) if extra else rules
