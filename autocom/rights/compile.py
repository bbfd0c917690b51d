"""rights.yaml, validated (:class:`RightsFile`), compiled into :class:`TimeRules`.

One small pure function per section of the file; each reports what is wrong
through :class:`~autocom.config.issues.Issues` (file:line) and goes on, so one
load lists every problem. Everything a decision needs is built here, once per
(re)load, so a decision costs the same with 10 rules or 100,000.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from autocom.config import validate
from autocom.config.errors import ConfigError
from autocom.config.issues import Issues
from autocom.config.yaml_source import Document, parse_yaml, read_config_text
from autocom.kept import same_items
from autocom.release import drain
from autocom.rights.categories import RESERVED_CATEGORY_WORDS, build_category_table
from autocom.rights.incremental import ReadByClass, read_by_class
from autocom.rights.lockout import LockoutPolicy
from autocom.rights.rules import (
    DEFAULT_TIMEZONE,
    NAME_RE,
    Assignment,
    ClassPart,
    ClassParts,
    CompiledClass,
    RightsClass,
    RightsFile,
    RuleLine,
    TimeRules,
    Verdict,
    resolve_assignment,
)
from autocom.rights.slots import compile_slots
from autocom.site.model import NumberRange, Site, line_prefix_needed

Path_ = tuple[str | int, ...]


def load_rules(path: Path | None, site: Site, previous: TimeRules | None = None) -> TimeRules:
    """Read, validate and compile rights.yaml (None: the French plan, no classes).

    ``previous``: the rules a reload replaces; a class whose text did not change is
    kept from it, its line moved if it moved (:mod:`autocom.rights.incremental`)."""
    if path is None:
        doc = Document("<built-in>", None, {(): 1})
        return compile_rules(validate(RightsFile, doc), doc, site)
    text = read_config_text(path)
    same_file = previous is not None and previous.file == str(path)
    kept = previous.parts if previous is not None and same_file else None
    made = _assignments_of(previous) if previous is not None and same_file else None
    try:
        rules = _by_class(text, str(path), site, kept, made)
        if rules is None and kept is not None:  # category or slot names changed
            rules = _by_class(text, str(path), site, None, made)
    except ConfigError:
        rules = None  # the whole file's read names the same issues the same way
    if rules is not None:
        return rules if previous is None or not same_file else _shared(rules, previous)
    doc = parse_yaml(text, str(path))
    return compile_rules(validate(RightsFile, doc), doc, site)


# The tables of TimeRules a reload of the same file may leave as they were
_SHARED = (
    "classes",
    "class_lines",
    "parts",
    "by_extension",
    "groups",
    "departments",
    "contexts",
    "pins",
)


def _shared(rules: TimeRules, previous: TimeRules) -> TimeRules:
    """``rules`` with each table of ``previous`` whose items are the same
    (:func:`autocom.kept.same_items`): that very object, which the loader process
    does not send again nor the server rebuild (autocom/transfer.py).  A rule line
    added to one class of the 100,000-line bench file leaves its 4000 assignments by
    extension as they were."""
    same = {}
    for name in _SHARED:
        new, old = getattr(rules, name), getattr(previous, name)
        if new is not old and new is not None and old is not None and same_items(new, old):
            same[name] = old
    return replace(rules, **same) if same else rules


def _by_class(
    text: str, file: str, site: Site, kept: ClassParts | None, made: AssignmentsMade | None
) -> TimeRules | None:
    """The file read class by class (None: it cannot be), then compiled."""
    read = read_by_class(text, file, kept)
    if read is None:
        return None
    try:
        return _compile_by_class(read, site, made)
    finally:  # the lines of every class read: compiled, they are not needed any more
        drain(read.lines)


def _compile_by_class(
    read: ReadByClass, site: Site, made: AssignmentsMade | None
) -> TimeRules | None:
    """Compile what :func:`read_by_class` read, keeping the classes compiled before;
    None when a kept class was compiled again (its lines were not read)."""
    rules = compile_rules(read.model, read.doc, site, read.parts, made)
    names, slots = frozenset(rules.categories.names), frozenset(rules.slots)
    parts: dict[str, ClassPart] = {}
    for name, part in read.parts.items():
        compiled = rules.classes[name]
        if name not in read.fresh and compiled is not part.compiled:
            return None
        same = compiled is part.compiled and (part.categories, part.slots) == (names, slots)
        # a part that did not change is the last load's object, wherever the class
        # moved (the loader process sends it as a reference: autocom/transfer.py)
        parts[name] = (
            part if same else replace(part, compiled=compiled, categories=names, slots=slots)
        )
    return replace(rules, parts=parts)


def compile_rules(
    model: RightsFile,
    doc: Document,
    site: Site,
    kept: Mapping[str, ClassPart] | None = None,
    made: AssignmentsMade | None = None,
) -> TimeRules:
    """``kept``: classes compiled by the previous load, by name; one whose model is
    the very object in ``model`` (its text unchanged, wherever it moved) and that was
    compiled against the same category and slot names is kept as it is.  ``made``: the
    previous load's assignments; an equal one is that object."""
    issues = Issues(doc)
    prefix = line_prefix(model, site, issues)
    table = build_category_table(model, doc, site, issues)
    slots = compile_slots(model, doc, issues)
    check_category_names(model, issues)
    names, slot_names = frozenset(table.names), frozenset(slots)
    classes = {
        name: _kept(kept, name, cls, names, slot_names)
        or compile_class(name, cls, set(names), set(slot_names), issues)
        for name, cls in model.classes.items()
    }
    class_lines = {
        name: line for name in model.classes if (line := doc.line_of(("classes", name))) is not None
    }
    assign = Assignments(model, site, set(classes), issues, made)
    by_extension = index_users(assign, site, issues)
    lockout = lockout_policy(model, doc)
    issues.raise_if_any()
    return TimeRules(
        model=model,
        file=doc.file,
        tz=ZoneInfo(model.timezone or DEFAULT_TIMEZONE),
        line_prefix=prefix,
        categories=table,
        slots=slots,
        classes=classes,
        class_lines=class_lines,
        by_extension=by_extension,
        ranges=tuple(assign.ranges),
        groups=assign.groups,
        departments=assign.departments,
        contexts=assign.contexts,
        default=assign.default,
        pins=dict(model.pins),
        lockout=lockout,
        assign_line=assign.line,
    )


