"""Numbering-plan checks of site.yaml: `autocom check` and every (re)load run them.

``check_site(site)`` returns one ConfigIssue per conflict; each names the file:line
of both sides (the issue's own file:line is one side, the message names the other):

- an extension used twice (users, groups), a DID declared twice;
- a DID whose destination is no user or group (or whose context is unknown);
- a user or group outside its context's ranges (when the context declares ranges),
  or in a context that is not internal;
- overlapping ranges, within a context or between two contexts;
- an include of an unknown context, include cycles;
- a device owned by two users, a group member that is not a user;
- a user or group extension equal to an emergency number (emergency numbers are
  routed first: the extension could never be called);
- an outgoing context without trunks or with a line prefix that is not digits;
- an internal context with users that reaches no outgoing context, on a site that
  has one (its phones could not call emergency numbers);
- a group overflow to an extension that is no user or group, to a number that no
  outgoing context reached from the group's context takes (or that is an
  extension or an emergency number), and overflow loops between groups.

Feature codes and speed dials are checked by their features with
``autocom.site.patterns.shadowed_extensions`` / ``shadow_issues``.
"""

from __future__ import annotations

from collections.abc import Iterable

from autocom.config.errors import ConfigIssue
from autocom.config.model import RuleModel
from autocom.site.model import Context, NumberRange, Site, User
from autocom.site.patterns import pattern_matches


def _at(obj: RuleModel | None) -> tuple[str, int | None]:
    source = obj.source if obj is not None else None
    if source is None:
        return "site.yaml", None
    return source.file, source.line


def _where(obj: RuleModel | None) -> str:
    file, line = _at(obj)
    return f"{file}:{line}" if line is not None else file


def _issue(obj: RuleModel | None, message: str, hint: str = "") -> ConfigIssue:
    file, line = _at(obj)
    return ConfigIssue(file, line, message, hint)


def check_site(site: Site) -> list[ConfigIssue]:
    """Every numbering-plan conflict of the site, each naming both sides."""
    issues: list[ConfigIssue] = []
    issues += _duplicate_extensions(site)
    issues += _dids(site)
    issues += _ranges_of_members(site)
    issues += _overlapping_ranges(site)
    issues += _includes(site)
    issues += _devices_and_members(site)
    issues += _emergency(site)
    issues += _outgoing(site)
    issues += _overflows(site)
    issues += _overflow_loops(site)
    from autocom.site.tandems import check_tandems  # it uses this module's helpers

    issues += check_tandems(site)
    return issues


def _duplicate_extensions(site: Site) -> Iterable[ConfigIssue]:
    first: dict[str, tuple[str, RuleModel]] = {}
    items: list[tuple[str, str, RuleModel]] = [
        (u.extension, f"user {u.extension} {u.display_name}", u) for u in site.users
    ] + [(g.extension, f"group {g.extension} {g.name}", g) for g in site.groups]
    for ext, what, obj in items:
        if ext in first:
            other_what, other = first[ext]
            yield _issue(
                obj,
                f"extension {ext} is used twice: {what} and {other_what} ({_where(other)})",
                "give one of them a free extension of its context's range",
            )
        else:
            first[ext] = (what, obj)


def _dids(site: Site) -> Iterable[ConfigIssue]:
    seen: dict[str, RuleModel] = {}
    for ctx in site.contexts:
        for did in ctx.dids:
            if did.number in seen:
                yield _issue(
                    did,
                    f"DID {did.number} is declared twice (also at {_where(seen[did.number])})",
                    "keep one",
                )
            else:
                seen[did.number] = did
            if did.context is not None:
                if site.context(did.context) is None:
                    yield _issue(
                        did,
                        f"DID {did.number}: context {did.context!r} is not declared "
                        f"under contexts ({_where(ctx)})",
                        "name a declared context",
                    )
                continue
            if site.user_or_group(did.destination) is None:
                yield _issue(
                    did,
                    f"DID {did.number}: destination {did.destination} is no user or group "
                    f"of site.yaml (incoming context {ctx.name} at {_where(ctx)})",
                    "write a user or group extension, or add 'context:' for an extension "
                    "served by a feature",
                )
        if ctx.dids and ctx.kind != "incoming":
            yield _issue(
                ctx,
                f"context {ctx.name} has DIDs but is {ctx.kind}",
                "put DIDs in a context with kind: incoming",
            )


