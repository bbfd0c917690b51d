"""Day/night per service: the facts (time slots, the store) around the pure
decisions of apps/ivr/daynight.py, the two AGI hooks and the lamps' wanted states.

Dialplan calls (dialplan/autocom-ivr.conf):

    AGI(${AUTOCOM_AGI}/daynight,<service>)          -> AUTOCOM_DAYNIGHT = day|night|unknown
    AGI(${AUTOCOM_AGI}/daynight-toggle,<service>)   -> AUTOCOM_DAYNIGHT_TOGGLE =
        day|night (an override is now in force) | schedule (back to the slot) |
        denied (wrong PIN) | unknown | unavailable (the store did not answer)

A switchboard or a hunt group asks ``daynight`` from its own extension and
branches on AUTOCOM_DAYNIGHT; IVR menus read the same decision (night: branches).
The store unreachable: the time slot decides (no override), and a toggle is
refused (``unavailable``): nothing is changed that could not be saved.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Any

from apps.ivr import daynight
from apps.ivr.daynight import Decision, Override
from apps.ivr.rules import IvrRules, Service
from autocom.feature import AgiRequest
from autocom.loader import Config
from autocom.rights import slot_is_active
from autocom.store.base import StateStore, StoreError

log = logging.getLogger("autocom.ivr.daynight")

MODE_VAR = "AUTOCOM_DAYNIGHT"
TOGGLE_VAR = "AUTOCOM_DAYNIGHT_TOGGLE"
PIN_PROMPT = "agent-pass"  # "please enter your password followed by the pound key"
PIN_TIMEOUT_MS = 6000


def lamp_device(service: str) -> str:
    return f"Custom:daynight-{service}"


def rules_of(config: Config) -> IvrRules:
    rules = config.rules.get("ivr")
    return rules if isinstance(rules, IvrRules) else IvrRules()


def slot_active(time_rules: Any, slot: str, when: datetime) -> bool:
    """Whether ``slot`` of the call rights file is active (no rights file: never)."""
    if time_rules is None:
        return False
    return bool(slot_is_active(time_rules, slot, when))


async def stored(store: StateStore, name: str) -> Override | None:
    return Override.decode(await store.get(daynight.NAMESPACE, name))


async def decide(config: Config, store: StateStore, name: str, now: datetime) -> Decision | None:
    """The service's decision now (None: no such service); the store down: the slot."""
    service = rules_of(config).daynight.services.get(name)
    if service is None:
        return None
    try:
        override = await stored(store, name)
    except StoreError as exc:
        log.warning("daynight %s: state store: %s; the time slot decides", name, exc)
        override = None
    active = slot_active(config.rules.get("time_rules"), service.slot, now)
    return daynight.decide(name, service, active, override, now)


async def night_services(config: Config, store: StateStore, now: datetime) -> frozenset[str]:
    """The services in night mode now, for the IVR's night: branches."""
    out = set()
    for name in rules_of(config).daynight.services:
        decision = await decide(config, store, name, now)
        if decision is not None and decision.mode == "night":
            out.add(name)
    return frozenset(out)


async def wanted_lamps(config: Config, store: StateStore, now: datetime) -> dict[str, str]:
    """Every service's lamp at ``now`` (the LampKeeper's, with the server's clock):
    lit while an override is in force."""
    out = {}
    for name in rules_of(config).daynight.services:
        override = await stored(store, name)  # StoreError: the keeper skips the round
        out[lamp_device(name)] = "INUSE" if override and override.active(now) else "NOT_INUSE"
    return out


def lamp_interval(config: Config) -> float:
    return float(rules_of(config).daynight.lamp_sync)


async def daynight_query(request: AgiRequest) -> None:
    """``daynight,<service>``: AUTOCOM_DAYNIGHT = day | night | unknown."""
    name = request.arg(0)
    decision = await decide(request.config, request.ctx.store, name, request.now)
    mode = decision.mode if decision is not None else "unknown"
    log.info("daynight %s: %s (%s)", name, mode, decision.reason if decision else "no such service")
    await request.session.set_variable(MODE_VAR, mode)


async def _pin_ok(request: AgiRequest, service: Service) -> bool:
    if service.pin is None:
        return True
    got = await request.session.get_data(PIN_PROMPT, PIN_TIMEOUT_MS, 8)
    return hmac.compare_digest(got.digits.encode(), service.pin.encode())


async def daynight_toggle(request: AgiRequest) -> None:
    """``daynight-toggle,<service>``: the PIN if any, then start or end the override."""
    name = request.arg(0)
    config = request.config
    service = rules_of(config).daynight.services.get(name)
    session = request.session
    if service is None:
        await session.set_variable(TOGGLE_VAR, "unknown")
        return
    if not await _pin_ok(request, service):
        log.info("daynight %s: toggle refused (wrong PIN) from %s", name, request.env.callerid)
        await session.set_variable(TOGGLE_VAR, "denied")
        return
    now = request.now
    time_rules = config.rules.get("time_rules")

    def is_active(when: datetime) -> bool:
        return slot_active(time_rules, service.slot, when)

    try:
        override = await stored(request.ctx.store, name)
        changes = daynight.next_change(is_active, now) if service.until == "next_change" else None
        result = daynight.toggle(name, service, is_active(now), override, now, changes)
        if result.store is None:
            await request.ctx.store.delete(daynight.NAMESPACE, name)
        else:
            await request.ctx.store.set(daynight.NAMESPACE, name, result.store.encode())
    except StoreError as exc:
        log.warning("daynight %s: toggle not saved: %s", name, exc)
        await session.set_variable(TOGGLE_VAR, "unavailable")
        return
    decision = result.decision
    log.info("daynight %s: toggled by %s: %s", name, request.env.callerid, decision.reason)
    await session.set_variable(f"DEVICE_STATE({lamp_device(name)})", decision.lamp)
    shown = decision.mode if decision.override is not None else "schedule"
    await session.set_variable(TOGGLE_VAR, shown)