def _kept(
    kept: Mapping[str, ClassPart] | None,
    name: str,
    cls: RightsClass,
    categories: frozenset[str],
    slots: frozenset[str],
) -> CompiledClass | None:
    part = kept.get(name) if kept else None
    if part is None or part.model is not cls or part.compiled is None:
        return None
    return part.compiled if (part.categories, part.slots) == (categories, slots) else None


def line_prefix(model: RightsFile, site: Site, issues: Issues) -> str:
    """The outside-line prefix: the file's, else the site's outgoing context's."""
    prefix = model.line_prefix if model.line_prefix is not None else site.line_prefix()
    if prefix is None:
        issues.add((), *line_prefix_needed(site))
        return ""
    return prefix


def check_category_names(model: RightsFile, issues: Issues) -> None:
    for cname in model.categories:
        if cname in RESERVED_CATEGORY_WORDS or not NAME_RE.match(cname):
            issues.add(
                ("categories", cname), f"{cname!r} cannot name a category", "pick another name"
            )


def rule_lines(
    rule: Mapping[str, str], path: Path_, label: str, slots: set[str], issues: Issues
) -> tuple[RuleLine, ...]:
    """A category rule {slot: verdict, default: verdict} as lines, the default last;
    each line's number kept as an offset from its class's (``path[:2]``,
    ``("classes", name)``: :meth:`~autocom.rights.rules.TimeRules.where_of`)."""
    out: list[RuleLine] = []
    default: RuleLine | None = None
    class_line = issues.doc.line_of(path[:2]) or 0
    for slot, verdict in rule.items():
        sub = (*path, slot) if (*path, slot) in issues.doc.lines else path
        text = f"{label}.{slot}: {verdict}" if slot != "default" else f"{label}: {verdict}"
        at = issues.doc.line_of(sub)
        offset = None if at is None else at - class_line
        line = RuleLine(None if slot == "default" else slot, cast(Verdict, verdict), offset, text)
        if slot == "default":
            default = line
            continue
        if slot not in slots:
            issues.add(
                sub,
                f"{label}: no time slot is called {slot!r}",
                f"use one of: {', '.join(sorted(slots)) or '(no slots defined)'}",
            )
        out.append(line)
    if default is not None:
        out.append(default)
    return tuple(out)


