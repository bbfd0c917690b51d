"""A FilterPlan packed into channel variables for the dialplan (pure).

Two variables, so the hook needs two SET VARIABLE commands at most:

``AUTOCOM_BS_PLAN`` (set inheritable, ``_AUTOCOM_BS_PLAN``, so that a Local
channel running a linear hunt group can read it), fields separated by ``|``::

    direct                                   not filtered: ring the boss as usual
    filter|<n>|<fallback>|<step 1>|...|<step n>|<ring>...

``<fallback>`` is ``voicemail:<mailbox>``, ``hangup:`` or
``destination:<extension>@<context>``.  A step (and a ring of a linear group)
is ``<ring seconds>:<1 if the callees see the filtered name, else 0>:<items>``,
items joined with ``&``; an item is a device name (the dialplan dials it with
the PBX's device template), or ``L<first>_<count>``: a linear hunt group
ringing at the same time as the step's other items, whose rings are the plan
fields ``first .. first+count-1`` (1-based, as ``CUT`` counts), dialed one
after the other by a Local channel into ``autocom-boss_secretary-linear``.

``AUTOCOM_BS_CNAME`` (inheritable too): the caller name the secretaries see,
e.g. ``[DUPONT] Jean Martin``; set on the callee channels by a pre-dial
handler.  It is data: the dialplan only ever reads it with ``${...}``.
"""

from __future__ import annotations

import re

from apps.boss_secretary.engine import FallbackPlan, FilterPlan, Leg, Ring, Step

PLAN_VAR = "AUTOCOM_BS_PLAN"
NAME_VAR = "AUTOCOM_BS_CNAME"
_SAFE = re.compile(r"^[A-Za-z0-9_.@*#+-]*$")  # nothing that splits a field or a Dial argument


class EncodeError(ValueError):
    """A value that would break the packed format (the plan is not used)."""


def encode(plan: FilterPlan) -> dict[str, str]:
    """Variables to set (name -> value), inheritable names first."""
    if plan.action == "direct":
        return {"_" + PLAN_VAR: "direct"}
    fields: list[str] = ["filter", str(len(plan.steps)), _fallback(plan.fallback)]
    extra: list[str] = []
    first_extra = len(fields) + len(plan.steps) + 1  # 1-based field number after the steps
    for step in plan.steps:
        items: list[str] = []
        for leg in step.legs:
            if len(leg.rings) == 1 or len(step.legs) == 1:
                items.extend(_safe(d) for r in leg.rings for d in r.devices)
            else:
                start = first_extra + len(extra)
                extra.extend(_ring(r, show=False) for r in leg.rings)
                items.append(f"L{start}_{len(leg.rings)}")
        fields.append(f"{step.ring_time}:{int(step.show_filtered)}:{'&'.join(items)}")
    fields.extend(extra)
    return {"_" + PLAN_VAR: "|".join(fields), "_" + NAME_VAR: plan.caller_name}


def _ring(ring: Ring, show: bool) -> str:
    return f"{ring.ring_time}:{int(show)}:{'&'.join(_safe(d) for d in ring.devices)}"


def _fallback(fb: FallbackPlan | None) -> str:
    if fb is None or fb.kind == "hangup":
        return "hangup:"
    if fb.kind == "voicemail":
        return f"voicemail:{_safe(fb.target)}"
    return f"destination:{_safe(fb.target)}@{_safe(fb.context)}"


def _safe(value: str) -> str:
    if not value or not _SAFE.match(value):
        raise EncodeError(f"{value!r} cannot be packed for the dialplan")
    return value


def decode(value: str) -> FilterPlan:
    """The inverse of ``encode`` for the plan variable (tests and debugging).

    Labels, reason and trace are not packed; they come back empty.
    """
    fields = value.split("|")
    if fields[0] == "direct":
        return FilterPlan("direct", "", "", ())
    if fields[0] != "filter" or len(fields) < 3:
        raise EncodeError(f"not a packed plan: {value!r}")
    count = int(fields[1])
    kind, _, target = fields[2].partition(":")
    if kind == "destination":
        ext, _, ctx = target.partition("@")
        fallback = FallbackPlan("destination", ext, ctx)
    elif kind == "voicemail":
        fallback = FallbackPlan("voicemail", target)
    else:
        fallback = FallbackPlan("hangup")

    def ring_of(text: str) -> tuple[int, bool, list[str]]:
        t, show, items = text.split(":", 2)
        return int(t), show == "1", [i for i in items.split("&") if i]

    steps = []
    for text in fields[3 : 3 + count]:
        t, show, items = ring_of(text)
        legs: list[Leg] = []
        devices: list[str] = []
        for item in items:
            if item.startswith("L"):
                first, n = (int(x) for x in item[1:].split("_"))
                rings = []
                for ring_text in fields[first - 1 : first - 1 + n]:
                    rt, _, devs = ring_of(ring_text)
                    rings.append(Ring(tuple(devs), rt, ""))
                legs.append(Leg("", tuple(rings)))
            else:
                devices.append(item)
        if devices:
            legs.insert(0, Leg("", (Ring(tuple(devices), t, ""),)))
        steps.append(Step("all", tuple(legs), t, show))
    return FilterPlan("filter", "", "", (), steps=tuple(steps), fallback=fallback)
