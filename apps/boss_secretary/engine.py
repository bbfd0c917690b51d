"""The boss/secretary decision: pure, no I/O.

``decide(rules, site, caller, boss, when, filter_state)`` says whether a call to
``boss`` is filtered and, if so, who rings in which order: a ``FilterPlan``
with ordered ring steps (every device of every user; a hunt group as the site
defines it), the fallback on no answer, the reason and the rule lines (trace).
The hook encodes the plan for the dialplan (see ``encode.py``); ``autocom
explain filter`` prints it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from apps.boss_secretary.patterns import matches
from apps.boss_secretary.rules import Boss, Destination, Filter, FilterRules, Member
from autocom.config.model import RuleModel
from autocom.site.model import Site, User

# slot name, instant -> is the slot active then (autocom.rights.slots.slot_is_active)
SlotCheck = Callable[[str, datetime], bool]

MAX_NAME = 80  # characters of caller name shown on phones


@dataclass(frozen=True)
class Caller:
    """What the hook knows about the caller; every field is untrusted data."""

    number: str
    name: str = ""
    device: str | None = None  # the caller's own device, from the channel name
    transferred_by: str | None = None  # device that blind-transferred the call (BLINDTRANSFER)
    filtered_for: str | None = None  # AUTOCOM_BS_FILTERED: already filtered for this boss


@dataclass(frozen=True)
class Ring:
    """Devices rung together for ``ring_time`` seconds."""

    devices: tuple[str, ...]
    ring_time: int
    who: str  # e.g. "user 2002 MARTIN Anne"


@dataclass(frozen=True)
class Leg:
    """One member's part of a step: one Ring, or several one after the other (linear group)."""

    label: str
    rings: tuple[Ring, ...]

    @property
    def duration(self) -> int:
        return sum(r.ring_time for r in self.rings)

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(d for r in self.rings for d in r.devices)


@dataclass(frozen=True)
class Step:
    """One Dial: every leg at once, for ``ring_time`` seconds."""

    role: Literal["boss", "secretaries", "all"]
    legs: tuple[Leg, ...]
    ring_time: int
    show_filtered: bool  # the callees see the prefixed caller name

    @property
    def devices(self) -> tuple[str, ...]:
        return tuple(d for leg in self.legs for d in leg.devices)


@dataclass(frozen=True)
class FallbackPlan:
    kind: Literal["voicemail", "hangup", "destination"]
    target: str = ""  # mailbox or destination extension
    context: str = ""  # for a destination


@dataclass(frozen=True)
class FilterPlan:
    """What happens to a call to ``boss``."""

    action: Literal["direct", "filter"]
    boss: str
    reason: str
    trace: tuple[str, ...]
    filter: str | None = None
    steps: tuple[Step, ...] = ()
    fallback: FallbackPlan | None = None
    caller_name: str = ""  # the name secretaries see; "" when direct
    boss_devices: tuple[str, ...] = ()


Where = RuleModel | tuple[str | int, ...] | None


@dataclass
class _Trace:
    """The lines that decided, each with the file:line of the rule it read."""

    rules: FilterRules
    filt: Filter | None = None
    index: int = 0
    lines: list[str] = field(default_factory=list)

    def add(self, where: Where, text: str) -> None:
        """``where``: a model, or keys inside the current filter ("slots",)."""
        src: object = None
        if isinstance(where, tuple):
            file, line = self.rules.where("filters", self.index, *where)
            if file and line is not None:
                src = f"{file}:{line}"
            elif self.filt is not None:
                src = self.filt.source
        elif where is not None:
            src = where.source
        self.lines.append(f"{src}: {text}" if src is not None else text)


