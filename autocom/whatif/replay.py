"""What-if on past calls: each call decided by the current rules and by new ones.

Pure: past calls (from call accounting's tickets), two configs, the replay steps
the features offer (autocom.services.ReplayService) and the period's time
classes in; a :class:`Report` out.  Nothing here repeats a decision: call
rights are :func:`autocom.rights.decide` itself, a feature's step calls that
feature's engine.

What is replayed:

- an outgoing call (no user called, the call reached the outgoing hook): the
  call rights of the caller for the number dialed, at the call's time;
- a call to a user, in the dialplan's order (AUTOCOM_HOOKS_USER: boss filter,
  then forwards; AUTOCOM_HOOKS_UNANSWERED when the ticket shows the user did
  not answer): the steps the features offer, until one takes the call;
- a speed-dial code dialed: the step the speed dial feature offers (the code
  resolved, then the caller's call rights for the number, as its hook does).

Decisions are grouped, never approximated: a call's rights depend on the caller
only through its class and on the number only through its category
(:func:`autocom.rights.decide`), and on the time only through its time class
(:mod:`autocom.whatif.time_classes`); a feature step says itself which facts of
the call it reads (``ReplayStep.key``).  The first call of a group is decided,
the others take its outcome.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple

from autocom.rights import TimeRules, assignment_of, classify, decide
from autocom.rights.categories import PatternEntry
from autocom.whatif.time_classes import TimeClasses

if TYPE_CHECKING:
    from autocom.loader import Config

DIGITS = re.compile(r"^[0-9]{1,40}$")
OUTGOING = "outgoing call (call rights)"
TO_USER = "call to a user"
SPEED_DIAL = "speed dial (the code resolved, then call rights)"
VERDICT_WORD = {"allow": "allowed", "deny": "refused", "pin": "PIN asked", "": "not decided"}


class PastCall(NamedTuple):
    """What a replay reads of a ticket (docs/accounting.md, ticket_version 1); a tuple,
    so that a store makes one from a row at C speed.  ``what`` is the store's reading
    of the ticket: ``outgoing`` (no user called, the call reached the outgoing hook),
    ``user`` / ``user:busy`` / ``user:noanswer`` (a call to a user, and what the
    user's devices did), ``speed_dial:<the code dialed>``, or ``none`` (no decision
    to replay, e.g. an incoming call to an IVR or a group)."""

    ref: object  # the store's handle of the ticket, to fetch its details (CallDetails)
    start: float  # epoch seconds
    caller: str  # the number as presented (what the rights hook reads)
    called: str  # the number dialed
    called_user: str
    what: str

    @property
    def unanswered(self) -> str:
        """``busy`` or ``noanswer`` when the called user's devices did not answer."""
        return self.what[5:] if self.what.startswith("user:") else ""

    @property
    def speed_dial(self) -> str:
        """The speed-dial code dialed ('' for another call)."""
        return self.what[11:] if self.what.startswith("speed_dial:") else ""


class CallDetails(NamedTuple):
    """What the report shows of a changed call besides its PastCall."""

    id: str  # the ticket's id (Asterisk's linkedid)
    department: str  # the payer's (docs/accounting.md)
    caller_user: str


@dataclass(frozen=True, slots=True)
class Part:
    """One step's outcome: ``outcome`` is what is compared between the two rule sets."""

    outcome: str  # e.g. "allow", "ring", "follow external:0612345678", "filter: 2002 2003"
    takes: bool = False  # the step handled the call: the later steps do not run
    reason: str = ""


@dataclass(frozen=True)
class ReplayStep:
    """A feature's decision on a call to a user (phases ``before`` and
    ``unanswered``), or on a speed-dial code dialed (``dialed``), offered for a replay.

    ``decide`` must be the feature's own engine with the state the replay assumes.
    ``key(call)`` returns every fact of the call ``decide`` reads besides the time and
    the config (calls with equal keys are decided once), or None when the step has
    nothing to decide for this call (e.g. a call to a user who is no boss): the step
    is then left out under both rule sets.  ``users``, when given, lists every called
    user for whom ``key`` may be other than None (the replay skips the others fast).
    """

    name: str  # "secretary", "forward": names the change ("a different forward")
    # before ringing, after no answer / busy, or a speed-dial code dialed
    phase: Literal["before", "unanswered", "dialed"]
    decide: Callable[[Config, PastCall, datetime], Part]
    key: Callable[[PastCall], Hashable | None]
    users: frozenset[str] | None = None  # the called users it may decide for (None: any)


@dataclass(frozen=True)
class Replay:
    """What a feature offers a replay: its steps, and what they assume (a ticket does
    not record a user's forwards or a boss's filter switch at that moment)."""

    feature: str
    steps: tuple[ReplayStep, ...]
    assumed: tuple[str, ...]  # one line each, printed with the report


