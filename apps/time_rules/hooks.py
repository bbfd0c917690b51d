"""AGI hooks of call rights: gather facts, call the engine, set two variables.

``rights``: ``AGI(${AUTOCOM_AGI}/rights,<caller>,<dialed>[,<context>[,<purpose>]])``
sets ``AUTOCOM_RIGHTS`` (allow, deny or pin) and ``AUTOCOM_RIGHTS_CATEGORY``:
exactly two AGI commands. The dialplan (dialplan/autocom-time_rules.conf) acts.

``rights-pin``: same arguments; asks for the PIN (``GET DATA``), at most
``pin.attempts`` times, and sets ``AUTOCOM_PIN`` to ``ok``, ``fail``,
``locked`` (too many wrong PINs for that PIN owner: ``pin.lockout``, see
autocom/rights/lockout.py) or ``unavailable`` (the lockout state could not be
read or written: the PIN is refused). The caller may type their own PIN, or
``EXT*PIN`` to use another user's rights (e.g. on a lobby phone); that user's
class then decides.

Every decision, every PIN attempt and every lock is one JSON line on the
``autocom.audit.rights`` logger (never the PIN typed).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from apps.time_rules.pinlock import OwnerLocks, PinLocks, valid_owner
from autocom.feature import AgiRequest, HookRoute
from autocom.logs import log_event
from autocom.rights.decision import Purpose, RightsDecision, decide
from autocom.rights.lockout import decide_lock, local_iso
from autocom.rights.pins import STORE_NAMESPACE, verify_pin
from autocom.rights.rules import TimeRules
from autocom.store.base import StoreError

audit_log = logging.getLogger("autocom.audit.rights")
log = logging.getLogger("autocom.time_rules")

RIGHTS_VAR = "AUTOCOM_RIGHTS"
CATEGORY_VAR = "AUTOCOM_RIGHTS_CATEGORY"
PIN_VAR = "AUTOCOM_PIN"
NUMBER_RE = re.compile(r"^[0-9*#]{1,40}$")
PIN_PROMPT = "agent-pass"  # "please enter your password followed by the pound key"
PIN_RETRY = "auth-incorrect"  # "login incorrect"


def audit(record: dict[str, Any]) -> None:
    log_event(audit_log, record)


@dataclass(frozen=True)
class Facts:
    """What the dialplan passed: rights,<caller>,<dialed>[,<context>[,<purpose>]]."""

    caller: str
    dialed: str
    context: str | None
    purpose: Purpose


def _facts(request: AgiRequest) -> Facts:
    env = request.env
    caller = request.arg(0) or env.callerid or ""
    dialed = request.arg(1) or env.extension
    context = request.arg(2) or None
    purpose: Purpose = "forward" if request.arg(3) == "forward" else "call"
    return Facts(caller, dialed, context, purpose)


def _decide(request: AgiRequest, facts: Facts, caller: str | None = None) -> RightsDecision:
    rules: TimeRules = request.config.rules["time_rules"]
    who = facts.caller if caller is None else caller
    if not NUMBER_RE.match(facts.dialed):
        return RightsDecision(
            "deny", "other", None, None, "malformed dialed number", (), "", who, facts.dialed
        )
    return decide(
        rules,
        request.config.site,
        who,
        facts.dialed,
        request.now,
        purpose=facts.purpose,
        context=facts.context if caller is None else None,
    )


async def rights(request: AgiRequest) -> None:
    facts = _facts(request)
    decision = _decide(request, facts)
    record = decision.log_record()
    record["uniqueid"] = request.env.uniqueid
    record["trace"] = list(decision.trace)
    audit(record)
    await request.session.set_variable(RIGHTS_VAR, decision.verdict)
    await request.session.set_variable(CATEGORY_VAR, decision.category)


async def _stored_hash(request: AgiRequest, rules: TimeRules, ext: str) -> str | None:
    try:
        stored = await request.ctx.store.get(STORE_NAMESPACE, ext)
    except StoreError as exc:
        log.warning("PIN store unavailable (%s): using the rule file's pins", exc)
        stored = None
    return stored if stored is not None else rules.pins.get(ext)


async def rights_pin(request: AgiRequest) -> None:
    facts = _facts(request)
    caller = facts.caller
    rules: TimeRules = request.config.rules["time_rules"]
    session = request.session
    decision = _decide(request, facts)
    base = {
        "event": "rights-pin",
        "uniqueid": request.env.uniqueid,
        "caller": caller,
        "dialed": facts.dialed,
        "category": decision.category,
        "class": decision.class_name,
    }
    if decision.verdict != "pin":
        # Rules changed since the first hook (reload, slot edge): follow them now.
        result = "ok" if decision.verdict == "allow" else "fail"
        audit({**base, "result": result, "reason": f"no PIN needed now: {decision.reason}"})
        await session.set_variable(PIN_VAR, result)
        return
    settings = rules.model.pin
    policy = rules.lockout
    owners = getattr(request.ctx.features.get("time_rules"), "pin_owners", None)
    locks = PinLocks(request.ctx.store, owners if isinstance(owners, OwnerLocks) else None)
    for attempt in range(1, settings.attempts + 1):
        if attempt > 1:
            await session.stream_file(PIN_RETRY)
        got = await session.get_data(PIN_PROMPT, settings.timeout_ms, settings.max_digits + 21)
        typed = got.digits
        owner, _, pin = typed.rpartition("*")
        owner = owner or caller
        record: dict[str, Any] = {**base, "by": owner, "attempt": attempt}
        now = request.ctx.clock.now().timestamp()  # per entry: a call lasts a while
        # Nothing typed is no guess: it neither counts nor needs the lockout state.
        counts = bool(typed) and policy is not None
        if counts and not valid_owner(owner):
            # cannot be counted, so never checked (no unlimited guessing this way)
            audit({**record, "result": "fail", "why": "PIN owner is not an extension"})
            continue
        if counts and policy is not None:
            try:
                lock = decide_lock(policy, await locks.history(owner), now, rules.tz)
            except StoreError as exc:
                await _lockout_unavailable(request, record, exc)
                return
            if lock.locked:
                # whatever was typed, the right PIN too: it is not even checked
                audit(
                    {
                        **record,
                        "result": "locked",
                        "reason": lock.reason,
                        "until": local_iso(lock.until, rules.tz),
                    }
                )
                await session.set_variable(PIN_VAR, "locked")
                return
        ok = False
        overrider_decision: RightsDecision | None = None
        if settings.min_digits <= len(pin) <= settings.max_digits and pin.isdigit():
            stored = await _stored_hash(request, rules, owner)
            if stored is not None:
                ok = await asyncio.to_thread(verify_pin, pin, stored)
        if ok and owner != caller:
            overrider_decision = _decide(request, facts, caller=owner)
            ok = overrider_decision.verdict in ("allow", "pin")
        record["result"] = "ok" if ok else "fail"
        if overrider_decision is not None:
            record["by_class"] = overrider_decision.class_name
            record["by_reason"] = overrider_decision.reason
        if ok:
            if counts and policy is not None:
                try:
                    await locks.reset(owner, now, policy)
                except StoreError as exc:
                    # the lock was checked; the count of wrong PINs just stays as it is
                    log.warning("PIN lockout: could not reset the count of %s (%s)", owner, exc)
            record["overrode"] = f"{decision.class_name}: {decision.reason}"
            audit(record)
            await session.set_variable(PIN_VAR, "ok")
            return
        record["why"] = "wrong PIN" if typed else "nothing typed"
        if not (counts and policy is not None):
            audit(record)
            continue
        try:
            after = await locks.record_failure(
                owner, now, caller, policy, partial(decide_lock, policy, now=now, tz=rules.tz)
            )
        except StoreError as exc:
            await _lockout_unavailable(request, record, exc)
            return
        audit({**record, "failures": after.failures, "left": after.left})
        if after.locked:
            audit(
                {
                    "event": "rights-pin-lock",
                    "uniqueid": request.env.uniqueid,
                    "by": owner,
                    "caller": caller,
                    "failures": after.failures,
                    "until": local_iso(after.until, rules.tz),
                    "reason": after.reason,
                    "trace": list(after.trace),
                }
            )
            log.warning("PIN of %s locked (typed from %s): %s", owner, caller, after.reason)
            await session.set_variable(PIN_VAR, "locked")
            return
    await session.set_variable(PIN_VAR, "fail")


async def _lockout_unavailable(
    request: AgiRequest, record: dict[str, Any], exc: StoreError
) -> None:
    """The lockout state cannot be read or written: refuse the PIN (never unlimited tries)."""
    log.error(
        "PIN refused: the PIN lockout state is unavailable (%s); calls that need a PIN are "
        "refused until the state store answers",
        exc,
    )
    audit({**record, "result": "unavailable", "why": f"lockout state unavailable: {exc}"})
    await request.degraded("time_rules")
    await request.session.set_variable(PIN_VAR, "unavailable")


def routes() -> Sequence[HookRoute]:
    return (HookRoute("rights", rights), HookRoute("rights-pin", rights_pin))
