"""The ticket of one call, built from its CEL events: a pure function.

``build_ticket(events, facts, tariffs)`` takes every CEL event of one linkedid
(any order, duplicates allowed), what the site says about numbers and devices
(``SiteFacts``) and the tariff rules, and returns the ``Ticket``: who called
whom, the legs that rang (device or trunk, who answered), the forwards and
transfers, ring and talk time, the disposition, autocom's own decisions (marks
the dialplan sends as ``CELGenUserEvent(autocom,<key>=<value>)``) and the price.
Nothing here reads a file, a socket or the clock.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from apps.accounting.cel import CelEvent
from apps.accounting.rules import Tariff

TICKET_VERSION = 1
MARK_EVENT = "autocom"  # CELGenUserEvent(autocom,<key>=<value>)
# Channel name -> endpoint: "PJSIP/phone-a-0000002a" -> "phone-a",
# "Local/martin-desk@ctx-00000001;1" -> "martin-desk".
_LOCAL_RE = re.compile(r"^Local/([^@]+)@(.+)-[0-9a-f]+;([12])$")
_TECH_RE = re.compile(r"^[A-Za-z0-9]+/(.+)-[0-9a-f]+$")
_DIALSTATUS = {
    "ANSWER": "answered",
    "BUSY": "busy",
    "NOANSWER": "no_answer",
    "CANCEL": "no_answer",
    "CHANUNAVAIL": "failed",
    "CONGESTION": "failed",
}
DENIED_CAUSES = {21, 52}
# CEL event names (Asterisk 22 writes BLINDTRANSFER; the docs say BLIND_TRANSFER)
TRANSFERS = {
    "BLINDTRANSFER": "blind",
    "BLIND_TRANSFER": "blind",
    "ATTENDEDTRANSFER": "attended",
    "ATTENDED_TRANSFER": "attended",
}


@dataclass(frozen=True)
class UserFacts:
    extension: str
    name: str
    department: str = ""
    cost_center: str = ""


@dataclass(frozen=True)
class SiteFacts:
    """What the builder needs from the site: users by extension and by device."""

    users: Mapping[str, UserFacts] = field(default_factory=dict)
    devices: Mapping[str, str] = field(default_factory=dict)  # device -> extension
    trunks: frozenset[str] = frozenset()
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    # the rights domain (autocom.rights), when call rights are configured:
    category: Callable[[str], str] | None = None  # of a number sent to a trunk
    rights_class: Callable[[str], str] | None = None  # of a user's extension


@dataclass(frozen=True)
class Leg:
    """One device or trunk that rang."""

    target: str  # device name, or the number for a trunk
    kind: str  # "device" or "trunk"
    user: str  # extension owning the device ('' for a trunk)
    start: float
    answer: float | None
    end: float
    status: str  # answered, no_answer, busy, failed

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "kind": self.kind,
            "user": self.user,
            "start": iso(self.start),
            "answer": iso(self.answer) if self.answer is not None else None,
            "end": iso(self.end),
            "ring_seconds": round((self.answer or self.end) - self.start, 3),
            "talk_seconds": round(self.end - self.answer, 3) if self.answer else 0,
            "status": self.status,
        }


@dataclass(frozen=True)
class Ticket:
    id: str  # the linkedid
    start: float
    answer: float | None
    end: float
    caller: str
    caller_name: str
    caller_user: str
    called: str
    called_user: str
    answered_by: str
    direction: str  # internal, outgoing, incoming, transit
    disposition: str  # answered, no_answer, busy, failed, denied
    hangup_cause: int
    category: str
    rights: str
    rights_class: str  # the class of rights.yaml of the payer (or the caller)
    pin: str
    payer: str  # the extension the call is billed to ('' for none)
    department: str
    cost_center: str
    price: Decimal
    group: str = ""  # the hunt group called, if any
    filtered_boss: str = ""  # the boss whose secretary filter took the call
    ivr: tuple[str, ...] = ()  # the IVR menus entered, in order
    ivr_keys: tuple[dict[str, str], ...] = ()  # the keys pressed: {menu, key}, in order
    speed_dial: str = ""  # the speed dial code dialed
    legs: tuple[Leg, ...] = ()
    forwards: tuple[dict[str, str], ...] = ()
    transfers: tuple[dict[str, str], ...] = ()
    marks: tuple[str, ...] = ()
    version: int = TICKET_VERSION

    @property
    def ring_seconds(self) -> int:
        return round((self.answer or self.end) - self.start)

    @property
    def talk_seconds(self) -> int:
        return round(self.end - self.answer) if self.answer is not None else 0

    def as_dict(self) -> dict[str, object]:
        """The documented JSON form (docs/accounting.md, ticket_version 1)."""
        return {
            "ticket_version": self.version,
            "id": self.id,
            "start": iso(self.start),
            "answer": iso(self.answer) if self.answer is not None else None,
            "end": iso(self.end),
            "ring_seconds": self.ring_seconds,
            "talk_seconds": self.talk_seconds,
            "caller": self.caller,
            "caller_name": self.caller_name,
            "caller_user": self.caller_user,
            "called": self.called,
            "called_user": self.called_user,
            "answered_by": self.answered_by,
            "direction": self.direction,
            "disposition": self.disposition,
            "hangup_cause": self.hangup_cause,
            "category": self.category,
            "rights": self.rights,
            "rights_class": self.rights_class,
            "pin": self.pin,
            "payer": self.payer,
            "department": self.department,
            "cost_center": self.cost_center,
            "price": str(self.price),
            "group": self.group,
            "filtered_boss": self.filtered_boss,
            "ivr": list(self.ivr),
            "ivr_keys": list(self.ivr_keys),
            "speed_dial": self.speed_dial,
            "legs": [leg.as_dict() for leg in self.legs],
            "forwards": list(self.forwards),
            "transfers": list(self.transfers),
            "marks": list(self.marks),
        }


def iso(t: float) -> str:
    return datetime.fromtimestamp(t).astimezone(ZoneInfo("UTC")).isoformat(timespec="milliseconds")


def endpoint(channel: str) -> tuple[str, str] | None:
    """(endpoint, Local half) of a channel name; half '' for a non-Local channel."""
    m = _LOCAL_RE.match(channel)
    if m:
        return m.group(1), m.group(3)
    m = _TECH_RE.match(channel)
    return (m.group(1), "") if m else None


def is_complete(events: Iterable[CelEvent]) -> bool:
    return any(e.type == "LINKEDID_END" for e in events)


def _ordered(events: Iterable[CelEvent]) -> list[CelEvent]:
    unique = {e.event_id: e for e in events}
    return sorted(unique.values(), key=lambda e: (e.time, e.event_id))


def _extra(event: CelEvent) -> dict[str, object]:
    if not event.extra.startswith("{"):
        return {}
    try:
        value = json.loads(event.extra)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def parse_marks(events: Sequence[CelEvent]) -> tuple[str, ...]:
    """autocom's decisions, in order, each once: the dialplan's
    ``CELGenUserEvent(autocom,<key>=<value>)`` (user-defined CEL events)."""
    seen: dict[str, None] = {}
    for event in events:
        if event.type == MARK_EVENT:
            text = str(_extra(event).get("extra", "")) or event.extra
            if "=" in text:
                seen.setdefault(text, None)
    return tuple(seen)


def _leg_of(
    channel: str, events: Sequence[CelEvent], facts: SiteFacts, other_half: Sequence[CelEvent]
) -> Leg | None:
    ep = endpoint(channel)
    if ep is None or ep[1] == "2":
        return None
    name = ep[0]
    number, _, trunk = name.partition("~")
    if name in facts.devices:
        kind, target, user = "device", name, facts.devices[name]
    elif trunk and (not facts.trunks or trunk in facts.trunks):
        kind, target, user = "trunk", number, ""
    elif name in facts.trunks:
        kind, target, user = "trunk", events[0].exten or name, ""
    else:
        return None
    answer = next((e.time for e in events if e.type == "ANSWER"), None)
    # a Local channel's ;1 half hangs up as its ;2 half (the device side) did
    hangups = [e for e in (*other_half, *events) if e.type == "HANGUP"]
    causes = [_int(_extra(e).get("hangupcause")) for e in hangups]
    cause = causes[0] if causes else 0
    status = "answered" if answer is not None else ("busy" if cause == 17 else "no_answer")
    if answer is None and cause not in (0, 16, 17, 19, 26, 31):
        status = "failed"
    return Leg(target, kind, user, events[0].time, answer, events[-1].time, status)


def _legs(by_channel: Mapping[str, list[CelEvent]], facts: SiteFacts) -> tuple[Leg, ...]:
    legs = [
        _leg_of(ch, evs, facts, by_channel.get(ch[:-1] + "2", []) if ch.endswith(";1") else [])
        for ch, evs in by_channel.items()
    ]
    return tuple(sorted((leg for leg in legs if leg is not None), key=lambda leg: leg.start))


@dataclass(frozen=True)
class _Parties:
    caller: str
    caller_name: str
    caller_user: str
    called: str
    called_user: str


def _parties(first: Sequence[CelEvent], marks: Sequence[str], facts: SiteFacts) -> _Parties:
    nums = [e.cid_num for e in first if e.cid_num and e.cid_num != "s"]
    names = [e.cid_name for e in first if e.cid_name]
    caller = nums[0] if nums else ""
    ep = endpoint(first[0].channel)
    caller_user = caller if caller in facts.users else ""
    if not caller_user and ep is not None and ep[0] in facts.devices:
        caller_user = facts.devices[ep[0]]
    start = first[0]
    called = start.exten if start.exten not in ("", "s") else start.cid_dnid
    users = [m.partition("=")[2] for m in marks if m.startswith("user=")]
    called_user = users[0] if users else (called if called in facts.users else "")
    return _Parties(caller, names[0] if names else "", caller_user, called, called_user)


def _mark_values(marks: Sequence[str], key: str) -> list[list[str]]:
    return [m.partition("=")[2].split(">") for m in marks if m.partition("=")[0] == key]


def _last(marks: Sequence[str], key: str) -> str:
    values = _mark_values(marks, key)
    return values[-1][0] if values else ""


def _ivr_keys(marks: Sequence[str]) -> tuple[dict[str, str], ...]:
    """``ivrkeys=<menu>:<key>>...`` marks -> ({menu, key}, ...); an empty mark adds none."""
    out = []
    for parts in _mark_values(marks, "ivrkeys"):
        for step in parts:
            menu, sep, key = step.rpartition(":")
            if sep and menu and key:
                out.append({"menu": menu, "key": key})
    return tuple(out)


def _forwards(marks: Sequence[str]) -> tuple[dict[str, str], ...]:
    out = []
    for parts in _mark_values(marks, "forward"):
        parts += [""] * (3 - len(parts))
        out.append({"from": parts[0], "to": parts[1], "reason": parts[2]})
    return tuple(out)


def _transfers(events: Sequence[CelEvent], facts: SiteFacts) -> tuple[dict[str, str], ...]:
    out = []
    for e in events:
        kind = TRANSFERS.get(e.type)
        if kind is None:
            continue
        extra = _extra(e)
        ep = endpoint(e.channel)
        by = facts.devices.get(ep[0], ep[0]) if ep else e.channel
        if kind == "blind":
            to = str(extra.get("extension", ""))
        else:
            name = str(extra.get("transfer_target_channel_name", ""))
            if not endpoint(name):  # "N/A" when Asterisk swapped the bridges
                name = _bridge_party(events, str(extra.get("bridge2_id", "")), e.channel)
            target = endpoint(name)
            to = facts.devices.get(target[0], target[0]) if target else ""
        out.append({"kind": kind, "by": by, "to": to, "at": iso(e.time)})
    return tuple(out)


def _bridge_party(events: Sequence[CelEvent], bridge_id: str, besides: str) -> str:
    """The first other channel that entered the bridge ``bridge_id``."""
    if not bridge_id:
        return ""
    entered = (e for e in events if e.type == "BRIDGE_ENTER" and e.channel != besides)
    return next((e.channel for e in entered if _extra(e).get("bridge_id") == bridge_id), "")


def _dialstatus(events: Sequence[CelEvent]) -> str:
    statuses = [str(_extra(e).get("dialstatus", "")) for e in events if e.type == "HANGUP"]
    statuses = [s for s in statuses if s]
    return statuses[-1] if statuses else ""


def _int(value: object) -> int:
    """A cause code from an event's extra; 0 when missing or not a number."""
    try:
        return int(str(value))
    except ValueError:
        return 0


