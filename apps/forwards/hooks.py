"""AGI hooks of forwards: gather facts, call the engine, set at most two variables.

- ``forward-code`` (user, dialed): a feature code *2x. Sets AUTOCOM_FWD_PROMPT
  (sound files joined by '&', for Playback) and AUTOCOM_FWD_LAMPS ('2001,INUSE,
  NOT_INUSE,NOT_INUSE': the user, then unc, rna, busy; unset: leave the lamps).
- ``forward-ring`` (user, phase, chain): before ringing a user (phase
  unconditional), after no answer (noanswer) or on busy (busy). Sets
  AUTOCOM_FWD to 'internal:<ext>', 'external:<number as the user dials it>'
  or '' (ring the user).
- ``forward-phone`` (forwardername, target, chain, user): a phone answered
  302; the dialplan runs this in FORWARD_CONTEXT. Sets AUTOCOM_FWD likewise;
  '' means the forward leg fails.

The forwarding user is the owner of the calling device when the channel is a
known PJSIP device (so a phone cannot forward for someone else), else the
extension the dialplan passed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from apps.forwards import engine, state
from apps.forwards.rules import ForwardsRules, ForwardType
from autocom.feature import AgiRequest
from autocom.logs import Event, log_event
from autocom.rights import rights_for
from autocom.site.channels import acting_user
from autocom.store.base import StoreError
from autocom.store.last_known import Recalled

log = logging.getLogger("autocom.forwards")

PROMPT_FAILED = "beeperr&cannot-complete-as-dialed"
PHASES = frozenset({"unconditional", "noanswer", "busy"})


def _rules(request: AgiRequest) -> ForwardsRules:
    rules = request.config.rules.get("forwards")
    return rules if isinstance(rules, ForwardsRules) else ForwardsRules()


def _log(event: str, **fields: object) -> None:
    log_event(log, Event(event=event, **fields))


async def forward_code(request: AgiRequest) -> None:
    """*21<number>, *21, *22..., *20: change the caller's forwards."""
    session = request.session
    site = request.config.site
    rules = _rules(request)
    user = acting_user(site, request.env.channel, request.arg(0))
    dialed = request.arg(1)
    dnd = engine.parse_dnd(rules, dialed)
    if dnd is not None:
        await _dnd_code(request, user, dnd)
        return
    code = engine.parse_code(rules, dialed)
    if code is None:
        _log("forward-code", user=user, dialed=dialed, outcome="refused", reason="not a code")
        await session.set_variable("AUTOCOM_FWD_PROMPT", PROMPT_FAILED)
        return
    memory = request.ctx.last_known
    try:
        before = await state.load(request.ctx.store, user)
        state.remember(memory, user, before)
        decision = engine.decide_set(
            rules,
            site,
            user,
            code,
            before,
            rights_for(request.config, request.now, "forward"),
        )
        if decision.accepted and decision.changes:
            await state.save(request.ctx.store, user, decision.changes)
            state.remember(memory, user, decision.changes, decision.changes.keys())
    except StoreError as exc:  # a change that cannot be stored is refused
        _log("forward-code", user=user, dialed=dialed, outcome="refused", reason=f"store: {exc}")
        await request.degraded("forwards")
        await session.set_variable("AUTOCOM_FWD_PROMPT", PROMPT_FAILED)
        return
    _log(
        "forward-code",
        user=user,
        dialed=dialed,
        outcome=decision.outcome,
        category=decision.category,
        reason=decision.reason,
        trace=list(decision.trace),
    )
    await session.set_variable("AUTOCOM_FWD_PROMPT", "&".join(decision.prompts))
    if decision.accepted:
        lamps = engine.lamps_value(decision.lamps(before))
        await session.set_variable("AUTOCOM_FWD_LAMPS", f"{user},{lamps}")


