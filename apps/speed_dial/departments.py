"""The departments' collective speed dials (autocom.departments) added to speeddial.yaml's
table (pure); apps.speed_dial.checks then checks them as any entry, at their file:line."""

from __future__ import annotations

from pydantic import ValidationError

from apps.speed_dial.rules import Entry, SpeedDialRules
from autocom.config.errors import ConfigError, ConfigIssue
from autocom.config.yaml_source import LocatedDict
from autocom.departments.compiled import Departments, Setting


def _ranges_inside(rules: SpeedDialRules, deps: Departments) -> list[ConfigIssue]:
    col = rules.collective
    issues: list[ConfigIssue] = []
    if col.range is None and col.prefix is None:
        return issues  # no table ("none"): a department's codes are refused as any entry
    for slug, dep in deps.declared.items():
        rng = dep.may.speed_dials
        if rng is not None and not (col.in_range(rng.start) and col.in_range(rng.end)):
            issues.append(
                ConfigIssue(
                    deps.file,
                    deps.granted_line(slug, "speed_dials"),
                    f"department {slug}: speed-dial codes {rng} are not inside speeddial.yaml's "
                    f"{col.describe_range()}",
                    f"give it a part of {col.describe_range()}"
                    if col.range
                    else "department codes need a collective range: in speeddial.yaml",
                )
            )
    return issues


def _entry(s: Setting) -> Entry:
    number, label = s.value
    data = LocatedDict(code=s.key, number=number, label=label)
    data.file, data.line = s.file, s.line or 0
    return Entry.model_validate(data)


def with_department_codes(rules: SpeedDialRules, deps: Departments) -> SpeedDialRules:
    """speeddial.yaml's table with every department's codes after the admin's.
    Raises ConfigError for a code whose number or label is refused, or a
    department range outside the table's."""
    issues = _ranges_inside(rules, deps)
    entries: list[Entry] = []
    for s in deps.of("speed_dial"):
        try:
            entries.append(_entry(s))
        except ValidationError as exc:
            issues += [
                ConfigIssue(
                    s.file,
                    s.line,
                    f"speed_dials: {s.key}: {err['msg']}".replace("Value error, ", ""),
                )
                for err in exc.errors(include_url=False)
            ]
    if issues:
        raise ConfigError(issues)
    if not entries:
        return rules
    col = rules.collective
    merged = col.model_copy(update={"entries": (*col.entries, *entries)})
    return rules.model_copy(update={"collective": merged})