def _cause(first: Sequence[CelEvent]) -> int:
    return next(
        (_int(_extra(e).get("hangupcause")) for e in reversed(first) if e.type == "HANGUP"), 0
    )


def _outcome(
    events: Sequence[CelEvent], first: Sequence[CelEvent], legs: Sequence[Leg], rights: str
) -> tuple[str, str, float | None]:
    """(disposition, answered_by, answer time)."""
    answered = [leg for leg in legs if leg.answer is not None]
    if answered:
        leg = answered[0]
        return "answered", leg.user or leg.target, leg.answer
    status = _DIALSTATUS.get(_dialstatus(events), "")
    if status and status != "answered":
        return status, "", None
    if rights == "deny" or _cause(first) in DENIED_CAUSES:
        return "denied", "", None
    own = next((e for e in first if e.type == "ANSWER"), None)
    if own is not None and status != "answered":
        return "answered", "system", own.time
    return status or "failed", "", None


def _category(rights: Sequence[str], direction: str, legs: Sequence[Leg], facts: SiteFacts) -> str:
    """autocom's rights decision says; else internal calls are internal, and a trunk
    leg's number is classified by the rights domain (a speed dial, autocom down)."""
    if len(rights) > 1 and rights[1]:
        return rights[1]
    if direction == "internal":
        return "internal"
    trunk = next((leg.target for leg in legs if leg.kind == "trunk"), "")
    return facts.category(trunk) if trunk and facts.category else ""