def _ranges_of_members(site: Site) -> Iterable[ConfigIssue]:
    for label, members, attr in (
        ("user", site.users, "users"),
        ("group", site.groups, "groups"),
    ):
        for item in members:
            ctx = site.context(item.context)
            if ctx is None:
                continue  # the model already refused it
            if ctx.kind != "internal":
                yield _issue(
                    item,
                    f"{label} {item.extension} is in context {ctx.name}, which is {ctx.kind} "
                    f"({_where(ctx)})",
                    "put users and groups in an internal context",
                )
                continue
            ranges = ctx.ranges()[attr]
            if ranges and not any(item.extension in r for r in ranges):
                yield _issue(
                    item,
                    f"{label} {item.extension} is outside the {attr} range "
                    f"{', '.join(str(r) for r in ranges)} of context {ctx.name} ({_where(ctx)})",
                    f"choose an extension in {ranges[0]}, or widen the range",
                )


def _overlapping_ranges(site: Site) -> Iterable[ConfigIssue]:
    entries: list[tuple[Context, str, NumberRange]] = []
    for ctx in site.contexts:
        for label, ranges in ctx.ranges().items():
            entries.extend((ctx, label, rng) for rng in ranges)
    for i, (ctx_a, label_a, a) in enumerate(entries):
        for ctx_b, label_b, b in entries[i + 1 :]:
            if a.overlaps(b):
                where = "" if ctx_a is ctx_b else f" ({_where(ctx_a)})"
                yield _issue(
                    ctx_b,
                    f"range {b} ({label_b} of context {ctx_b.name}) overlaps range {a} "
                    f"({label_a} of context {ctx_a.name}){where}",
                    "make the ranges disjoint",
                )


def _includes(site: Site) -> Iterable[ConfigIssue]:
    for ctx in site.contexts:
        for name in ctx.include:
            if site.context(name) is None:
                yield _issue(
                    ctx,
                    f"context {ctx.name} includes {name!r}, which is not declared under contexts",
                    "declare it or remove the include",
                )
            elif name == ctx.name:
                yield _issue(ctx, f"context {ctx.name} includes itself", "remove the include")
    # cycles: depth-first search over declared contexts
    reported: set[frozenset[str]] = set()
    for start in site.contexts:
        stack: list[tuple[str, list[str]]] = [(start.name, [start.name])]
        while stack:
            name, path = stack.pop()
            current = site.context(name)
            if current is None:
                continue
            for nxt in current.include:
                if nxt == start.name and len(path) > 1:
                    key = frozenset(path)
                    if key not in reported:
                        reported.add(key)
                        chain = " -> ".join([*path, nxt])
                        others = ", ".join(f"{n} at {_where(site.context(n))}" for n in path[1:])
                        yield _issue(
                            start,
                            f"include cycle {chain} ({others})",
                            "remove one include of the cycle",
                        )
                elif nxt not in path and site.context(nxt) is not None:
                    stack.append((nxt, [*path, nxt]))


def _devices_and_members(site: Site) -> Iterable[ConfigIssue]:
    owner: dict[str, User] = {}
    for user in site.users:
        for dev in user.devices:
            first = owner.setdefault(dev, user)
            if first is not user:
                yield _issue(
                    user,
                    f"device {dev} belongs to user {user.extension} and to user "
                    f"{first.extension} ({_where(first)})",
                    "a device (PJSIP endpoint) belongs to one user",
                )
    for group in site.groups:
        seen: set[str] = set()
        for member in group.members:
            if member in seen:
                yield _issue(group, f"group {group.extension}: member {member} is listed twice")
            seen.add(member)
            if site.user(member) is None:
                other = site.group(member)
                detail = f" (a group, at {_where(other)})" if other is not None else ""
                yield _issue(
                    group,
                    f"group {group.extension}: member {member} is not a user{detail}",
                    "members are user extensions",
                )


def _emergency(site: Site) -> Iterable[ConfigIssue]:
    outgoing = list(site.outgoing())
    for out in outgoing:
        numbers = {dialed: number for number, dialed in out.emergency_dialed()}
        for item, label in [(u, "user") for u in site.users] + [(g, "group") for g in site.groups]:
            if item.extension in numbers:
                yield _issue(
                    item,
                    f"{label} {item.extension} is the emergency number "
                    f"{numbers[item.extension]} of outgoing context {out.name} "
                    f"({_where(out)}), routed first: it could never be called",
                    "choose another extension",
                )
            elif out.line_prefix and pattern_matches(out.outside_pattern, item.extension):
                yield _issue(
                    item,
                    f"{label} {item.extension} starts with the line prefix "
                    f"{out.line_prefix!r} of outgoing context {out.name} ({_where(out)}): "
                    f"the external number {item.extension[len(out.line_prefix) :]} "
                    "could not be called",
                    "choose an extension that does not start with the line prefix",
                )
    if not outgoing:
        return
    for ctx in site.contexts:
        if ctx.kind != "internal":
            continue
        if not any(u.context == ctx.name for u in site.users):
            continue
        if not site.reachable_outgoing(ctx.name):
            yield _issue(
                ctx,
                f"context {ctx.name} reaches no outgoing context: its phones cannot call "
                f"emergency numbers (outgoing: "
                f"{', '.join(f'{o.name} at {_where(o)}' for o in outgoing)})",
                f"include {outgoing[0].name} (directly or through an included context)",
            )


