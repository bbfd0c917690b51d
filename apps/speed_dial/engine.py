"""Speed-dial decisions, pure: what a dialed code means and where it goes.

- :func:`parse` reads what was dialed: a collective code, or a personal
  store / delete / hear / dial code with its two-digit slot.
- :func:`resolve` turns it into a :class:`Resolution`: the number to dial
  (through the caller's call rights unless the collective entry says
  ``bypass_rights: true``), a slot to store or delete, digits to read back,
  or a refusal with its reason.
- what `autocom check` refuses in speeddial.yaml is in :mod:`apps.speed_dial.checks`.

No I/O: personal slots come in as a snapshot, the rights as a function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from apps.speed_dial.rules import NUMBER_RE, SpeedDialRules
from autocom.rights import INTERNAL, RightsCheck, is_unclassified
from autocom.site.model import Site


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
    return _personal(user, request, personal, rights, trunks)


def _personal(
    user: str,
    request: Request,
    personal: PersonalState,
    rights: RightsCheck,
    trunks: tuple[str, ...],
) -> Resolution:
    """A personal code: dial, hear, delete or store the user's slot."""
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


# number -> its category, or None when the numbering plan cannot classify it
Classify = Callable[[str], str | None]