def _direction(p: _Parties, legs: Sequence[Leg]) -> str:
    external = any(leg.kind == "trunk" for leg in legs)
    if p.caller_user:
        return "outgoing" if external else "internal"
    return "transit" if external else "incoming"


def build_ticket(
    events: Iterable[CelEvent], facts: SiteFacts, tariffs: Sequence[Tariff] = ()
) -> Ticket:
    """The ticket of one linkedid's events (raise ValueError when there are none)."""
    ordered = _ordered(events)
    if not ordered:
        raise ValueError("no CEL event")
    linkedid = ordered[0].linkedid
    by_channel: dict[str, list[CelEvent]] = {}
    for e in ordered:
        by_channel.setdefault(e.uniqueid, []).append(e)
    first = by_channel.get(linkedid) or next(iter(by_channel.values()))
    by_name = {evs[0].channel: evs for evs in by_channel.values() if evs is not first}
    marks = parse_marks(ordered)
    rights = (_mark_values(marks, "rights") or [[""]])[-1]
    pins = _mark_values(marks, "pin")
    legs = _legs(by_name, facts)
    parties = _parties(first, marks, facts)
    disposition, answered_by, answer = _outcome(ordered, first, legs, rights[0])
    direction = _direction(parties, legs)
    forwards = _forwards(marks)
    category = _category(rights, direction, legs, facts)
    end = next((e.time for e in ordered if e.type == "LINKEDID_END"), ordered[-1].time)
    payer, price = _billing(parties, direction, forwards, category, (answer, end), facts, tariffs)
    owner = facts.users.get(payer or parties.called_user)
    who = payer or parties.caller_user
    return Ticket(
        id=linkedid,
        start=ordered[0].time,
        answer=answer,
        end=end,
        caller=parties.caller,
        caller_name=parties.caller_name,
        caller_user=parties.caller_user,
        called=parties.called,
        called_user=parties.called_user,
        answered_by=answered_by,
        direction=direction,
        disposition=disposition,
        hangup_cause=_cause(first),
        category=category,
        rights=rights[0],
        rights_class=facts.rights_class(who) if facts.rights_class and who else "",
        pin=pins[-1][0] if pins else "",
        payer=payer,
        department=owner.department if owner else "",
        cost_center=owner.cost_center if owner else "",
        price=price,
        group=_last(marks, "group"),
        filtered_boss=_last(marks, "filter"),
        ivr=tuple(v[0] for v in _mark_values(marks, "ivr")),
        ivr_keys=_ivr_keys(marks),
        speed_dial=_last(marks, "speeddial"),
        legs=legs,
        forwards=forwards,
        transfers=_transfers(ordered, facts),
        marks=marks,
    )


