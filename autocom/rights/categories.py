"""Call categories: which kind of number was dialed.

How a dialed number gets its one category (in this order):

1. ``emergency``: the number as dialed, or what follows the line prefix,
   matches an emergency pattern. Checked first, always.
2. ``internal``: the number as dialed is a site number (a user, a group, or in
   a range of an internal context of site.yaml) or matches an ``internal``
   pattern of the rule file.
3. External categories: when a line prefix is set, only a number starting with
   it is external, and the patterns are matched against what follows it; the
   most specific pattern wins (see :mod:`autocom.rights.patterns`).
4. ``other``: anything else (a number no pattern knows); classes may name it.

The French plan (``plan: fr``, the default) is below. A ``categories:``
entry of the rule file with the same name replaces a built-in category, a new
name adds one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from autocom.rights.patterns import Pattern, PatternIndex
from autocom.site.model import NumberRange, Site

if TYPE_CHECKING:
    from autocom.config.yaml_source import Document
    from autocom.rights.rules import RightsFile

BUILTIN = "built-in French plan"

# After the line prefix. National numbers are 10 digits: 0 + 9.
FRENCH_PLAN: dict[str, tuple[str, ...]] = {
    "emergency": (
        "_15", "_17", "_18", "_112", "_114", "_115", "_119",
        "_116000", "_191", "_196", "_197",
    ),
    "national": ("_0[1-5]XXXXXXXX", "_09XXXXXXXX"),  # geographic 01-05, and 09
    "mobile": ("_0[67]XXXXXXXX",),
    "special": ("_08XXXXXXXX",),  # 080 free, 081/082 shared cost, 084 ...
    "premium": ("_089XXXXXXX", "_0836XXXXXX", "_118XXX"),  # surcharged, directories
    "short": ("_3XXX", "_10XX"),  # 3xxx services, 10xx operators
    "international": ("00",),
}  # fmt: skip

INTERNAL = "internal"
EMERGENCY = "emergency"
OTHER = "other"
RESERVED_CATEGORY_WORDS = frozenset({"default", "forward", "description", OTHER})


@dataclass(frozen=True)
class PatternEntry:
    pattern: Pattern
    category: str
    where: str  # file:line, or the built-in plan


class Classified(NamedTuple):
    """The category of a dialed number, and why (a named tuple: one per call)."""

    category: str
    number: str  # the number with the line prefix removed (external), else as dialed
    pattern: str  # the pattern that matched ("" for site numbers and other)
    where: str  # file:line of the pattern, or "site.yaml ..."


class PatternGroup:
    """Pattern entries and their prefix index: the most specific entry for a number."""

    __slots__ = ("_index", "entries")

    def __init__(self, entries: tuple[PatternEntry, ...]) -> None:
        self.entries = entries
        self._index = PatternIndex([e.pattern for e in entries])

    def best(self, number: str) -> PatternEntry | None:
        i = self._index.best(number)
        return None if i is None else self.entries[i]


@dataclass(frozen=True)
class CategoryTable:
    names: tuple[str, ...]
    emergency: tuple[PatternEntry, ...]
    internal_patterns: tuple[PatternEntry, ...]
    internal_numbers: frozenset[str]
    internal_ranges: tuple[NumberRange, ...]
    external: tuple[PatternEntry, ...]
    site_file: str = "site.yaml"
    # prefix indexes of the three groups: a number's category costs the same
    # whatever the number of patterns (built once, with the table)
    _groups: tuple[PatternGroup, PatternGroup, PatternGroup] = field(
        init=False, repr=False, compare=False
    )
    # the internal ranges as (first, last) integers by number length: a number of
    # another length (an external one) is no site number at one dictionary lookup
    _spans: Mapping[int, tuple[tuple[int, int], ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        groups = (
            PatternGroup(self.emergency),
            PatternGroup(self.internal_patterns),
            PatternGroup(self.external),
        )
        object.__setattr__(self, "_groups", groups)
        spans: dict[int, list[tuple[int, int]]] = {}
        for r in self.internal_ranges:
            spans.setdefault(len(r.start), []).append((int(r.start), int(r.end)))
        object.__setattr__(self, "_spans", {n: tuple(s) for n, s in spans.items()})

    def site_number(self, dialed: str) -> bool:
        """A number of the site's users and groups, or in an internal context's ranges."""
        if dialed in self.internal_numbers:
            return True
        spans = self._spans.get(len(dialed))
        if spans is None or not dialed.isdigit():
            return False
        number = int(dialed)
        return any(first <= number <= last for first, last in spans)

    def classify(self, dialed: str, prefix: str) -> Classified:
        emergency, internal, external = self._groups
        stripped: str | None
        if prefix:
            stripped = dialed[len(prefix) :] if dialed.startswith(prefix) else None
        else:
            stripped = dialed
        for candidate in (dialed, stripped) if stripped != dialed else (dialed,):
            if candidate:
                hit = emergency.best(candidate)
                if hit is not None:
                    return Classified(EMERGENCY, candidate, hit.pattern.text, hit.where)
        if self.site_number(dialed):
            return Classified(INTERNAL, dialed, "", f"{self.site_file}: site number")
        hit = internal.best(dialed) if self.internal_patterns else None
        if hit is not None:
            return Classified(INTERNAL, dialed, hit.pattern.text, hit.where)
        if stripped:
            hit = external.best(stripped)
            if hit is not None:
                return Classified(hit.category, stripped, hit.pattern.text, hit.where)
        return Classified(OTHER, stripped or dialed, "", "no pattern matches")


def build_category_table(
    model: RightsFile,
    doc: Document,
    site: Site,
    issue: Callable[..., None],
) -> CategoryTable:
    entries = category_entries(model, doc, issue)
    if not entries.get(EMERGENCY):
        issue(
            ("categories",),
            "no emergency numbers: with 'plan: none' list them under categories: emergency:",
            'e.g. emergency: ["_112", "_15", "_17", "_18"]',
        )
    external = [e for name, es in entries.items() if name not in (EMERGENCY, INTERNAL) for e in es]
    check_ambiguous(model, external, issue)
    numbers, ranges = site_numbers(site)
    emergency = tuple(entries.get(EMERGENCY, ()))
    emergency_group = PatternGroup(emergency)
    for number in sorted(numbers):
        if emergency_group.best(number) is not None:
            issue(
                (),
                f"site number {number} is an emergency number: it could never be called",
                "renumber it in site.yaml",
            )
    names = tuple(sorted({*entries, INTERNAL, EMERGENCY, OTHER}))
    return CategoryTable(
        names=names,
        emergency=emergency,
        internal_patterns=tuple(entries.get(INTERNAL, ())),
        internal_numbers=frozenset(numbers),
        internal_ranges=tuple(ranges),
        external=tuple(external),
    )


def category_entries(
    model: RightsFile, doc: Document, issue: Callable[..., None]
) -> dict[str, list[PatternEntry]]:
    """The plan's categories, replaced or added to by the file's ``categories:``."""
    plan: Mapping[str, tuple[str, ...]] = FRENCH_PLAN if model.plan == "fr" else {}
    entries: dict[str, list[PatternEntry]] = {}
    for name, patterns in plan.items():
        if name in model.categories:
            continue
        entries[name] = [PatternEntry(Pattern.parse(p), name, BUILTIN) for p in patterns]
    for name, patterns in model.categories.items():
        if not patterns:
            issue(("categories", name), f"category {name}: no pattern", "list at least one")
        entries[name] = []
        for i, text in enumerate(patterns):
            line = doc.line_of(("categories", name, i))
            try:
                pat = Pattern.parse(text)
            except ValueError as exc:
                issue(("categories", name, i), f"category {name}: {exc}")
                continue
            entries[name].append(PatternEntry(pat, name, f"{doc.file}:{line}"))
    return entries


def check_ambiguous(
    model: RightsFile, external: list[PatternEntry], issue: Callable[..., None]
) -> None:
    """Two categories matching a common number with the same specificity."""
    for i, a in enumerate(external):
        for b in external[i + 1 :]:
            if a.category != b.category and a.pattern.ambiguous_with(b.pattern):
                issues_at = b if b.where != BUILTIN else a
                path = _pattern_path(model, issues_at)
                issue(
                    path,
                    f"patterns {a.pattern} ({a.category}, {a.where}) and {b.pattern} "
                    f"({b.category}, {b.where}) overlap with the same specificity: "
                    "a number matching both has no single category",
                    "make one pattern more specific, or split the ranges",
                )


def site_numbers(site: Site) -> tuple[set[str], list[NumberRange]]:
    """The site's own numbers (users, groups) and its internal contexts' ranges."""
    numbers: set[str] = set()
    numbers.update(u.extension for u in site.users)
    numbers.update(g.extension for g in site.groups)
    ranges: list[NumberRange] = []
    for ctx in site.contexts:
        if ctx.kind == "internal":
            ranges.extend((*ctx.users, *ctx.groups, *ctx.conferences))
    return numbers, ranges


def _pattern_path(model: RightsFile, entry: PatternEntry) -> tuple[str | int, ...]:
    pats = model.categories.get(entry.category, ())
    for i, text in enumerate(pats):
        if text == entry.pattern.text:
            return ("categories", entry.category, i)
    return ("categories",)