# The order of the "user" hook point (AUTOCOM_HOOKS_USER, dialplan/autocom-globals.conf)
USER_HOOKS = ("local", "directory", "boss_secretary", "forwards")


def ordered_steps(replays: Iterable[Replay]) -> tuple[ReplayStep, ...]:
    """Every step in the dialplan's order: before ringing by the hook order, then the
    unanswered ones."""

    def rank(item: tuple[Replay, ReplayStep]) -> tuple[int, int]:
        replay, step = item
        hook = USER_HOOKS.index(replay.feature) if replay.feature in USER_HOOKS else 99
        return (step.phase == "unanswered", hook)

    pairs = [(r, s) for r in replays for s in r.steps]
    return tuple(s for _, s in sorted(pairs, key=rank))


@dataclass(frozen=True)
class Outcome:
    """A whole call's outcome under one rule set: the steps that ran."""

    parts: tuple[tuple[str, Part], ...]
    text: str  # what is compared: "rights: allow", "filter: direct; forward: ring"

    @classmethod
    def of(cls, *parts: tuple[str, Part]) -> Outcome:
        return cls(parts, "; ".join(f"{name}: {part.outcome}" for name, part in parts) or "ring")

    @property
    def reason(self) -> str:
        return self.parts[-1][1].reason if self.parts else ""


@dataclass(frozen=True)
class CallChange:
    call: PastCall
    kind: str  # "allowed -> refused", "a different forward", "a different secretary"
    caller_class: str  # the current class, "staff -> lobby" when the new rules move it
    current: Outcome
    new: Outcome


@dataclass(repr=False)  # millions of calls: never in a log line or a traceback
class Report:
    calls: int = 0
    replayed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # why a call was not replayed
    changes: list[CallChange] = field(default_factory=list)
    decisions: int = 0  # decisions actually taken (both rule sets), after grouping
    time_classes: int = 0
    details: dict[object, CallDetails] = field(default_factory=dict)  # of the changed calls

    def count(self, attr: str) -> Counter[str]:
        return Counter(getattr(c, attr) for c in self.changes)

    def detail(self, change: CallChange) -> CallDetails:
        found = self.details.get(change.call.ref)
        return found if found is not None else CallDetails(str(change.call.ref), "", "")

    def by_department(self) -> Counter[str]:
        return Counter(self.detail(c).department or "-" for c in self.changes)


def not_replayed(call: PastCall) -> str:
    """Why a call to no user is not replayed ("" when its call rights are)."""
    if call.speed_dial:
        return "speed dial (the speed dial feature runs under neither rule set)"
    if call.what != "outgoing":
        return "a call to no user that reached no outgoing line (no decision to replay)"
    if not DIGITS.match(call.called):
        return "a feature code or a non-numeric destination"
    return ""


def category_key(rules: TimeRules) -> Hashable:
    """What a number's category depends on, file:lines aside: two rule sets with the
    same key classify every number alike (then one classification serves both)."""
    table = rules.categories

    def entries(group: Iterable[PatternEntry]) -> tuple[tuple[str, str], ...]:
        return tuple((e.pattern.text, e.category) for e in group)

    return (
        rules.line_prefix,
        table.names,
        entries(table.emergency),
        entries(table.internal_patterns),
        table.internal_numbers,
        table.internal_ranges,
        entries(table.external),
    )


class _Side:
    """One rule set's decisions; the caches are the groups of identical decisions."""

    def __init__(self, config: Config, steps: Sequence[ReplayStep], times: TimeClasses) -> None:
        rules = config.rules.get("time_rules")
        self.config = config
        self.rules = rules if isinstance(rules, TimeRules) else None
        self.steps = tuple(s for s in steps if s.phase != "dialed")
        self.dialed = tuple(s for s in steps if s.phase == "dialed")
        self.instants = times.instants
        self.classes: dict[str, str] = {}
        self.categories: dict[str, str] = {}
        self.decisions = 0

    def class_of(self, caller: str) -> str:
        hit = self.classes.get(caller)
        if hit is None:
            found = assignment_of(self.rules, self.config.site, caller) if self.rules else None
            hit = self.classes[caller] = found.class_name if found is not None else "-"
        return hit

    def category_of(self, number: str) -> str:
        hit = self.categories.get(number)
        if hit is None:
            hit = classify(self.rules, number).category if self.rules else "-"
            self.categories[number] = hit
        return hit

    def rights(self, call: PastCall, t: int) -> Outcome:
        if self.rules is None:
            return _NO_RIGHTS
        self.decisions += 1
        d = decide(self.rules, self.config.site, call.caller, call.called, self.instants[t])
        return Outcome.of(("rights", Part(d.verdict, True, d.reason)))

    def to_user(self, call: PastCall, t: int) -> Outcome:
        return self._run(self.steps, call, t)

    def speed_dial(self, call: PastCall, t: int) -> Outcome:
        return self._run(self.dialed, call, t)

    def _run(self, steps: Sequence[ReplayStep], call: PastCall, t: int) -> Outcome:
        parts: list[tuple[str, Part]] = []
        for step in steps:
            if step.key(call) is None:
                continue
            self.decisions += 1
            part = step.decide(self.config, call, self.instants[t])
            parts.append((step.name, part))
            if part.takes:
                break
        return Outcome.of(*parts)