def decide(
    rules: FilterRules,
    site: Site,
    caller: Caller | str,
    boss: str,
    when: datetime,
    filter_state: Mapping[str, bool],
    slots: SlotCheck | None = None,
    added_vip: tuple[str, ...] = (),
) -> FilterPlan:
    """Filter or not, and in which order the devices ring.

    ``filter_state`` maps a boss extension to on (True) / off (False), from
    the state store; a boss it does not name takes the filter's ``default``.
    ``slots`` tells whether a named time slot is active; None (no time_rules
    loaded) counts every slot as active, so a boss asking to be filtered is.
    ``added_vip``: the boss's VIP numbers a secretary added (state store), on top of
    the rule file's.
    """
    if isinstance(caller, str):
        caller = Caller(number=caller)
    trace = _Trace(rules)
    user = site.user(boss)
    filt = rules.filter_of(boss)
    if filt is not None:
        trace.filt, trace.index = filt, rules.filters.index(filt)

    def direct(reason: str) -> FilterPlan:
        return FilterPlan(
            "direct",
            boss,
            reason,
            tuple(trace.lines),
            filter=filt.name if filt is not None else None,
            boss_devices=user.devices if user is not None else (),
        )

    if filt is None:
        trace.add(rules, f"no filter names {boss} as a boss")
        return direct(f"{boss} is not a filtered boss")
    boss_rule = filt.boss(boss)
    assert boss_rule is not None
    boss_at = ("bosses", filt.bosses.index(boss_rule))
    trace.add(boss_at, f"filter {filt.name!r}: boss {boss}, mode {filt.mode}")
    if user is None:
        trace.add(boss_at, f"boss {boss} is not a user of the site")
        return direct(f"boss {boss} is not a user of the site")

    why = _why_direct(filt, boss_rule, boss_at, site, caller, when, filter_state, slots, trace)
    if why is None and caller.number in added_vip:
        trace.add(None, f"caller {caller.number} is VIP (added by a secretary, state store)")
        why = f"VIP caller ({caller.number}, added)"
    if why is not None:
        return direct(why)

    return _filter_plan(rules, filt, boss_rule, boss_at, user, site, caller, trace)


def _filter_plan(
    rules: FilterRules,
    filt: Filter,
    boss_rule: Boss,
    boss_at: tuple[str | int, ...],
    user: User,
    site: Site,
    caller: Caller,
    trace: _Trace,
) -> FilterPlan:
    """The steps of a filtered call, its fallback and the name shown to the boss."""
    boss = boss_rule.extension
    boss_leg = _boss_leg(boss_rule, user, filt, site)
    boss_devices = set(user.devices)
    sec_legs = [
        leg
        for m in filt.secretaries
        if (leg := _secretary_leg(m, filt, site, boss_devices, trace)) is not None
    ]
    steps = _steps(filt, boss_leg, sec_legs)
    if not sec_legs:
        trace.add(("secretaries",), "no secretary has a device: the boss rings alone")
    if not any(s.devices for s in steps):
        trace.add(boss_at, f"boss {boss} has no device either")
        return FilterPlan(
            "direct",
            boss,
            "nobody to ring",
            tuple(trace.lines),
            filter=filt.name,
            boss_devices=user.devices,
        )
    fallback = _fallback(filt, user)
    trace.add(("fallback",), f"fallback: {_describe_fallback(fallback)}")
    return FilterPlan(
        "filter",
        boss,
        f"filtered by {filt.name!r} ({filt.mode})",
        tuple(trace.lines),
        filter=filt.name,
        steps=tuple(steps),
        fallback=fallback,
        caller_name=caller_display(rules, filt, user, caller),
        boss_devices=user.devices,
    )


