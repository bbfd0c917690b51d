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


@dataclass(frozen=True, slots=True)
class Hit:
    """What classified a number, prepared when the table is built: the decision reads
    its texts instead of formatting them per call."""

    category: str
    pattern: str  # as in Classified
    where: str
    after_prefix: bool  # the number is what follows the line prefix
    trace: str  # "where category X (pattern)": the first line of a decision's trace

    @classmethod
    def of(cls, category: str, pattern: str, where: str, after_prefix: bool) -> Hit:
        trace = f"{where} category {category}" + (f" ({pattern})" if pattern else "")
        return cls(category, pattern, where, after_prefix, trace)


class PatternGroup:
    """Pattern entries and their prefix index: the most specific entry for a number."""

    __slots__ = ("_index", "entries")

    def __init__(self, entries: tuple[PatternEntry, ...]) -> None:
        self.entries = entries
        self._index = PatternIndex([e.pattern for e in entries])

    def best(self, number: str) -> PatternEntry | None:
        i = self._index.best(number)
        return None if i is None else self.entries[i]


class _Classifier:
    """Every pattern of a table for one line prefix in one index, walked once per number.

    Four groups, a group beating every later one (the order of the module's rules):
    emergency patterns on the number as dialed, then on what follows the prefix,
    internal patterns on the number as dialed, external patterns on what follows the
    prefix.  A pattern "on what follows the prefix" is indexed behind the prefix
    (:meth:`Pattern.after`): it can only match a number that starts with it."""

    __slots__ = ("hits", "index")

    def __init__(self, table: CategoryTable, prefix: str) -> None:
        groups = [
            (table.emergency, False),
            (table.emergency if prefix else (), True),  # without prefix: the first group
            (table.internal_patterns, False),
            (table.external, True),
        ]
        patterns: list[Pattern] = []
        priority: list[int] = []
        hits: list[Hit] = []
        for group, (entries, after_prefix) in enumerate(groups):
            for e in entries:
                patterns.append(e.pattern.after(prefix) if after_prefix else e.pattern)
                priority.append(group)
                hits.append(Hit.of(e.category, e.pattern.text, e.where, after_prefix))
        self.index = PatternIndex(patterns, priority)
        self.hits = tuple(hits)


@dataclass(frozen=True)
class CategoryTable:
    names: tuple[str, ...]
    emergency: tuple[PatternEntry, ...]
    internal_patterns: tuple[PatternEntry, ...]
    internal_numbers: frozenset[str]
    internal_ranges: tuple[NumberRange, ...]
    external: tuple[PatternEntry, ...]
    site_file: str = "site.yaml"
    # the internal ranges as (first, last) integers by number length: a number of
    # another length (an external one) is no site number at one dictionary lookup
    _spans: Mapping[int, tuple[tuple[int, int], ...]] = field(init=False, repr=False, compare=False)
    # line prefix -> every pattern in one prefix index, built when that prefix is first
    # met: a number's category costs the same whatever the number of patterns
    _classifiers: dict[str, _Classifier] = field(init=False, repr=False, compare=False)
    _site: Hit = field(init=False, repr=False, compare=False)
    _other: Hit = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spans: dict[int, list[tuple[int, int]]] = {}
        for r in self.internal_ranges:
            spans.setdefault(len(r.start), []).append((int(r.start), int(r.end)))
        object.__setattr__(self, "_spans", {n: tuple(s) for n, s in spans.items()})
        object.__setattr__(self, "_classifiers", {})
        object.__setattr__(
            self, "_site", Hit.of(INTERNAL, "", f"{self.site_file}: site number", False)
        )
        object.__setattr__(self, "_other", Hit.of(OTHER, "", "no pattern matches", True))

    def site_number(self, dialed: str) -> bool:
        """A number of the site's users and groups, or in an internal context's ranges."""
        if dialed in self.internal_numbers:
            return True
        spans = self._spans.get(len(dialed))
        if spans is None or not dialed.isdigit():
            return False
        number = int(dialed)
        return any(first <= number <= last for first, last in spans)

    def match(self, dialed: str, prefix: str) -> tuple[Hit, str]:
        """What classifies ``dialed`` (see the module's rules), and the number it gives:
        what follows the line prefix for an external category, else as dialed."""
        classifier = self._classifiers.get(prefix)
        if classifier is None:
            classifier = self._classifiers[prefix] = _Classifier(self, prefix)
        i = classifier.index.best(dialed)
        hit = self._other if i is None else classifier.hits[i]
        if hit.category != EMERGENCY and self.site_number(dialed):
            return self._site, dialed
        if hit.after_prefix and dialed.startswith(prefix):
            return hit, dialed[len(prefix) :] or dialed
        return hit, dialed

    def classify(self, dialed: str, prefix: str) -> Classified:
        hit, number = self.match(dialed, prefix)
        return Classified(hit.category, number, hit.pattern, hit.where)


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