async def _dnd_code(request: AgiRequest, user: str, on: bool) -> None:
    """*78 / *79: do-not-disturb on or off for ``user`` (the main user of a tandem)."""
    prompt = "&".join(engine.PROMPT_DND_ON if on else engine.PROMPT_DND_OFF)
    if request.config.site.user(user) is None:
        prompt, reason = PROMPT_FAILED, f"{user} is not a user of the site"
    else:
        try:
            await state.save_dnd(request.ctx.store, user, on)
            state.remember_dnd(request.ctx.last_known, user, on)
            reason = f"do-not-disturb of {user} {'on' if on else 'off'}"
        except StoreError as exc:  # a change that cannot be stored is refused
            await request.degraded("forwards")
            prompt, reason = PROMPT_FAILED, f"store: {exc}"
    _log("forward-code", user=user, dnd="on" if on else "off", reason=reason)
    await request.session.set_variable("AUTOCOM_FWD_PROMPT", prompt)


async def _apply_ring(request: AgiRequest, decision: engine.RingDecision, **facts: str) -> None:
    _log(
        "forward-ring",
        **facts,
        action=decision.action,
        route=decision.route,
        target=decision.target,
        destination=decision.destination,
        category=decision.category,
        reason=decision.reason,
        trace=list(decision.trace),
    )
    await request.session.set_variable("AUTOCOM_FWD", decision.value)


async def forward_ring(request: AgiRequest) -> None:
    """Does the call to a user follow one of the user's forwards now?"""
    site = request.config.site
    user = request.arg(0)
    phase = request.arg(1)
    chain = engine.parse_chain(request.arg(2))
    if phase not in PHASES:
        decision = engine.RingDecision("ring", reason=f"unknown phase {phase!r}")
        await _apply_ring(request, decision, user=user, phase=phase)
        return
    ftype = cast(ForwardType, phase)
    ctx = request.ctx
    forward = state.recall_type(ctx.last_known, ctx.store, user, ftype)
    if phase == "unconditional":  # do-not-disturb read beside the forward: one wait, not two
        dnd, (current, recalled) = await asyncio.gather(
            state.recall_dnd(ctx.last_known, ctx.store, user), forward
        )
        if await _apply_dnd(request, user, *dnd):
            return
    else:
        current, recalled = await forward
    if recalled.stale:  # decided on the last forward seen here (none known: ring the user)
        known = "the last known forward" if recalled.known else "no forward known here"
        log.warning("state store: %s; %s of %s %s", recalled.error, known, user, phase)
        await request.degraded("forwards")
    decision = engine.decide_ring(
        _rules(request),
        site,
        user,
        ftype,
        current,
        chain,
        rights_for(request.config, request.now, "forward"),
    )
    await _apply_ring(request, decision, user=user, phase=phase, chain=",".join(chain))


async def _apply_dnd(request: AgiRequest, user: str, on: bool, recalled: Recalled) -> bool:
    """Do-not-disturb of ``user`` on: AUTOCOM_FWD=dnd: (not rung, the caller gets busy)."""
    if on:
        if recalled.stale:  # off or unknown: the forward recall below says it is degraded
            log.warning("state store: %s; last known do-not-disturb of %s", recalled.error, user)
            await request.degraded("forwards")
        _log(
            "forward-ring", user=user, phase="unconditional", action="dnd", reason="do-not-disturb"
        )
        await request.session.set_variable("AUTOCOM_FWD", "dnd:")
    return on


async def forward_phone(request: AgiRequest) -> None:
    """A phone answered 302: may its owner forward this call there now?"""
    site = request.config.site
    forwarder = request.arg(0)
    target = request.arg(1)
    chain = engine.parse_chain(request.arg(2))
    user = acting_user(site, forwarder, request.arg(3))
    decision = engine.decide_ring(
        _rules(request),
        site,
        user,
        "phone",
        {},
        chain,
        rights_for(request.config, request.now, "forward"),
        phone_target=target,
    )
    await _apply_ring(
        request, decision, user=user, phase="phone", forwarder=forwarder, chain=",".join(chain)
    )