_NO_RIGHTS = Outcome.of(("rights", Part("", True, "call rights (time_rules) do not run")))


def _kind(current: Outcome, new: Outcome) -> str:
    for (name, a), (_, b) in zip(current.parts, new.parts, strict=False):
        if name == "rights":
            return f"{VERDICT_WORD[a.outcome]} -> {VERDICT_WORD[b.outcome]}"
        if a.outcome != b.outcome:
            return f"a different {name}"
    longer = max((current.parts, new.parts), key=len)
    return f"a different {longer[min(len(current.parts), len(new.parts))][0]}"


Groups = dict[tuple[Hashable, ...], list[PastCall]]


def _called_users(steps: Sequence[ReplayStep]) -> frozenset[str] | None:
    """Every called user some step may decide for (None: any user)."""
    if any(s.users is None for s in steps):
        return None
    return frozenset().union(*(s.users or () for s in steps))


def group(
    calls: Iterable[PastCall], old: _Side, nw: _Side, times: TimeClasses, report: Report
) -> Groups:
    """The calls by what their decisions read under both rule sets (skipped ones counted).

    The hot loop of a replay (millions of calls): caches are read inline, and the
    time class is looked up only when a call leaves the current segment (calls come
    in time order from the stores, so about once per segment)."""
    groups: Groups = {}
    keys = [s.key for s in old.steps]
    dialed = [s.key for s in old.dialed]
    users = _called_users(old.steps)
    nothing = (None,) * len(keys)
    digits = DIGITS.match
    old_classes, old_categories, new_classes, new_categories = (
        old.classes, old.categories, nw.classes, nw.categories
    )  # fmt: skip
    lo = hi = 0.0
    t = count = 0
    for call in calls:
        count += 1
        start = call.start
        if not lo <= start < hi:
            lo, hi, t = times.segment(start)
        user = call.called_user
        if user:
            if users is not None and user not in users:
                key: tuple[Hashable, ...] = (TO_USER, t, *nothing)
            else:
                key = (TO_USER, t, *[k(call) for k in keys])
        elif dialed and call.speed_dial:
            key = (SPEED_DIAL, t, *[k(call) for k in dialed])
        elif call.what != "outgoing" or not digits(call.called):
            report.skipped[not_replayed(call)] += 1
            continue
        else:
            caller, called = call.caller, call.called
            key = (
                OUTGOING,
                t,
                old_classes.get(caller) or old.class_of(caller),
                old_categories.get(called) or old.category_of(called),
                new_classes.get(caller) or nw.class_of(caller),
                new_categories.get(called) or nw.category_of(called),
            )
        found = groups.get(key)
        if found is None:
            groups[key] = [call]
        else:
            found.append(call)
    report.calls += count
    return groups


def simulate(
    current: Config,
    new: Config,
    calls: Iterable[PastCall],
    steps: Sequence[ReplayStep],
    times: TimeClasses,
) -> Report:
    """Every call of ``calls`` decided by both configs; the calls whose outcome differs.

    The calls are grouped first (``group``); the first call of each group is
    decided by both rule sets, at its time class's instant."""
    old, nw = _Side(current, steps, times), _Side(new, steps, times)
    if old.rules and nw.rules and category_key(old.rules) == category_key(nw.rules):
        nw.categories = old.categories
    report = Report(time_classes=len(times))
    for key, members in group(calls, old, nw, times, report).items():
        first, t = members[0], key[1]
        assert isinstance(t, int)
        if key[0] is TO_USER:
            what, a, b = TO_USER, old.to_user(first, t), nw.to_user(first, t)
        elif key[0] is SPEED_DIAL:
            what, a, b = SPEED_DIAL, old.speed_dial(first, t), nw.speed_dial(first, t)
        else:
            what, a, b = OUTGOING, old.rights(first, t), nw.rights(first, t)
        report.replayed[what] += len(members)
        if a.text != b.text:
            kind = _kind(a, b)
            report.changes.extend(_change(call, kind, a, b, old, nw) for call in members)
    report.changes.sort(key=lambda c: (c.call.start, str(c.call.ref)))
    report.decisions = old.decisions + nw.decisions
    return report


def _change(call: PastCall, kind: str, a: Outcome, b: Outcome, old: _Side, nw: _Side) -> CallChange:
    caller = call.caller
    cls = old.classes.get(caller) or old.class_of(caller)
    new_cls = nw.classes.get(caller) or nw.class_of(caller)
    caller_class = cls if cls == new_cls else f"{cls} -> {new_cls}"
    return CallChange(call, kind, caller_class, a, b)