def _why_direct(
    filt: Filter,
    boss_rule: Boss,
    boss_at: tuple[str | int, ...],
    site: Site,
    caller: Caller,
    when: datetime,
    filter_state: Mapping[str, bool],
    slots: SlotCheck | None,
    trace: _Trace,
) -> str | None:
    """Why the boss rings directly (filter off, outside its slots, an exempt or VIP
    caller), or None: the call is filtered."""
    boss = boss_rule.extension
    on = filter_state.get(boss, filt.default)
    if not on:
        source = (
            "state store" if boss in filter_state else f"default: {'on' if filt.default else 'off'}"
        )
        trace.add(("default",), f"filter of {boss} is off ({source})")
        return f"the filter of {boss} is off"

    if filt.slots:
        if slots is None:
            trace.add(("slots",), "time slots not evaluated (no time_rules loaded): active")
        else:
            active = [s for s in filt.slots if slots(s, when)]
            if not active:
                trace.add(
                    ("slots",),
                    f"none of the slots {', '.join(filt.slots)} is active "
                    f"at {when:%Y-%m-%d %H:%M %Z}",
                )
                return "outside the filter's time slots"
            trace.add(("slots",), f"slot {active[0]!r} is active at {when:%Y-%m-%d %H:%M %Z}")

    exempt = _exemption(filt, boss_rule, site, caller, trace)
    if exempt is not None:
        return exempt

    vips = ((boss_rule.vip, (*boss_at, "vip")), (filt.vip, ("vip",)))
    for entries, at in vips:
        for k, entry in enumerate(entries):
            if matches(entry, caller.number):
                trace.add((*at, k), f"caller {caller.number} is VIP ({entry})")
                return f"VIP caller ({entry})"
    return None


def secretary_extensions(filt: Filter, site: Site) -> set[str]:
    """Every user extension that is a secretary of ``filt`` (group members included)."""
    out: set[str] = set()
    for m in filt.secretaries:
        group = site.group(m.extension)
        if group is not None:
            out.update(group.members)
        else:
            out.add(m.extension)
    return out


def may_toggle(rules: FilterRules, site: Site, caller: str, boss: str) -> bool:
    """The boss and any of the boss's secretaries may switch the filter."""
    filt = rules.filter_of(boss)
    if filt is None:
        return False
    return caller == boss or caller in secretary_extensions(filt, site)


def caller_display(rules: FilterRules, filt: Filter, boss: User, caller: Caller) -> str:
    """The caller name secretaries see, e.g. "[DUPONT] Jean Martin"."""
    name = _clean(caller.name) or _clean(caller.number)
    values = {
        "caller_name": name,
        "caller_number": _clean(caller.number),
        "boss_name": boss.name,
        "boss_upper": boss.name.upper(),
        "boss_first_name": boss.first_name,
        "boss_extension": boss.extension,
        "filter": filt.name,
    }
    fmt = filt.caller_name if filt.caller_name is not None else rules.caller_name
    return _clean(fmt.format_map(values))[:MAX_NAME]


def _clean(text: str) -> str:
    # presentation only: no control characters, single spaces
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _exemption(
    filt: Filter, boss_rule: Boss, site: Site, caller: Caller, trace: _Trace
) -> str | None:
    boss = boss_rule.extension
    who = site.owner_of_device(caller.device) if caller.device else None
    if who is None:
        who = site.user(caller.number)
    secretaries = secretary_extensions(filt, site)
    if who is not None and who.extension == boss:
        trace.add(("bosses",), f"caller is the boss {boss} (another of the boss's devices)")
        return "the boss's own call"
    if who is not None and who.extension in secretaries:
        trace.add(("secretaries",), f"caller {who.extension} is a secretary of {boss}")
        return f"call from the boss's secretary {who.extension}"
    if caller.transferred_by:
        by = site.owner_of_device(caller.transferred_by)
        if by is not None and (by.extension in secretaries or by.extension == boss):
            trace.add(
                ("secretaries",),
                f"put through by {by.extension} (transfer from {caller.transferred_by})",
            )
            return f"put through by the secretary {by.extension}"
    if caller.filtered_for == boss:
        trace.add((), f"the call was already filtered for {boss}: put through")
        return "already filtered for this boss (put through)"
    return None


def _boss_leg(boss_rule: Boss, user: User, filt: Filter, site: Site) -> Leg:
    ring_time = boss_rule.ring_time or filt.boss_ring_time
    label = f"boss {user.extension} {user.display_name}"
    return Leg(label, (Ring(site.ring_items(user), ring_time, label),))


