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


async def _stored_state(request: AgiRequest, boss: str) -> bool | None:
    """The boss's stored filter state; None (the filter's default) when unset.  When the
    store does not answer: the state this server last saw (the default if none)."""
    ctx = request.ctx
    recalled = await ctx.last_known.get(ctx.store, state.NAMESPACE, boss)
    if recalled.stale:
        known = "its last known state" if recalled.known else "its default (none seen here)"
        log.warning("state store: %s; filter of %s at %s", recalled.error, boss, known)
        await request.degraded("boss_secretary")
    return state.parse(recalled.value)


async def bsfilter(request: AgiRequest) -> None:
    """A call to a boss: set AUTOCOM_BS_PLAN (and AUTOCOM_BS_CNAME when filtered)."""
    config = request.config
    rules: FilterRules | None = config.rules.get("boss_secretary")
    boss = request.arg(0)
    env = request.env
    if rules is None or not EXTENSION_RE.match(boss):
        await request.session.set_variable(*DIRECT)
        return
    stored: dict[str, bool] = {}
    # the "user" hook point runs for every call to a user: only a boss's call reads the store
    value = await _stored_state(request, boss) if rules.filter_of(boss) is not None else None
    if value is not None:
        stored[boss] = value
    caller = engine.Caller(
        number=env.callerid or "",
        name=env.calleridname or "",
        device=device_of(env.channel),
        transferred_by=device_of(request.arg(1)),
        filtered_for=request.arg(2) or None,
    )
    plan = engine.decide(
        rules,
        config.site,
        caller,
        boss,
        request.now,
        stored,
        slot_check(config.rules.get("time_rules")),
    )
    try:
        variables = encode(plan)
    except EncodeError as exc:
        log.error("filter plan for %s cannot be encoded (%s): ringing the boss directly", boss, exc)
        variables = dict([DIRECT])
    log.info(
        "bsfilter uniqueid=%s boss=%s action=%s reason=%s",
        env.uniqueid,
        boss,
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