def _outgoing(site: Site) -> Iterable[ConfigIssue]:
    for ctx in site.outgoing():
        if not ctx.trunks:
            yield _issue(
                ctx,
                f"outgoing context {ctx.name} has no trunks",
                "add 'trunks: [<PJSIP trunk endpoint>]'",
            )
        if ctx.line_prefix and not ctx.line_prefix.isdigit():
            yield _issue(
                ctx,
                f"outgoing context {ctx.name}: line prefix {ctx.line_prefix!r} is not digits",
                'write digits, e.g. line_prefix: "0"',
            )
        for number in ctx.emergency:
            if not number.isdigit():
                yield _issue(
                    ctx,
                    f"outgoing context {ctx.name}: emergency number {number!r} is not digits",
                    "write digits",
                )
    for ctx in site.contexts:
        if ctx.kind != "outgoing" and (ctx.trunks or ctx.line_prefix):
            yield _issue(
                ctx,
                f"context {ctx.name} has trunks or a line prefix but is {ctx.kind}",
                "use kind: outgoing",
            )


def _overflows(site: Site) -> Iterable[ConfigIssue]:
    for group in site.groups:
        overflow = group.overflow
        if overflow is None:
            continue
        label = f"group {group.extension}: overflow to"
        if overflow.extension is not None:
            if site.user_or_group(overflow.extension) is None:
                yield _issue(
                    overflow,
                    f"{label} {overflow.extension}, which is no user or group of site.yaml "
                    f"(group at {_where(group)})",
                    "write a user or group extension, or 'number:' for an external number",
                )
            continue
        number = overflow.number
        if number is None:
            continue  # a mailbox: its syntax is checked by the model
        internal = site.user_or_group(number)
        if internal is not None:
            yield _issue(
                overflow,
                f"{label} number {number}, which is an extension of site.yaml ({_where(internal)})",
                f"write 'extension: \"{number}\"'",
            )
            continue
        reached = site.reachable_outgoing(group.context)
        emergency = {d: (n, out) for out in reached for n, d in out.emergency_dialed()}
        if number in emergency:
            real, out = emergency[number]
            yield _issue(
                overflow,
                f"{label} number {number}, the emergency number {real} of outgoing "
                f"context {out.name} ({_where(out)}): refused",
                "send the calls nobody answers to a person, a group or a mailbox",
            )
        elif site.outgoing_route(group.context, number) is None:
            outs = ", ".join(f"{o.name} {o.outside_pattern} at {_where(o)}" for o in reached)
            why = f"no outgoing context takes it ({outs})" if reached else "it reaches none"
            yield _issue(
                overflow,
                f"{label} number {number}, which context {group.context} cannot call out: " + why,
                "write the number as a phone of this context dials it, line prefix included",
            )


def _overflow_loops(site: Site) -> Iterable[ConfigIssue]:
    """Groups whose overflows lead back to themselves (each group has one overflow:
    follow the chain from each group, report each loop once, at its first group)."""
    reported: set[frozenset[str]] = set()
    for start in site.groups:
        chain = [start]
        current = start
        while current.overflow is not None and current.overflow.extension is not None:
            nxt = site.group(current.overflow.extension)
            if nxt is None:
                break
            if nxt is start:
                key = frozenset(g.extension for g in chain)
                if key not in reported:
                    reported.add(key)
                    path = " -> ".join(g.extension for g in [*chain, start])
                    others = ", ".join(f"{g.extension} at {_where(g.overflow)}" for g in chain[1:])
                    yield _issue(
                        start.overflow,
                        f"group overflow loop {path}"
                        + (f" (overflows of {others})" if others else ""),
                        "end the chain on a user, a mailbox or an external number",
                    )
                break
            if any(nxt is g for g in chain):
                break  # a loop that does not pass through start: reported from its own group
            chain.append(nxt)
            current = nxt