def _billing(
    parties: _Parties,
    direction: str,
    forwards: Sequence[dict[str, str]],
    category: str,
    times: tuple[float | None, float],
    facts: SiteFacts,
    tariffs: Sequence[Tariff],
) -> tuple[str, Decimal]:
    """(payer, price): the caller pays, or the user who forwarded the call outside;
    a received call has no payer."""
    if direction in ("outgoing", "transit") and forwards and forwards[-1]["from"]:
        payer = forwards[-1]["from"]  # forwarded outside: whoever forwarded pays
    elif direction in ("outgoing", "internal"):
        payer = parties.caller_user
    else:
        return "", Decimal(0)
    answer, end = times
    if answer is None or not payer:
        return payer, Decimal(0)
    at = datetime.fromtimestamp(answer, facts.zone)
    # billed: the talk time to the second, at least one second once answered
    return payer, price_of(tariffs, category, at, max(1, round(end - answer)))


def price_of(tariffs: Sequence[Tariff], category: str, at: datetime, seconds: int) -> Decimal:
    """Setup + per minute of the first tariff of ``category`` that applies at ``at``
    (its days and hours), billed by ``increment`` seconds; 0 when none applies."""
    for tariff in tariffs:
        if tariff.category != category or not tariff.applies(at):
            continue
        steps = math.ceil(seconds / tariff.increment) if seconds > 0 else 0
        billed = Decimal(steps * tariff.increment)
        return (tariff.setup + tariff.per_minute * billed / 60).quantize(Decimal("0.0001"))
    return Decimal(0)
