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

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Literal, NamedTuple

from autocom.rights.categories import EMERGENCY, INTERNAL, Classified, Hit
from autocom.rights.rules import PlanStep, RuleLine, TimeRules, assignment_of
from autocom.rights.slots import CompiledSlot, is_active
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

    def log_record(self, uniqueid: str | None = None) -> dict[str, Any]:
        """The JSON-line audit record (see hooks); with ``uniqueid``, the hook's: the
        call's uniqueid and the trace follow (one tuple unpacking: read per call)."""
        (
            verdict,
            category,
            class_name,
            slot,
            reason,
            trace,
            number,
            caller,
            dialed,
            purpose,
            when,
        ) = self
        record: dict[str, Any] = {
            "event": "rights",
            "purpose": purpose,
            "caller": caller,
            "dialed": dialed,
            "number": number,
            "category": category,
            "class": class_name,
            "slot": slot,
            "decision": verdict,
            "reason": reason,
            "at": when,
        }
        if uniqueid is not None:
            record["uniqueid"] = uniqueid
            record["trace"] = list(trace)
        return record


# The steps kept per load, by (class, purpose, category): about 1.5 kB of texts
# each; a site of a few dozen classes uses a few hundred, 4000 classes of their own
# (bench/time_rules_bench.py) up to 72,000 (over 100 MB, and objects enough to wake
# the collector's full passes): past the bound, steps are made as the call tries them.
MAX_PLANS = 2048
_EMERGENCY_CALL = "emergency numbers are always allowed"
_EMERGENCY_FORWARD = "a forward to an emergency number is refused"


def decide(
    rules: TimeRules,
    site: Site,
    caller: str,
    dialed: str,
    when: datetime,
    purpose: Purpose = "call",
    context: str | None = None,
) -> RightsDecision:
    """Allow, deny or pin for ``caller`` dialing ``dialed`` at ``when``.

    Every text of the decision but the caller's was made once (the category's
    trace line with the table, the class's with the assignment, the rest with the
    class's steps for the category, :func:`plan_steps`); only the slots are read
    per call."""
    hit, number = rules.categories.match(dialed, rules.line_prefix)
    local, at = rules.local_times.at(when)
    category = hit.category
    assigned = None if category == EMERGENCY else assignment_of(rules, site, caller, context)
    if assigned is None:
        verdict, reason, trace = _without_class(rules, hit, caller, purpose)
        return RightsDecision(
            verdict, category, None, None, reason, trace, number, caller, dialed, purpose, at
        )
    name = assigned.class_name
    steps: Iterable[PlanStep] | None = rules.plans.get((name, purpose, category))
    if steps is None:
        steps = plan_steps(rules, name, purpose, category)
        if len(rules.plans) < MAX_PLANS:
            steps = rules.plans[(name, purpose, category)] = tuple(steps)
    for step in steps:  # the last step always applies
        if step.slot is None or is_active(rules.slots, step.slot, local):
            break
    trace = (hit.trace, rules.trace_of(assigned), *step.trace)
    return RightsDecision(
        step.verdict,
        category,
        name,
        step.slot_name,
        step.reason,
        trace,
        number,
        caller,
        dialed,
        purpose,
        at,
    )


def _without_class(
    rules: TimeRules, hit: Hit, caller: str, purpose: Purpose
) -> tuple[VerdictT, str, tuple[str, ...]]:
    """Emergency numbers (no class is read), and callers without a class."""
    if hit.category == EMERGENCY:
        if purpose == "forward":
            return "deny", _EMERGENCY_FORWARD, (hit.trace,)
        return "allow", _EMERGENCY_CALL, (hit.trace,)
    if hit.category == INTERNAL:
        return "allow", f"{caller} has no class; internal numbers are allowed", (hit.trace,)
    missing = f"{rules.file} assign: no class for {caller} and no assign.default"
    return "deny", f"{caller} has no class (and no assign.default)", (hit.trace, missing)


def plan_steps(rules: TimeRules, name: str, purpose: Purpose, category: str) -> Iterator[PlanStep]:
    """How class ``name`` decides ``category`` for ``purpose``, a step a rule line in
    the order they are tried: the category's lines in file order (the first whose
    slot is active decides), then the class default's; the last step always applies
    (a line without a slot, or the deny when none applied).  Made as they are tried,
    each with its reason and trace texts."""
    cls = rules.classes[name]
    if purpose == "forward":
        lines = cls.forwards.get(category)
        fallback = cls.forward_default
        missing = "forward: no default: external forwards are denied"
    else:
        lines = cls.calls.get(category)
        fallback = cls.call_default
        missing = "no default: denied"
    if lines is None and category == INTERNAL:
        yield PlanStep(
            None, "allow", None, f"class {name} does not list internal: internal is allowed", ()
        )
        return
    skipped: list[str] = []  # the slot lines tried before: their slot was not active
    where_of = rules.where_of
    for group in (lines or (), fallback):
        for line in group:
            slot = None if line.slot is None else rules.slots[line.slot]
            said = (f"{slot.where} slot {slot.name} active",) if slot else ()
            reason = _reason(name, category, line, slot, group is lines, len(group))
            told = f"{where_of(name, line)} {line.text}"
            yield PlanStep(
                line.slot,
                line.verdict,
                slot.name if slot else None,
                reason,
                (*skipped, *said, told),
            )
            if slot is None:
                return
            skipped.append(f"{told} (slot {line.slot} not active)")
    reason = f"class {name}: {category} not allowed ({missing})"
    denied = f"{where_of(name)} class {name}: {missing}"
    yield PlanStep(None, "deny", None, reason, (*skipped, denied))


def _reason(
    name: str, category: str, line: RuleLine, slot: CompiledSlot | None, listed: bool, count: int
) -> str:
    if slot is not None:
        return f"class {name}, {category}, during {slot.name}: {line.verdict}"
    if listed and count == 1:
        return f"class {name}, {category}: {line.verdict}"
    if listed:
        return f"class {name}, {category}, no listed slot active: {line.verdict}"
    return f"class {name}: {category} not listed, class default: {line.verdict}"


def classify(rules: TimeRules, dialed: str) -> Classified:
    """The category of a dialed number (for other features and the CLI)."""
    return rules.categories.classify(dialed, rules.line_prefix)
