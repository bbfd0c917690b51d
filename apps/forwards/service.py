"""The forwards offered to other features (autocom.services.ForwardsService).

A change asked from elsewhere (the portal, the CLI) takes the feature code's own
path: :func:`change` loads the user's forwards, asks ``engine.decide_set`` with the
user's forward rights at that moment, writes what it accepted, and the lamps follow.
"""

from __future__ import annotations

from datetime import datetime

from apps.forwards import engine, lamps, state
from apps.forwards.rules import FORWARD_TYPES, ForwardsRules, forward_type
from autocom.context import AppContext
from autocom.loader import Config
from autocom.rights import rights_for
from autocom.services import Change, ForwardView
from autocom.store.base import StateStore, StoreError
from autocom.store.last_known import LastKnown


def rules_of(config: Config) -> ForwardsRules:
    rules = config.rules.get("forwards")
    return rules if isinstance(rules, ForwardsRules) else ForwardsRules()


async def change(
    store: StateStore,
    config: Config,
    user: str,
    request: engine.CodeRequest,
    now: datetime,
    memory: LastKnown | None = None,
) -> tuple[engine.SetDecision, engine.ForwardState]:
    """Decide ``request`` for ``user`` as a feature code would, and store what it changes
    (kept in the server's ``memory`` too, as the hook does); the decision and the
    forwards before it."""
    before = await state.load(store, user)
    if memory is not None:
        state.remember(memory, user, before)
    decision = engine.decide_set(
        rules_of(config), config.site, user, request, before, rights_for(config, now, "forward")
    )
    if decision.accepted and decision.changes:
        await state.save(store, user, decision.changes)
        if memory is not None:
            state.remember(memory, user, decision.changes, decision.changes.keys())
    return decision, before


async def forwards_of(store: StateStore, user: str) -> list[ForwardView]:
    found = await state.load(store, user)
    return [
        ForwardView(ftype, fwd.destination, fwd.enabled)
        for ftype in FORWARD_TYPES
        if (fwd := found.get(ftype)) is not None
    ]


async def apply(ctx: AppContext, user: str, request: engine.CodeRequest, now: datetime) -> Change:
    """:func:`change` in the running server, then the user's lamps pushed at once (when
    autocom.yaml has ari:)."""
    config = ctx.config.current
    try:
        decision, before = await change(ctx.store, config, user, request, now, ctx.last_known)
    except StoreError as exc:
        return Change(False, f"the state store cannot be reached ({exc}): nothing changed")
    if not decision.accepted:
        return Change(False, decision.reason, decision.trace)
    await lamps.push(config.settings.ari, engine.lamp_states(user, decision.lamps(before)))
    return Change(True, decision.reason, decision.trace)


def set_request(ftype: str, number: str) -> engine.CodeRequest:
    """*21<number> (or *22, *23) as a request; ValueError names the types."""
    return engine.CodeRequest("set", forward_type(ftype), number.strip())


CANCEL_ALL = engine.CodeRequest("cancel_all")