def compile_class(
    cname: str, cls: RightsClass, categories: set[str], slots: set[str], issues: Issues
) -> CompiledClass:
    base: Path_ = ("classes", cname)
    calls: dict[str, tuple[RuleLine, ...]] = {}
    for cat, rule in cls.categories.items():
        if cat not in categories:
            issues.add(
                (*base, cat),
                f"class {cname}: {cat!r} is not a category nor a class key",
                f"use one of: {', '.join(sorted(categories))}, default, forward, description",
            )
            continue
        calls[cat] = rule_lines(rule, (*base, cat), f"{cname}.{cat}", slots, issues)
    forwards, forward_default = compile_forwards(cname, cls, categories, slots, issues)
    call_default = (
        rule_lines(cls.default, (*base, "default"), f"{cname}.default", slots, issues)
        if "default" in cls.model_fields_set
        else ()
    )
    return CompiledClass(cname, calls, call_default, forwards, forward_default)


def compile_forwards(
    cname: str, cls: RightsClass, categories: set[str], slots: set[str], issues: Issues
) -> tuple[dict[str, tuple[RuleLine, ...]], tuple[RuleLine, ...]]:
    """A class's ``forward:`` section: per category lines, and its default."""
    base: Path_ = ("classes", cname, "forward")
    forwards: dict[str, tuple[RuleLine, ...]] = {}
    forward_default: tuple[RuleLine, ...] = ()
    for cat, rule in cls.forward.items():
        if cat == "default":
            forward_default = rule_lines(rule, (*base, cat), f"{cname}.forward", slots, issues)
            continue
        if cat not in categories:
            issues.add(
                (*base, cat),
                f"class {cname}: forward: {cat!r} is not a category",
                f"use one of: {', '.join(sorted(categories))}, default",
            )
            continue
        forwards[cat] = rule_lines(rule, (*base, cat), f"{cname}.forward.{cat}", slots, issues)
    return forwards, forward_default


# (class, selector, where, offset) -> the assignment a previous load made
AssignmentsMade = Mapping[tuple[str, str, str, int | None], Assignment]


def _assignments_of(rules: TimeRules) -> AssignmentsMade:
    """Every assignment of ``rules``, for the next load to keep those that are the
    same (a reload through the loader process then sends none of 4000 again)."""
    every = [
        *rules.by_extension.values(),
        *(a for _, a in rules.ranges),
        *rules.groups.values(),
        *rules.departments.values(),
        *rules.contexts.values(),
        *([rules.default] if rules.default else []),
    ]
    return {(a.class_name, a.selector, a.where, a.offset): a for a in every}


