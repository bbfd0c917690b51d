"""What a department may not set (pure): ``check_departments(departments, site, running)``.

Each refusal names the fragment's file:line, what is wrong and what to write
instead; a refused fragment refuses the whole config (`autocom check`, a reload:
the last good config keeps serving).  What only a feature can tell (a class
rights.yaml defines, a code speeddial.yaml already has, a menu of ivr.yaml) is
the feature's ``merge_departments``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from autocom.config.errors import ConfigIssue
from autocom.departments.compiled import Departments, Kind, Setting
from autocom.site.model import Site

# Which feature consumes each kind of setting (a group is the site's: always)
FEATURE_OF: dict[Kind, str] = {
    "assign": "time_rules",
    "speed_dial": "speed_dial",
    "prompt": "ivr",
}


def _listed(items: Iterable[str]) -> str:
    shown = sorted(items)
    return ", ".join(shown) if shown else "none"


def _users_of(site: Site, department: str) -> str:
    """The department's users, for a refusal's hint (computed only then: a site of
    4000 users is read once per refusal, not once per setting)."""
    return _listed(u.extension for u in site.users if u.department == department)


def issue(setting: Setting, message: str, hint: str) -> ConfigIssue:
    return ConfigIssue(setting.file, setting.line, message, hint)


def check_declarations(deps: Departments, site: Site) -> list[ConfigIssue]:
    """departments.yaml itself: two departments never share a name, a group, a menu
    or speed-dial codes; a granted group exists."""
    issues: list[ConfigIssue] = []
    owner: dict[tuple[str, str], str] = {}
    for slug, dep in deps.declared.items():
        claims = [("name", dep.name)]
        claims += [("groups", g) for g in dep.may.groups]
        claims += [("prompts", m) for m in dep.may.prompts]
        for what, key in claims:
            first = owner.setdefault((what, key), slug)
            if first != slug:
                issues.append(
                    ConfigIssue(
                        deps.file,
                        deps.lines.get(("departments", slug)),
                        f"departments {first} and {slug} both have {what} {key!r}",
                        "give it to one department only",
                    )
                )
        for group in dep.may.groups:
            if site.group(group) is None:
                issues.append(
                    ConfigIssue(
                        deps.file,
                        deps.lines.get(("departments", slug, "may", "groups")),
                        f"department {slug}: no hunt group {group!r} in the site",
                        "write a group extension of site.yaml: "
                        + _listed(g.extension for g in site.groups),
                    )
                )
    issues += _overlapping_ranges(deps)
    return issues


def _overlapping_ranges(deps: Departments) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    given = [(slug, d.may.speed_dials) for slug, d in deps.declared.items()]
    ranges = [(slug, r) for slug, r in given if r is not None]
    for i, (slug_a, a) in enumerate(ranges):
        for slug_b, b in ranges[i + 1 :]:
            if a.overlaps(b):
                issues.append(
                    ConfigIssue(
                        deps.file,
                        deps.lines.get(("departments", slug_b, "may", "speed_dials")),
                        f"speed-dial codes {b} of {slug_b} overlap {a} of {slug_a}",
                        "give each department its own range",
                    )
                )
    return issues


def check_assign(deps: Departments, site: Site, s: Setting) -> list[ConfigIssue]:
    dep = deps.declared[s.department]
    found: list[ConfigIssue] = []
    user = site.user(s.key)
    if user is None:
        found.append(
            issue(
                s,
                f"assign: no user {s.key} in the site",
                f"assign your users: {_users_of(site, dep.name)}",
            )
        )
    elif user.department != dep.name:
        found.append(
            issue(
                s,
                f"assign: {s.key} is a user of {user.department or 'no department'!r}, not of "
                f"{dep.name!r}: a department assigns classes to its own users only",
                f"remove it: its own department or the main admin assigns it; "
                f"your users: {_users_of(site, dep.name)}",
            )
        )
    (cls,) = s.value
    if cls not in dep.may.assign:
        found.append(
            issue(
                s,
                f"assign: {s.key}: class {cls!r} is not one {s.department} may assign",
                f"assign one of: {_listed(dep.may.assign)} "
                f"({deps.granted(s.department, 'assign')}); another class is the main admin's "
                "to give",
            )
        )
    return found


def check_speed_dial(deps: Departments, site: Site, s: Setting) -> list[ConfigIssue]:
    rng = deps.declared[s.department].may.speed_dials
    if rng is None:
        return [
            issue(
                s,
                f"speed_dials: {s.department} is given no speed-dial codes",
                f"remove speed_dials:, or ask the main admin for a range "
                f'({deps.granted(s.department)}: may: speed_dials: "8500-8549")',
            )
        ]
    if s.key not in rng:
        return [
            issue(
                s,
                f"speed_dials: code {s.key} is outside {s.department}'s range {rng}",
                f"use a code from {rng} ({deps.granted(s.department, 'speed_dials')})",
            )
        ]
    return []


def check_group(deps: Departments, site: Site, s: Setting) -> list[ConfigIssue]:
    dep = deps.declared[s.department]
    if s.key not in dep.may.groups:
        return [
            issue(
                s,
                f"groups: {s.key} is not a group {s.department} may change",
                f"change only your groups: {_listed(dep.may.groups)} "
                f"({deps.granted(s.department, 'groups')})",
            )
        ]
    group = site.group(s.key)
    before = set(group.members) if group is not None else set()
    found = []
    for member in s.value:
        user = site.user(member)
        if member in before or (user is not None and user.department == dep.name):
            continue
        what = f"a user of {user.department or 'no department'!r}" if user else "not a user"
        found.append(
            issue(
                s,
                f"groups: {s.key}: member {member} is {what}, not of {dep.name!r}",
                "add your own users only; a member site.yaml already lists may stay",
            )
        )
    return found


def check_prompt(deps: Departments, site: Site, s: Setting) -> list[ConfigIssue]:
    menus = deps.declared[s.department].may.prompts
    if s.key in menus:
        return []
    return [
        issue(
            s,
            f"prompts: menu {s.key!r} is not one {s.department} may change",
            f"set the prompt of your menus only: {_listed(menus)} "
            f"({deps.granted(s.department, 'prompts')})",
        )
    ]


CHECKS: dict[Kind, Callable[[Departments, Site, Setting], list[ConfigIssue]]] = {
    "assign": check_assign,
    "speed_dial": check_speed_dial,
    "group": check_group,
    "prompt": check_prompt,
}


def _twice(deps: Departments) -> list[ConfigIssue]:
    """The same extension, code, group or menu set twice (in one department's files,
    or by two departments)."""
    first: dict[tuple[Kind, str], Setting] = {}
    issues = []
    for s in deps.settings:
        seen = first.setdefault((s.kind, s.key), s)
        if seen is not s:
            issues.append(
                issue(s, f"{s.kind} {s.key} is already set at {seen.where()}", "keep one of them")
            )
    return issues


def check_departments(deps: Departments, site: Site, running: Iterable[str]) -> list[ConfigIssue]:
    """Every refusal of departments.yaml and of the fragments, each at its file:line."""
    runs = set(running)
    issues = check_declarations(deps, site) + _twice(deps)
    for s in deps.settings:
        feature = FEATURE_OF.get(s.kind)
        if feature is not None and feature not in runs:
            issues.append(
                issue(
                    s,
                    f"{s.kind}: the feature {feature} does not run",
                    f"remove it, or name {feature} under rules: in autocom.yaml",
                )
            )
            continue
        issues += CHECKS[s.kind](deps, site, s)
    return issues
