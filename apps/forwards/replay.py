"""Forwards on past calls (`autocom simulate`): the ring-time decision taken again.

A ticket records the forward a call followed, not the forwards each user had set
at that moment: the replay assumes the forwards and do-not-disturb stored now,
and says so.  The decision is the hook's own, :func:`engine.decide_ring`, with
the forwarding user's rights (purpose forward) at the call's time.  One hop is
replayed: a forward to another user is where the comparison stops.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import cast

from apps.forwards import engine, state
from apps.forwards.rules import ForwardType
from apps.forwards.service import rules_of
from autocom.loader import Config
from autocom.rights import TimeRules, rights_of
from autocom.store import codec
from autocom.store.base import StateStore
from autocom.whatif.replay import Part, PastCall, Replay, ReplayStep

Stored = Mapping[str, Mapping[ForwardType, engine.Forward]]


async def dnd_users(store: StateStore) -> frozenset[str]:
    """The users with do-not-disturb on, as stored now."""
    out = set()
    for key, value in (await store.items(state.NAMESPACE)).items():
        user, _, kind = key.partition(":")
        data = codec.decode(value) if kind == state.DND_KEY else None
        if data is not None and data.get("enabled") is True:
            out.add(user)
    return frozenset(out)


def ring_part(
    config: Config, stored: Stored, dnd: frozenset[str], call: PastCall, phase: str, when: datetime
) -> Part:
    """What the forward-ring hook decides for ``call`` at ``when`` under ``config``."""
    user = call.called_user
    if "forwards" not in config.feature_names:
        return Part("ring", False, "forwards does not run")
    if phase == "unconditional" and user in dnd:
        # not rung, answered as busy: the dialplan goes on to the busy forward
        return Part("do-not-disturb (busy)", False, f"{user} has do-not-disturb on")
    rights = config.rules.get("time_rules")
    if not isinstance(rights, TimeRules):
        return Part("not decided", False, "forwards need call rights: time_rules does not run")
    decision = engine.decide_ring(
        rules_of(config),
        config.site,
        user,
        cast(engine.Phase, phase),
        stored.get(user, {}),
        (),
        rights_of(rights, config.site, when, "forward"),
    )
    if decision.action == "follow":
        return Part(f"follow {decision.value}", True, decision.reason)
    return Part("ring", False, decision.reason)


def steps(stored: Stored, dnd: frozenset[str]) -> tuple[ReplayStep, ...]:
    """Before ringing (unconditional, do-not-disturb) and after (busy, no answer; busy
    for a user with do-not-disturb on, as the dialplan goes on).  A user without an
    enabled forward of that phase (nor do-not-disturb, before) rings whatever the
    rules (``engine.decide_ring``): nothing to decide, the key is None."""
    on = {(u, t) for u, types in stored.items() for t, f in types.items() if f.enabled}

    def before_key(call: PastCall) -> Hashable | None:
        user = call.called_user
        return user if user in dnd or (user, "unconditional") in on else None

    def phase_of(call: PastCall) -> str:
        """Busy with do-not-disturb on, else what the ticket says the devices did."""
        return "busy" if call.called_user in dnd else call.unanswered

    def after_key(call: PastCall) -> Hashable | None:
        phase = phase_of(call)
        return (call.called_user, phase) if phase and (call.called_user, phase) in on else None

    users = frozenset(u for u, _ in on) | dnd

    def before(config: Config, call: PastCall, when: datetime) -> Part:
        return ring_part(config, stored, dnd, call, "unconditional", when)

    def after(config: Config, call: PastCall, when: datetime) -> Part:
        return ring_part(config, stored, dnd, call, phase_of(call), when)

    return (
        ReplayStep("forward", "before", before, before_key, users),
        ReplayStep("forward", "unanswered", after, after_key, users),
    )


async def replay(store: StateStore) -> Replay:
    stored = await state.load_all(store)
    dnd = await dnd_users(store)
    on = sorted(u for u, types in stored.items() if any(f.enabled for f in types.values()))
    shown = ", ".join(on[:10]) + (f" and {len(on) - 10} more" if len(on) > 10 else "")
    assumed = (
        f"forwards: as stored now, for every call ({len(on)} users with a forward on"
        + (f": {shown}" if on else "")
        + "); a ticket does not record the forwards set at the time",
        f"do-not-disturb: as stored now ({len(dnd)} users: {', '.join(sorted(dnd)) or 'none'})",
        "forwards: one hop (a forward to another user is compared, not followed further); "
        "a phone's own 302 forward is not replayed",
    )
    return Replay("forwards", steps(stored, dnd), assumed)