def _secretary_leg(
    m: Member, filt: Filter, site: Site, exclude: set[str], trace: _Trace
) -> Leg | None:
    at = ("secretaries", filt.secretaries.index(m))
    user = site.user(m.extension)
    if user is not None:
        devices = _without(site.ring_items(user), exclude)
        label = f"secretary {user.extension} {user.display_name}"
        if not devices:
            trace.add(at, f"{label} has no device: skipped")
            return None
        return Leg(label, (Ring(devices, m.ring_time or filt.secretary_ring_time, label),))
    group = site.group(m.extension)
    if group is None:
        trace.add(at, f"secretary {m.extension} is neither a user nor a group: skipped")
        return None
    label = f"group {group.extension} {group.name} ({group.strategy})"
    members = [u for ext in group.members if (u := site.user(ext)) is not None]
    if group.strategy == "ringall":
        devices = _without((d for u in members for d in site.ring_items(u)), exclude)
        if not devices:
            trace.add(at, f"{label} has no member with a device: skipped")
            return None
        return Leg(label, (Ring(devices, m.ring_time or group.ring_time, label),))
    rings = []
    for u in members:
        devices = _without(site.ring_items(u), exclude)
        if devices:
            who = f"{label}: member {u.extension} {u.display_name}"
            rings.append(Ring(devices, m.ring_time or group.ring_time, who))
    if not rings:
        trace.add(at, f"{label} has no member with a device: skipped")
        return None
    return Leg(label, tuple(rings))


def _without(devices: Iterable[str], exclude: set[str]) -> tuple[str, ...]:
    out: list[str] = []
    for d in devices:
        if d not in exclude and d not in out:
            out.append(d)
    return tuple(out)


def _steps(filt: Filter, boss_leg: Leg, sec_legs: list[Leg]) -> list[Step]:
    boss = _serial("boss", [boss_leg], show=False)
    if not sec_legs:
        return boss
    mode = filt.mode
    if mode == "boss_first_serial":
        return boss + _serial("secretaries", sec_legs, show=True)
    if mode == "boss_first_simultaneous":
        return boss + _together("secretaries", sec_legs, show=True)
    if mode == "secretaries_first_serial":
        return _serial("secretaries", sec_legs, show=True) + boss
    if mode == "secretaries_first_simultaneous":
        return _together("secretaries", sec_legs, show=True) + boss
    return _together("all", [boss_leg, *sec_legs], show=True)


def _serial(role: Literal["boss", "secretaries", "all"], legs: list[Leg], show: bool) -> list[Step]:
    steps = []
    for leg in legs:
        for ring in leg.rings:
            if ring.devices:
                steps.append(Step(role, (Leg(ring.who, (ring,)),), ring.ring_time, show))
    return steps


def _together(
    role: Literal["boss", "secretaries", "all"], legs: list[Leg], show: bool
) -> list[Step]:
    legs = _dedupe([leg for leg in legs if leg.devices])
    if len(legs) <= 1:
        return _serial(role, legs, show)
    return [Step(role, tuple(legs), max(leg.duration for leg in legs), show)]


def _dedupe(legs: list[Leg]) -> list[Leg]:
    # a device rings once per step, in the first leg that has it
    seen: set[str] = set()
    out = []
    for leg in legs:
        rings = []
        for r in leg.rings:
            devices = _without(r.devices, seen)
            seen.update(devices)
            if devices:
                rings.append(Ring(devices, r.ring_time, r.who))
        if rings:
            out.append(Leg(leg.label, tuple(rings)))
    return out


def _fallback(filt: Filter, boss: User) -> FallbackPlan:
    fb = filt.fallback
    if isinstance(fb, Destination):
        return FallbackPlan("destination", fb.destination, fb.context or boss.context)
    if fb == "voicemail" and boss.voicemail:
        return FallbackPlan("voicemail", boss.voicemail)
    return FallbackPlan("hangup")


def _describe_fallback(fb: FallbackPlan) -> str:
    if fb.kind == "voicemail":
        return f"voicemail {fb.target}"
    if fb.kind == "destination":
        return f"destination {fb.target} in context {fb.context}"
    return "hang up"
