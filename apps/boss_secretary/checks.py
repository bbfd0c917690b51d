"""Checks of filters.yaml against the site and the time slots (pure);
``check(config) -> issues`` is what the feature runs at every (re)load."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from apps.boss_secretary.rules import Destination, Filter, FilterRules
from apps.boss_secretary.slots import known_slots
from autocom.config.errors import ConfigIssue
from autocom.feature import CodeClaim
from autocom.site.model import Site
from autocom.site.patterns import shadowed_extensions

if TYPE_CHECKING:
    from autocom.loader import Config

TOGGLE_PATTERN = "_*37X."  # dialplan/autocom-boss_secretary.conf
TOGGLE_DIALPLAN = "dialplan/autocom-boss_secretary.conf"  # [autocom-boss_secretary-codes]

_MAILBOX_RE = re.compile(r"^[A-Za-z0-9_.*#+-]+(@[A-Za-z0-9_.-]+)?$")


def check(config: Config) -> list[ConfigIssue]:
    """Cross-file checks (`autocom check`, every reload): time slots, the toggle code."""
    rules = config.rules.get("boss_secretary")
    if not isinstance(rules, FilterRules):
        return []
    return [
        *check_slots(rules, known_slots(config.rules.get("time_rules"))),
        *check_toggle_code(rules, config.site),
    ]


Issue = Callable[..., None]  # (path, message, hint="") at the path's file:line


def check_site(rules: FilterRules, site: Site) -> list[ConfigIssue]:
    """Bosses are users, secretaries users or groups, one filter per boss, sane fallbacks."""
    issues: list[ConfigIssue] = []

    def issue(path: tuple[str | int, ...], message: str, hint: str = "") -> None:
        file, line = rules.where(*path)
        issues.append(ConfigIssue(file, line, message, hint))

    seen: dict[str, str] = {}
    names: dict[str, int] = {}
    for i, f in enumerate(rules.filters):
        if f.name in names:
            issue(("filters", i, "name"), f"filter name {f.name!r} is used twice", "rename one")
        names[f.name] = i
        for j, b in enumerate(f.bosses):
            where = ("filters", i, "bosses", j)
            if b.extension in seen:
                issue(
                    where,
                    f"boss {b.extension} is already a boss in filter {seen[b.extension]!r}",
                    "a boss belongs to one filter: merge the two filters",
                )
            seen[b.extension] = f.name
            _check_boss(f, i, where, b.extension, site, issue)
        for j, m in enumerate(f.secretaries):
            _check_secretary(("filters", i, "secretaries", j), m.extension, site, issue)
        _check_fallback(f, i, site, issue)
    return issues


def _check_boss(
    f: Filter, i: int, where: tuple[str | int, ...], boss: str, site: Site, issue: Issue
) -> None:
    user = site.user(boss)
    if user is None:
        hint = "a boss is a user of the site file"
        if site.group(boss) is not None:
            hint = f"{boss} is a hunt group; a boss must be a user"
        issue(where, f"boss {boss} is not a user of the site", hint)
        return
    if not user.devices:
        issue(where, f"boss {boss} has no device", "give the user devices: [...]")
    if f.fallback != "voicemail":
        return
    if not user.voicemail:
        issue(
            ("filters", i, "fallback"),
            f"fallback voicemail: boss {boss} has no voicemail box",
            "give the user 'voicemail: ...' in the site file, or write "
            "'fallback: hangup' or 'fallback: {destination: ...}'",
        )
    elif not _MAILBOX_RE.match(user.voicemail):
        issue(
            ("filters", i, "fallback"),
            f"boss {boss}: voicemail box {user.voicemail!r} cannot be dialed",
            "write the box as 2001 or 2001@context in the site file",
        )


def _check_secretary(
    where: tuple[str | int, ...], extension: str, site: Site, issue: Issue
) -> None:
    user = site.user(extension)
    group = site.group(extension)
    if user is None and group is None:
        issue(
            where,
            f"secretary {extension} is neither a user nor a hunt group of the site",
            "write the extension of a user or of a group",
        )
    elif group is not None:
        missing = [x for x in group.members if site.user(x) is None]
        if missing:
            issue(
                where,
                f"group {group.extension} has members that are not users: {', '.join(missing)}",
                "fix the group's members in the site file",
            )
    elif user is not None and not user.devices:
        issue(where, f"secretary {extension} has no device", "give the user devices")


def _check_fallback(f: Filter, i: int, site: Site, issue: Issue) -> None:
    fb = f.fallback
    if not isinstance(fb, Destination):
        return
    if fb.destination in {b.extension for b in f.bosses}:
        issue(
            ("filters", i, "fallback"),
            f"fallback destination {fb.destination} is a boss of this filter: a loop",
            "send the call to a voicemail or another extension",
        )
    if fb.context is not None and site.context(fb.context) is None:
        issue(
            ("filters", i, "fallback", "context"),
            f"context {fb.context!r} is not a context of the site",
            f"use one of {', '.join(c.name for c in site.contexts) or '(none)'}",
        )


def check_slots(rules: FilterRules, known: set[str] | None) -> list[ConfigIssue]:
    """Every slot a filter names is defined in the time_rules file."""
    issues: list[ConfigIssue] = []
    for i, f in enumerate(rules.filters):
        for k, slot in enumerate(f.slots):
            file, line = rules.where("filters", i, "slots", k)
            if known is None:
                issues.append(
                    ConfigIssue(
                        file,
                        line,
                        f"filter {f.name!r} names time slot {slot!r} but no time_rules "
                        "feature is loaded",
                        "load the time_rules feature or remove 'slots:'",
                    )
                )
            elif slot not in known:
                issues.append(
                    ConfigIssue(
                        file,
                        line,
                        f"filter {f.name!r}: no time slot is called {slot!r}",
                        f"use one of {', '.join(sorted(known)) or '(none defined)'} "
                        "from the time_rules file",
                    )
                )
    return issues


def check_toggle_code(rules: FilterRules, site: Site) -> list[ConfigIssue]:
    """The *37<boss> pattern must not hide an extension of the site."""
    if not rules.filters:
        return []
    issues = []
    for hit in shadowed_extensions(site, TOGGLE_PATTERN):
        file, line = (hit.source.file, hit.source.line) if hit.source else ("site.yaml", None)
        issues.append(
            ConfigIssue(
                file,
                line,
                f"the filter toggle code {TOGGLE_PATTERN} (*37<boss>) hides {hit.what}",
                "renumber it: *37 is taken by boss/secretary filtering",
            )
        )
    return issues


def toggle_claim() -> CodeClaim:
    """The fixed *37<boss> code: in every internal context (autocom-features includes
    autocom-boss_secretary-codes), whether or not filters are configured."""
    return CodeClaim(TOGGLE_PATTERN, "the filter toggle code *37<boss>", TOGGLE_DIALPLAN)
