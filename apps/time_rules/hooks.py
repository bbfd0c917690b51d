"""AGI hooks of call rights: gather facts, call the engine, set two variables.

``rights``: ``AGI(${AUTOCOM_AGI}/rights,<caller>,<dialed>[,<context>[,<purpose>]])``
sets ``AUTOCOM_RIGHTS`` (allow, deny or pin) and ``AUTOCOM_RIGHTS_CATEGORY``
in one AGI command (``SET VARIABLE "ARRAY(...)"``), returned as a plan
(autocom/agi/plan.py: decided before it is sent, run by the server without a
task). The dialplan (dialplan/autocom-time_rules.conf) acts.

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
from functools import partial
from typing import Any, NamedTuple

from apps.time_rules import engine
from apps.time_rules.state import OwnerLocks, PinLocks, valid_owner
from autocom.agi.plan import Plan, set_variables
from autocom.feature import AgiRequest, HookRoute, PlanRoute
from autocom.logs import log_event
from autocom.rights.decision import Purpose, RightsDecision, decide
from autocom.rights.lockout import decide_lock
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


class Facts(NamedTuple):
    """What the dialplan passed: rights,<caller>,<dialed>[,<context>[,<purpose>]]."""

    caller: str
    dialed: str
    context: str | None
    purpose: Purpose


def _facts(request: AgiRequest) -> Facts:
    caller, dialed, context, purpose = request.args(4)
    return Facts(
        caller or request.env.callerid or "",
        dialed or request.env.extension,
        context or None,
        "forward" if purpose == "forward" else "call",
    )


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


def rights(request: AgiRequest) -> Plan:
    """Decided from the request alone: the server sends one command (no task)."""
    facts = _facts(request)
    decision = _decide(request, facts)
    audit(decision.log_record(request.env.uniqueid))
    return set_variables((RIGHTS_VAR, decision.verdict), (CATEGORY_VAR, decision.category))


async def _stored_hash(request: AgiRequest, rules: TimeRules, ext: str) -> str | None:
    try:
        stored = await request.ctx.store.get(STORE_NAMESPACE, ext)
    except StoreError as exc:
        log.warning("PIN store unavailable (%s): using the rule file's pins", exc)
        stored = None
    return stored if stored is not None else rules.pins.get(ext)


async def rights_pin(request: AgiRequest) -> None:
    """The PIN dialog: a thin loop applying the pure engine's actions."""
    facts = _facts(request)
    rules: TimeRules = request.config.rules["time_rules"]
    decision = _decide(request, facts)
    dialog = engine.PinDialog(
        settings=rules.model.pin,
        policy=rules.lockout,
        tz=rules.tz,
        caller=facts.caller,
        base={
            "event": "rights-pin",
            "uniqueid": request.env.uniqueid,
            "caller": facts.caller,
            "dialed": facts.dialed,
            "category": decision.category,
            "class": decision.class_name,
        },
        decision=decision,
        decide_for=partial(_decide_for, request, facts),
        valid_owner=valid_owner,
    )
    owners = getattr(request.ctx.features.get("time_rules"), "pin_owners", None)
    apply = _PinIo(
        request,
        rules,
        PinLocks(request.ctx.store, owners if isinstance(owners, OwnerLocks) else None),
    )
    state, actions = engine.start(dialog)
    while True:
        event: engine.Event | None = None
        for action in actions:
            event = await apply(action, dialog) or event
        if event is None:
            return
        state, actions = engine.step(dialog, state, event)


def _decide_for(request: AgiRequest, facts: Facts, owner: str) -> RightsDecision:
    return _decide(request, facts, caller=owner)


class _PinIo:
    """Applies one action of the PIN dialog; returns the event it produced, if any."""

    def __init__(self, request: AgiRequest, rules: TimeRules, locks: PinLocks) -> None:
        self.request, self.rules, self.locks = request, rules, locks

    async def __call__(
        self, action: engine.Action, dialog: engine.PinDialog
    ) -> engine.Event | None:
        session = self.request.session
        match action:
            case engine.Ask(retry=retry):
                if retry:
                    await session.stream_file(PIN_RETRY)
                settings = self.rules.model.pin
                got = await session.get_data(
                    PIN_PROMPT, settings.timeout_ms, settings.max_digits + 21
                )
                # per entry: a call lasts a while
                return engine.Typed(got.digits, self.request.ctx.clock.now().timestamp())
            case engine.ReadLock(owner=owner):
                try:
                    return engine.LockRead(await self.locks.history(owner))
                except StoreError as exc:
                    return engine.LockRead(None, str(exc))
            case engine.CheckPin(owner=owner, pin=pin):
                stored = await _stored_hash(self.request, self.rules, owner)
                ok = stored is not None and await asyncio.to_thread(verify_pin, pin, stored)
                return engine.PinChecked(ok)
            case engine.RecordFailure(owner=owner, now=now):
                return await self._record_failure(owner, now, dialog)
            case engine.ResetCount(owner=owner, now=now):
                await self._reset(owner, now, dialog)
            case engine.Audit(record=record):
                audit(record)
            case engine.Log(level=level, message=message):
                getattr(log, level)("%s", message)
            case engine.Finish(result=result):
                if result == "unavailable":  # decided without the lockout state
                    await self.request.degraded("time_rules")
                await session.set_variable(PIN_VAR, result)
        return None

    async def _record_failure(
        self, owner: str, now: float, dialog: engine.PinDialog
    ) -> engine.FailureRecorded:
        policy = dialog.policy
        assert policy is not None  # a failure is recorded only under a lockout
        decide = partial(decide_lock, policy, now=now, tz=dialog.tz)
        try:
            after = await self.locks.record_failure(owner, now, dialog.caller, policy, decide)
        except StoreError as exc:
            return engine.FailureRecorded(None, str(exc))
        return engine.FailureRecorded(after)

    async def _reset(self, owner: str, now: float, dialog: engine.PinDialog) -> None:
        if dialog.policy is None:
            return
        try:
            await self.locks.reset(owner, now, dialog.policy)
        except StoreError as exc:
            # the lock was checked; the count of wrong PINs just stays as it is
            log.warning("PIN lockout: could not reset the count of %s (%s)", owner, exc)


def routes() -> Sequence[HookRoute | PlanRoute]:
    return (PlanRoute("rights", rights), HookRoute("rights-pin", rights_pin))