class Assignments:
    """The ``assign:`` section compiled, one method per kind of selector."""

    def __init__(
        self,
        model: RightsFile,
        site: Site,
        classes: set[str],
        issues: Issues,
        made: AssignmentsMade | None = None,
    ) -> None:
        self.model, self.site, self.classes, self.issues = model, site, classes, issues
        self.made = made or {}
        self.line = issues.doc.line_of(("assign",))  # the assign: key's
        self.explicit = self._simple("extensions", "extension")
        self.ranges = self._ranges()
        self.groups = self._groups()
        self.departments = self._simple("departments", "department")
        self.contexts = self._contexts()
        self.default = self._default()

    def _one(self, section: str, key: str, selector: str) -> Assignment | None:
        cname = getattr(self.model.assign, section)[key]
        if cname not in self.classes:
            self.issues.add(
                ("assign", section, key),
                f"assign.{section}: {key}: no class is called {cname!r}",
                f"use one of: {', '.join(sorted(self.classes)) or '(no classes defined)'}",
            )
            return None
        return self._assignment(cname, selector, ("assign", section, key))

    def _assignment(self, cname: str, selector: str, path: tuple[str, ...]) -> Assignment:
        """The previous load's assignment when it is the same, else a new one; its
        line an offset from the assign: key's."""
        line = self.issues.doc.line_of(path)
        if line is not None and self.line is not None:
            where, offset = self.issues.file, line - self.line
        else:
            where, offset = self.issues.where(*path), None
        found = self.made.get((cname, selector, where, offset))
        return found if found is not None else Assignment(cname, selector, where, offset)

    def _simple(self, section: str, label: str) -> dict[str, Assignment]:
        out: dict[str, Assignment] = {}
        for key in getattr(self.model.assign, section):
            found = self._one(section, key, f"{label} {key}")
            if found:
                out[key] = found
        return out

    def _ranges(self) -> list[tuple[NumberRange, Assignment]]:
        ranges: list[tuple[NumberRange, Assignment]] = []
        for text in self.model.assign.ranges:
            found = self._one("ranges", text, f"range {text}")
            if found:
                ranges.append((NumberRange.parse(text), found))
        ranges.sort(key=lambda ra: (int(ra[0].end) - int(ra[0].start), ra[0].start))
        for i, (r1, a1) in enumerate(ranges):
            for r2, a2 in ranges[i + 1 :]:
                same_width = int(r1.end) - int(r1.start) == int(r2.end) - int(r2.start)
                if same_width and r1.overlaps(r2) and a1.class_name != a2.class_name:
                    self.issues.add(
                        ("assign", "ranges", str(r2)),
                        f"ranges {r1} and {r2} overlap, are as wide, and give different classes",
                        "make one range narrower, or assign the shared extensions one by one",
                    )
        return ranges

    def _groups(self) -> dict[str, Assignment]:
        site = self.site
        groups: dict[str, Assignment] = {}
        for key in self.model.assign.groups:
            grp = site.group(key) or next((g for g in site.groups if g.name == key), None)
            if grp is None:
                self.issues.add(
                    ("assign", "groups", key),
                    f"assign.groups: no group {key!r} in the site",
                    "write a group extension or name from site.yaml",
                )
                continue
            found = self._one("groups", key, f"group {grp.extension} ({grp.name})")
            if found:
                groups[grp.extension] = found
        return groups

    def _contexts(self) -> dict[str, Assignment]:
        site = self.site
        contexts: dict[str, Assignment] = {}
        for key in self.model.assign.contexts:
            if site.contexts and site.context(key) is None:
                self.issues.add(
                    ("assign", "contexts", key),
                    f"assign.contexts: no context {key!r} in the site",
                    f"use one of: {', '.join(c.name for c in site.contexts)}",
                )
                continue
            found = self._one("contexts", key, f"context {key}")
            if found:
                contexts[key] = found
        return contexts

    def _default(self) -> Assignment | None:
        name = self.model.assign.default
        if name is None:
            return None
        if name in self.classes:
            return self._assignment(name, "default", ("assign", "default"))
        self.issues.add(
            ("assign", "default"),
            f"assign.default: no class is called {name!r}",
            f"use one of: {', '.join(sorted(self.classes)) or '(no classes defined)'}",
        )
        return None


def index_users(assign: Assignments, site: Site, issues: Issues) -> dict[str, Assignment]:
    """Every site user's assignment, so the engine does one dict lookup per call."""
    by_extension: dict[str, Assignment] = dict(assign.explicit)
    for user in site.users:
        ext = user.extension
        if ext in by_extension:
            continue
        found = resolve_assignment(
            ext,
            user.department,
            user.context,
            assign.ranges,
            assign.groups,
            site,
            assign.departments,
            assign.contexts,
            assign.default,
            issues,
        )
        if found is not None:
            by_extension[ext] = found
    return by_extension


def lockout_policy(model: RightsFile, doc: Document) -> LockoutPolicy | None:
    """``pin: lockout:`` (None: off), with the file:line it was read from."""
    settings = model.pin.lockout
    if settings is None:
        return None
    at = doc.lines.get(("pin", "lockout"))
    where = f"{doc.file}:{at}" if at is not None else f"{doc.file} (default)"
    return LockoutPolicy(settings.failures, settings.window, settings.lock, where)


__all__ = ["compile_rules", "load_rules"]
