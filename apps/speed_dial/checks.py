"""What `autocom check` refuses in speeddial.yaml: ``check(config) -> issues``.

One function per rule: the collective range and prefix against the site's
numbers, each collective entry (twice, out of range, shadowing, unclassifiable),
the personal codes against the site and the collective prefix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.speed_dial.engine import Classify
from apps.speed_dial.numbering import classifier
from apps.speed_dial.rules import Collective, Entry, SpeedDialRules
from autocom.config.errors import ConfigIssue
from autocom.site.model import Site
from autocom.site.patterns import shadowed_extensions

if TYPE_CHECKING:
    from autocom.loader import Config


def check(config: Config) -> list[ConfigIssue]:
    rules = config.rules.get("speed_dial")
    if not isinstance(rules, SpeedDialRules):
        return []
    name = config.settings.rules.get("speed_dial")
    file = str(config.resolve(name)) if name else "speeddial.yaml"
    issues = check_rules(rules, config.site, classifier(config), file)
    if config.rules.get("time_rules") is None:
        issues.append(
            ConfigIssue(
                str(config.path),
                None,
                "speed dials need call rights (the number goes through the caller's rights)",
                "name a time_rules file under rules: (e.g. 'time_rules: rights.yaml')",
            )
        )
    return issues


def check_rules(
    rules: SpeedDialRules, site: Site, classify: Classify | None, file: str
) -> list[ConfigIssue]:
    """Everything `autocom check` refuses in the collective table and codes."""
    return [
        *check_collective_range(rules.collective, site, file),
        *check_collective_prefix(rules.collective, site, file),
        *check_entries(rules.collective, site, classify, file),
        *check_personal_codes(rules, site, file),
    ]


def _where(entry: Entry, fallback: str) -> tuple[str, int | None]:
    src = entry.source
    return (src.file, src.line) if src is not None else (fallback, None)


def _site_numbers(site: Site) -> dict[str, str]:
    """Every extension of the site -> what it is, for shadow checks."""
    found = {u.extension: f"user {u.extension}" for u in site.users}
    found.update({g.extension: f"group {g.extension}" for g in site.groups})
    return found


def shadowed(code: str, site: Site) -> str | None:
    """What of the site (user, group, emergency number, numbering range) the collective
    code ``code`` takes the place of, with where it is declared; None if nothing."""
    for hit in shadowed_extensions(site, code):
        if hit.kind != "outgoing":  # a dialplan exact code beats the outside-call pattern
            return f"{hit.what} ({hit.where()})"
    return None


def _line(col: Collective) -> int | None:
    return col.source.line if col.source is not None else None


def check_collective_range(col: Collective, site: Site, file: str) -> list[ConfigIssue]:
    rng = col.number_range
    if rng is None:
        return []
    return [
        ConfigIssue(
            file,
            _line(col),
            f"speed-dial range {rng} overlaps the {kind} range {other} "
            f"of context {ctx.name} ({ctx.source or 'site.yaml'})",
            "choose a range no extension uses, e.g. 8000-8999",
        )
        for ctx in site.contexts
        for kind, ranges in ctx.ranges().items()
        for other in ranges
        if rng.overlaps(other)
    ]


def check_collective_prefix(col: Collective, site: Site, file: str) -> list[ConfigIssue]:
    prefix = col.prefix
    if prefix is None:
        return []
    return [
        ConfigIssue(
            file,
            _line(col),
            f"speed-dial prefix {prefix!r} shadows {what}",
            "choose a prefix no extension starts with, e.g. '*8'",
        )
        for number, what in _site_numbers(site).items()
        if number.startswith(prefix)
    ]


def check_entries(
    col: Collective, site: Site, classify: Classify | None, file: str
) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    seen: dict[str, Entry] = {}
    for entry in col.entries:
        efile, eline = _where(entry, file)
        first = seen.get(entry.code)
        if first is not None:
            ffile, fline = _where(first, file)
            issues.append(
                ConfigIssue(
                    efile,
                    eline,
                    f"speed-dial code {entry.code} given twice (first at {ffile}:{fline})",
                    "keep one entry per code",
                )
            )
            continue
        seen[entry.code] = entry
        issues += check_entry(entry, col, site, classify, (efile, eline))
    return issues


def check_entry(
    entry: Entry,
    col: Collective,
    site: Site,
    classify: Classify | None,
    where: tuple[str, int | None],
) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    if not col.in_range(entry.code):
        issues.append(
            ConfigIssue(
                *where,
                f"speed-dial code {entry.code} is outside the {col.describe_range()}",
                "use a code inside it, or widen collective.range",
            )
        )
    shadow = shadowed(entry.code, site)
    if shadow is not None:
        issues.append(
            ConfigIssue(
                *where,
                f"speed-dial code {entry.code} shadows {shadow}",
                "use a code that is not an extension",
            )
        )
    if classify is not None and classify(entry.number) is None:
        issues.append(
            ConfigIssue(
                *where,
                f"speed dial {entry.code}: the numbering plan cannot classify {entry.number}",
                "write the number as a user dials it (line prefix included), "
                "or add its pattern to the time_rules categories",
            )
        )
    return issues


def check_personal_codes(rules: SpeedDialRules, site: Site, file: str) -> list[ConfigIssue]:
    p = rules.personal
    where: tuple[str, int | None] = (p.source.file, p.source.line) if p.source else (file, None)
    prefix = rules.collective.prefix
    dialplan = dict(zip((p.store, p.delete, p.hear, p.dial), rules.extensions()[-4:], strict=True))
    issues: list[ConfigIssue] = []
    for code, exten in dialplan.items():
        for number, what in _site_numbers(site).items():
            # stricter than the dialplan: a phone's digit map sends 2001 before *5507...
            if number.startswith(code):
                issues.append(
                    ConfigIssue(
                        *where,
                        f"personal speed-dial code {code!r} shadows {what}",
                        "choose a code no extension starts with",
                    )
                )
        # and what the rendered dialplan would take from the rest of the numbering
        # plan: ranges, emergency numbers, outside calls (autocom.site.patterns)
        for hit in shadowed_extensions(site, exten):
            if hit.kind in ("user", "group"):
                continue
            issues.append(
                ConfigIssue(
                    *where,
                    f"personal speed-dial code {code!r} ({exten} in the dialplan) shadows "
                    f"{hit.what} ({hit.where()})",
                    "choose a code no extension starts with",
                )
            )
        if prefix is not None and (code.startswith(prefix) or prefix.startswith(code)):
            issues.append(
                ConfigIssue(
                    *where,
                    f"personal code {code!r} and collective prefix {prefix!r} overlap",
                    "give them different starts",
                )
            )
    return issues
