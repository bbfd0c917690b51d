"""The call-rights decision: a pure function of (rules, site, caller, dialed, time).

``decide`` never does I/O and never raises for a normal outcome: it returns a
:class:`RightsDecision` with the verdict, the reason and the trace of the
rule-file lines that decided.

Order of the decision:

1. the dialed number's category (:mod:`autocom.rights.categories`);
2. emergency numbers: always allowed for a call, whatever any rule says (a
   forward to an emergency number is refused);
3. the caller's class (extension > range, narrower first > group > department
   > context > default);
4. in the class, the category's rule lines in file order: the first whose slot
   is active decides, then the category's ``default``; a category the class
   does not list takes the class ``default`` (deny when absent), except
   ``internal``, allowed unless the class lists it. For ``purpose="forward"``
   the class's ``forward:`` section is read instead, and its default is deny.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, NamedTuple

from autocom.rights.categories import EMERGENCY, INTERNAL, Classified
from autocom.rights.rules import CompiledClass, RuleLine, TimeRules, assignment_of
from autocom.rights.slots import is_active, local_time
from autocom.site.model import Site

Purpose = Literal["call", "forward"]
VerdictT = Literal["allow", "deny", "pin"]


class RightsDecision(NamedTuple):
    """A decision and why (immutable; a named tuple rather than a frozen dataclass:
    one is built per call, and a frozen dataclass's ``__init__`` costs six times as
    much, bench/agi_compare.py ``served``)."""

    verdict: VerdictT
    category: str
    class_name: str | None
    slot: str | None  # the active slot that decided; None when a default decided
    reason: str
    trace: tuple[str, ...]  # "file:line what", in the order they were used
    number: str  # the external number without the line prefix (else as dialed)
    caller: str = ""
    dialed: str = ""
    purpose: Purpose = "call"
    when: str = ""  # local ISO time the decision was made for

    def log_record(self) -> dict[str, Any]:
        """The JSON-line audit record (see hooks)."""
        return {
            "event": "rights",
            "purpose": self.purpose,
            "caller": self.caller,
            "dialed": self.dialed,
            "number": self.number,
            "category": self.category,
            "class": self.class_name,
            "slot": self.slot,
            "decision": self.verdict,
            "reason": self.reason,
            "at": self.when,
        }


def decide(
    rules: TimeRules,
    site: Site,
    caller: str,
    dialed: str,
    when: datetime,
    purpose: Purpose = "call",
    context: str | None = None,
) -> RightsDecision:
    """Allow, deny or pin for ``caller`` dialing ``dialed`` at ``when``."""
    local = local_time(rules.tz, when)
    cat = rules.categories.classify(dialed, rules.line_prefix)
    trace = [f"{cat.where} category {cat.category}" + (f" ({cat.pattern})" if cat.pattern else "")]

    def done(
        verdict: VerdictT, reason: str, class_name: str | None = None, slot: str | None = None
    ) -> RightsDecision:
        return RightsDecision(
            verdict,
            cat.category,
            class_name,
            slot,
            reason,
            tuple(trace),
            cat.number,
            caller,
            dialed,
            purpose,
            local.isoformat(),
        )

    if cat.category == EMERGENCY:
        if purpose == "forward":
            return done("deny", "a forward to an emergency number is refused")
        return done("allow", "emergency numbers are always allowed")

    assigned = assignment_of(rules, site, caller, context)
    if assigned is None:
        if cat.category == INTERNAL:
            return done("allow", f"{caller} has no class; internal numbers are allowed")
        trace.append(f"{rules.file} assign: no class for {caller} and no assign.default")
        return done("deny", f"{caller} has no class (and no assign.default)")
    trace.append(f"{assigned.where} {assigned.selector} -> class {assigned.class_name}")
    return _by_class(rules, rules.classes[assigned.class_name], cat, purpose, local, trace, done)


Done = Callable[..., RightsDecision]  # (verdict, reason, class_name, slot) -> decision


def _by_class(
    rules: TimeRules,
    cls: CompiledClass,
    cat: Classified,
    purpose: Purpose,
    local: datetime,
    trace: list[str],
    done: Done,
) -> RightsDecision:
    """The class's lines for the category (or its default) decide; ``trace`` grows."""
    name = cls.name
    if purpose == "forward":
        lines = cls.forwards.get(cat.category)
        fallback = cls.forward_default
        missing = "forward: no default: external forwards are denied"
    else:
        lines = cls.calls.get(cat.category)
        fallback = cls.call_default
        missing = "no default: denied"

    if lines is None and cat.category == INTERNAL:
        return done("allow", f"class {name} does not list internal: internal is allowed", name)
    for group in (lines or (), fallback):
        hit = _first_active(rules, group, local, trace)
        if hit is not None:
            line, slot = hit
            trace.append(f"{slot.where} slot {slot.name} active" if slot else "")
            trace.append(f"{line.where} {line.text}")
            trace[:] = [t for t in trace if t]
            reason = _reason(name, cat.category, line, slot, group is lines, len(group))
            return done(line.verdict, reason, name, slot.name if slot else None)
    trace.append(f"{cls.where} class {name}: {missing}")
    return done("deny", f"class {name}: {cat.category} not allowed ({missing})", name)


def _reason(name: str, category: str, line: RuleLine, slot: Any, listed: bool, count: int) -> str:
    if slot is not None:
        return f"class {name}, {category}, during {slot.name}: {line.verdict}"
    if listed and count == 1:
        return f"class {name}, {category}: {line.verdict}"
    if listed:
        return f"class {name}, {category}, no listed slot active: {line.verdict}"
    return f"class {name}: {category} not listed, class default: {line.verdict}"


def _first_active(
    rules: TimeRules, lines: tuple[RuleLine, ...], local: datetime, trace: list[str]
) -> tuple[RuleLine, Any] | None:
    for line in lines:
        if line.slot is None:
            return line, None
        if is_active(rules.slots, line.slot, local):
            return line, rules.slots[line.slot]
        trace.append(f"{line.where} {line.text} (slot {line.slot} not active)")
    return None


def classify(rules: TimeRules, dialed: str) -> Classified:
    """The category of a dialed number (for other features and the CLI)."""
    return rules.categories.classify(dialed, rules.line_prefix)
