"""AGI hooks: ``bsfilter`` (a call to a boss) and ``bsfilter-toggle`` (*37<boss>).

Both only gather facts, call the pure engine and set channel variables: at
most two SET VARIABLE commands each; nothing the caller sent is expanded.

Dialplan calls (see dialplan/autocom-boss_secretary.conf):

    AGI(${AUTOCOM_AGI}/bsfilter,<boss>,${BLINDTRANSFER},${AUTOCOM_BS_FILTERED})
    AGI(${AUTOCOM_AGI}/bsfilter-toggle,<boss>)

The caller's number and name are read from the AGI environment (agi_callerid,
agi_calleridname), never from an argument, so a comma in a caller ID cannot
shift the arguments.
"""

from __future__ import annotations

import logging
import re

from apps.boss_secretary import engine, state
from apps.boss_secretary.encode import PLAN_VAR, EncodeError, encode
from apps.boss_secretary.rules import FilterRules
from apps.boss_secretary.slots import slot_check
from autocom.feature import AgiRequest
from autocom.site.model import EXTENSION_RE
from autocom.store.last_known import Recalled

log = logging.getLogger("autocom.boss_secretary")

TOGGLE_VAR = "AUTOCOM_BS_TOGGLE"  # on | off | denied | unknown
DIRECT = ("_" + PLAN_VAR, "direct")  # no filter: the PBX rings the boss as usual
# "PJSIP/desk-2001-0000002a" -> "desk-2001"; Local and other channels give None
_DEVICE_RE = re.compile(r"^(?:PJSIP|SIP|IAX2)/([A-Za-z0-9_.-]{1,64})-[0-9a-f]{8}(?:;\d)?$")


def device_of(channel: str | None) -> str | None:
    """The device (endpoint) name of a channel name, when it has one."""
    if not channel:
        return None
    m = _DEVICE_RE.match(channel)
    return m.group(1) if m else None


async def _recall(request: AgiRequest, namespace: str, boss: str, what: str) -> Recalled:
    """A key of ``boss`` from the store; when the store does not answer, the value this
    server last saw (logged, with ``what`` it stands for)."""
    ctx = request.ctx
    recalled = await ctx.last_known.get(ctx.store, namespace, boss)
    if recalled.stale:
        known = "the last seen here" if recalled.known else "none seen here, the default"
        log.warning("state store: %s; %s of %s: %s", recalled.error, what, boss, known)
    return recalled


def _caller(request: AgiRequest) -> engine.Caller:
    env = request.env
    return engine.Caller(
        number=env.callerid or "",
        name=env.calleridname or "",
        device=device_of(env.channel),
        transferred_by=device_of(request.arg(1)),
        filtered_for=request.arg(2) or None,
    )


async def bsfilter(request: AgiRequest) -> None:
    """A call to a boss: set AUTOCOM_BS_PLAN (and AUTOCOM_BS_CNAME when filtered).

    The filter's state is read for a boss's call only (the "user" hook point runs for
    every call to a user); the VIP numbers secretaries added, only for a call that
    would be filtered.  A store that does not answer: the values last seen here, and
    AUTOCOM_DEGRADED=store."""
    config = request.config
    rules: FilterRules | None = config.rules.get("boss_secretary")
    boss = request.arg(0)
    if rules is None or not EXTENSION_RE.match(boss):
        await request.session.set_variable(*DIRECT)
        return
    stored: dict[str, bool] = {}
    stale = False
    if rules.filter_of(boss) is not None:
        recalled = await _recall(request, state.NAMESPACE, boss, "filter state")
        stale, value = recalled.stale, state.parse(recalled.value)
        if value is not None:
            stored[boss] = value
    caller = _caller(request)
    facts = (rules, config.site, caller, boss, request.now, stored)
    slots = slot_check(config.rules.get("time_rules"))
    plan = engine.decide(*facts, slots)
    if plan.action == "filter" and caller.number:
        recalled = await _recall(request, state.VIP_NAMESPACE, boss, "added VIPs")
        stale = stale or recalled.stale
        added = state.parse_vips(recalled.value)
        if added:
            plan = engine.decide(*facts, slots, added)
    if stale:
        await request.degraded("boss_secretary")
    await _apply(request, plan)


async def _apply(request: AgiRequest, plan: engine.FilterPlan) -> None:
    try:
        variables = encode(plan)
    except EncodeError as exc:
        log.error(
            "filter plan for %s cannot be encoded (%s): ringing the boss directly", plan.boss, exc
        )
        variables = dict([DIRECT])
    log.info(
        "bsfilter uniqueid=%s boss=%s action=%s reason=%s",
        request.env.uniqueid,
        plan.boss,
        plan.action,
        plan.reason,
    )
    for name, val in variables.items():
        await request.session.set_variable(name, val)


async def bsfilter_toggle(request: AgiRequest) -> None:
    """*37<boss>: the boss or a secretary switches the filter; the lamp follows."""
    config = request.config
    rules: FilterRules | None = config.rules.get("boss_secretary")
    boss = request.arg(0)
    env = request.env
    if rules is None or not EXTENSION_RE.match(boss) or rules.filter_of(boss) is None:
        await request.session.set_variable(TOGGLE_VAR, "unknown")
        return
    device = device_of(env.channel)
    owner = config.site.owner_of_device(device) if device else None
    caller = owner.extension if owner is not None else (env.callerid or "")
    if not engine.may_toggle(rules, config.site, caller, boss):
        log.info("bsfilter-toggle refused: %s may not switch the filter of %s", caller, boss)
        await request.session.set_variable(TOGGLE_VAR, "denied")
        return
    filt = rules.filter_of(boss)
    assert filt is not None
    current = await state.get_state(request.ctx.store, boss)
    on = not (filt.default if current is None else current)
    await state.set_state(request.ctx.store, boss, on)
    request.ctx.last_known.remember(state.NAMESPACE, boss, state.ON if on else state.OFF)
    log.info(
        "bsfilter-toggle: %s switched the filter of %s %s",
        caller,
        boss,
        state.ON if on else state.OFF,
    )
    await request.session.set_variable(
        f"DEVICE_STATE({state.lamp_device(boss)})", state.lamp_state(on)
    )
    await request.session.set_variable(TOGGLE_VAR, state.ON if on else state.OFF)
