"""Speed-dial decisions, pure: what a dialed code means and where it goes.

- :func:`parse` reads what was dialed: a collective code, or a personal
  store / delete / hear / dial code with its two-digit slot.
- :func:`resolve` turns it into a :class:`Resolution`: the number to dial
  (through the caller's call rights unless the collective entry says
  ``bypass_rights: true``), a slot to store or delete, digits to read back,
  or a refusal with its reason.
- :func:`check_rules` finds what `autocom check` refuses in speeddial.yaml.

No I/O: personal slots come in as a snapshot, the rights as a function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from apps.speed_dial.rules import NUMBER_RE, Entry, SpeedDialRules
from autocom.config.errors import ConfigIssue
from autocom.rights import INTERNAL, RightsCheck, is_unclassified
from autocom.site.model import Site
from autocom.site.patterns import shadowed_extensions


@dataclass(frozen=True)
class PersonalEntry:
    """One personal speed dial of one user."""

    number: str
    label: str = ""


# A user's personal speed dials: slot ("00".."99") -> entry.
PersonalState = Mapping[str, PersonalEntry]

Action = Literal["collective", "dial", "store", "delete", "hear"]


@dataclass(frozen=True)
class Request:
    action: Action
    code: str = ""  # collective: the code dialed
    slot: str = ""  # personal: two digits
    number: str = ""  # store: the number to keep


def slot_of(text: str, slots: int = 100) -> str | None:
    """'7' or '07' -> '07'; None if not a slot number below ``slots``."""
    if not text.isdigit() or len(text) > 2 or int(text) >= slots:
        return None
    return f"{int(text):02d}"


def parse(rules: SpeedDialRules, dialed: str) -> Request | None:
    """The request a dialed string makes, or None if it is not a speed-dial code."""
    p = rules.personal
    personal: list[tuple[str, Action]] = [
        (p.store, "store"),
        (p.delete, "delete"),
        (p.hear, "hear"),
        (p.dial, "dial"),
    ]
    for code, action in sorted(personal, key=lambda ca: -len(ca[0])):
        if not dialed.startswith(code):
            continue
        rest = dialed[len(code) :]
        slot = rest[:2]
        if len(slot) != 2 or slot_of(slot, p.slots) is None:
            continue
        if action == "store":
            return Request("store", slot=slot, number=rest[2:])
        if len(rest) == 2:
            return Request(action, slot=slot)
    if rules.collective.in_range(dialed) or rules.entry(dialed) is not None:
        return Request("collective", code=dialed)
    return None


Outcome = Literal["dial", "pin", "refused", "stored", "deleted", "say", "empty"]


@dataclass(frozen=True)
class Resolution:
    """What the dialplan does with a speed-dial code."""

    outcome: Outcome
    route: Literal["internal", "external", ""] = ""
    target: str = ""  # internal: extension; external: number for the trunk; say: digits
    number: str = ""  # the resolved number as a user dials it
    label: str = ""  # shown as the connected name
    bypass: bool = False  # dialed without the caller's rights (collective bypass_rights)
    reason: str = ""
    trace: tuple[str, ...] = ()
    category: str | None = None
    changes: Mapping[str, PersonalEntry | None] = field(default_factory=dict)  # slot -> new
    trunks: tuple[str, ...] = ()  # external: the trunks to try, in order

    @property
    def value(self) -> str:
        """AUTOCOM_SD for the dialplan.

        'trunk:<number without line prefix>:<trunk1&trunk2>' (dial the trunks:
        rights already checked, or bypassed), 'internal:<ext>' and
        'pin:<number as dialed>' (redirect in the caller's context; for pin the
        normal outgoing route asks the PIN), 'say:<digits>', 'stored',
        'deleted', 'empty' or 'refused'.
        """
        if self.outcome == "dial" and self.route == "external":
            return f"trunk:{self.target}:{'&'.join(self.trunks)}"
        if self.outcome == "dial":
            return f"{self.route}:{self.target}"
        if self.outcome == "pin":
            return f"pin:{self.number}"
        if self.outcome == "say":
            return f"say:{self.target}"
        return self.outcome


def _refused(reason: str, trace: Sequence[str] = (), category: str | None = None) -> Resolution:
    return Resolution("refused", reason=reason, trace=tuple(trace), category=category)


def outgoing_trunks(site: Site, context: str) -> tuple[str, ...]:
    """The trunks of the first outgoing context reachable from ``context`` (itself, then
    its includes in Asterisk's search order: :meth:`Site.reachable_outgoing`)."""
    start = site.context(context)
    reached = [start] if start is not None and start.kind == "outgoing" else []
    reached.extend(site.reachable_outgoing(context))
    return next((ctx.trunks for ctx in reached if ctx.trunks), ())


def _dial(
    user: str,
    number: str,
    label: str,
    what: str,
    rights: RightsCheck,
    trunks: tuple[str, ...],
    bypass_where: str | None = None,
) -> Resolution:
    decision = rights(user, number)
    trace = tuple(decision.trace)
    category = decision.category
    if is_unclassified(decision):
        return _refused(f"{what}: the numbering plan does not know {number}", trace, category)
    route: Literal["internal", "external"] = "internal" if category == INTERNAL else "external"
    target = number if route == "internal" else (decision.number or number)
    if route == "external" and not trunks and decision.verdict != "pin":
        return _refused(f"{what} -> {number}: no outgoing context with trunks", trace, category)
    if bypass_where is not None:
        return Resolution(
            "dial",
            route,
            target,
            number,
            label,
            True,
            f"{what} -> {number} ({category}): bypass_rights at {bypass_where}, "
            f"{user}'s rights ({decision.verdict}) not applied",
            (f"{bypass_where} bypass_rights: true", *trace),
            category,
            trunks=trunks,
        )
    if decision.verdict == "allow":
        return Resolution(
            "dial", route, target, number, label, False,
            f"{what} -> {number} ({category}): allowed for {user}", trace, category,
            trunks=trunks,
        )  # fmt: skip
    if decision.verdict == "pin":
        return Resolution(
            "pin", route, target, number, label, False,
            f"{what} -> {number} ({category}): {user} needs a PIN", trace, category,
        )  # fmt: skip
    return _refused(
        f"{what} -> {number} ({category}): denied for {user}: {decision.reason}", trace, category
    )


def resolve(
    rules: SpeedDialRules,
    site: Site,
    user: str,
    request: Request,
    personal: PersonalState,
    rights: RightsCheck,
    context: str = "",
) -> Resolution:
    """What ``user`` dialing ``request`` gets; ``context`` is the caller's (site.yaml)
    context, whose outgoing context gives the trunks (default: the user's)."""
    site_user = site.user(user)
    trunks = outgoing_trunks(site, context or (site_user.context if site_user else ""))
    if request.action == "collective":
        entry = rules.entry(request.code)
        if entry is None:
            return _refused(f"no collective speed dial {request.code}")
        where = str(entry.source) if entry.source else f"code {entry.code}"
        return _dial(
            user,
            entry.number,
            entry.label,
            f"speed dial {entry.code}",
            rights,
            trunks,
            bypass_where=where if entry.bypass_rights else None,
        )
    if site.user(user) is None:
        return _refused(f"{user} is not a user of the site: no personal speed dials")
    slot = request.slot
    current = personal.get(slot)
    if request.action == "dial":
        if current is None:
            return _refused(f"{user} has no number in slot {slot}")
        return _dial(user, current.number, current.label, f"slot {slot} of {user}", rights, trunks)
    if request.action == "hear":
        if current is None:
            return Resolution("empty", reason=f"slot {slot} of {user} is empty")
        return Resolution(
            "say", target=current.number, number=current.number,
            reason=f"slot {slot} of {user} read back",
        )  # fmt: skip
    if request.action == "delete":
        return Resolution(
            "deleted",
            reason=f"slot {slot} of {user} deleted" if current else f"slot {slot} was empty",
            changes={slot: None},
        )
    number = request.number
    if not NUMBER_RE.match(number):
        return _refused(f"{number!r} is not a number of 1 to 20 digits")
    decision = rights(user, number)
    if is_unclassified(decision):
        return _refused(
            f"the numbering plan does not know {number}", tuple(decision.trace), decision.category
        )
    return Resolution(
        "stored",
        number=number,
        reason=f"slot {slot} of {user} = {number} ({decision.category})",
        category=decision.category,
        changes={slot: PersonalEntry(number, current.label if current else "")},
    )


# ----------------------------------------------------------------------------- check

# number -> its category, or None when the numbering plan cannot classify it
Classify = Callable[[str], str | None]


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


def check_rules(
    rules: SpeedDialRules, site: Site, classify: Classify | None, file: str
) -> list[ConfigIssue]:
    """Everything `autocom check` refuses in the collective table and codes."""
    issues: list[ConfigIssue] = []
    col = rules.collective
    src = col.source
    col_line = src.line if src is not None else None
    rng = col.number_range
    if rng is not None:
        for ctx in site.contexts:
            for kind, ranges in ctx.ranges().items():
                for other in ranges:
                    if rng.overlaps(other):
                        issues.append(
                            ConfigIssue(
                                file,
                                col_line,
                                f"speed-dial range {rng} overlaps the {kind} range {other} "
                                f"of context {ctx.name} ({ctx.source or 'site.yaml'})",
                                "choose a range no extension uses, e.g. 8000-8999",
                            )
                        )
    if col.prefix is not None:
        for number, what in _site_numbers(site).items():
            if number.startswith(col.prefix):
                issues.append(
                    ConfigIssue(
                        file,
                        col_line,
                        f"speed-dial prefix {col.prefix!r} shadows {what}",
                        "choose a prefix no extension starts with, e.g. '*8'",
                    )
                )
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
        if not col.in_range(entry.code):
            issues.append(
                ConfigIssue(
                    efile,
                    eline,
                    f"speed-dial code {entry.code} is outside the {col.describe_range()}",
                    "use a code inside it, or widen collective.range",
                )
            )
        shadow = shadowed(entry.code, site)
        if shadow is not None:
            issues.append(
                ConfigIssue(
                    efile,
                    eline,
                    f"speed-dial code {entry.code} shadows {shadow}",
                    "use a code that is not an extension",
                )
            )
        if classify is not None and classify(entry.number) is None:
            issues.append(
                ConfigIssue(
                    efile,
                    eline,
                    f"speed dial {entry.code}: the numbering plan cannot classify {entry.number}",
                    "write the number as a user dials it (line prefix included), "
                    "or add its pattern to the time_rules categories",
                )
            )
    p = rules.personal
    psrc = p.source
    dialplan = dict(zip((p.store, p.delete, p.hear, p.dial), rules.extensions()[-4:], strict=True))
    for code, exten in dialplan.items():
        for number, what in _site_numbers(site).items():
            # stricter than the dialplan: a phone's digit map sends 2001 before *5507...
            if number.startswith(code):
                issues.append(
                    ConfigIssue(
                        psrc.file if psrc else file,
                        psrc.line if psrc else None,
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
                    psrc.file if psrc else file,
                    psrc.line if psrc else None,
                    f"personal speed-dial code {code!r} ({exten} in the dialplan) shadows "
                    f"{hit.what} ({hit.where()})",
                    "choose a code no extension starts with",
                )
            )
        if col.prefix is not None and (code.startswith(col.prefix) or col.prefix.startswith(code)):
            issues.append(
                ConfigIssue(
                    psrc.file if psrc else file,
                    psrc.line if psrc else None,
                    f"personal code {code!r} and collective prefix {col.prefix!r} overlap",
                    "give them different starts",
                )
            )
    return issues
