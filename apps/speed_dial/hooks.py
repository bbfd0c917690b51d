"""AGI hook of speed dials: one decision, at most two AGI commands.

``speeddial`` (user, dialed, context): a collective code, or a personal code (store,
delete, hear, dial). Sets CONNECTEDLINE(name) to the label when a number is
dialed and it has one, then AUTOCOM_SD (see :attr:`Resolution.value`).
AGISTATUS=FAILURE or AUTOCOM_SD=refused: the dialplan plays a refusal prompt.
"""

from __future__ import annotations

import logging

from apps.speed_dial import engine, state
from apps.speed_dial.rules import SpeedDialRules
from autocom.feature import AgiRequest
from autocom.logs import Event, log_event
from autocom.rights import rights_for
from autocom.site.channels import acting_user
from autocom.store.base import StoreError

log = logging.getLogger("autocom.speed_dial")


async def speeddial(request: AgiRequest) -> None:
    session = request.session
    config = request.config
    rules = config.rules.get("speed_dial")
    if not isinstance(rules, SpeedDialRules):
        rules = SpeedDialRules()
    user = acting_user(config.site, request.env.channel, request.arg(0))
    dialed = request.arg(1)
    context = request.arg(2)
    parsed = engine.parse(rules, dialed)
    if parsed is None:
        res = engine.Resolution("refused", reason=f"{dialed!r} is not a speed-dial code")
    else:
        try:
            personal: engine.PersonalState = {}
            if parsed.action != "collective":
                personal = await state.load_slot(request.ctx.store, user, parsed.slot)
            res = engine.resolve(
                rules,
                config.site,
                user,
                parsed,
                personal,
                rights_for(config, request.now, "call"),
                context=context,
            )
            if res.changes:
                await state.apply(request.ctx.store, user, res.changes)
        except StoreError as exc:  # a personal slot cannot be read or stored: refused
            res = engine.Resolution("refused", reason=f"state store: {exc}")
            await request.degraded("speed_dial")
    log_event(
        log,
        Event(
            event="speeddial",
            user=user,
            dialed=dialed,
            outcome=res.outcome,
            number=res.number,
            category=res.category,
            bypass_rights=res.bypass,
            reason=res.reason,
            trace=list(res.trace),
        ),
    )
    if res.outcome in ("dial", "pin") and res.label:
        await session.set_variable("CONNECTEDLINE(name)", res.label)
    await session.set_variable("AUTOCOM_SD", res.value)
