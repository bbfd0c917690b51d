"""Speed dials on past calls (`autocom simulate`): the code resolved again.

A ticket keeps the speed-dial code dialed (accounting's ``speed_dial`` column).
The replay takes the hook's own decision, :func:`engine.resolve`, under each rule
set at the call's time: the collective entry or the caller's personal slot, then
the caller's call rights (purpose call) for its number, unless the entry says
``bypass_rights``.  Personal slots are those stored now (a ticket does not record
what a slot held that day), and the replay says so; a store or delete code is
decided, never applied.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import datetime

from apps.speed_dial import engine, state
from apps.speed_dial.rules import SpeedDialRules
from autocom.loader import Config
from autocom.rights import rights_for
from autocom.store.base import StateStore
from autocom.whatif.replay import Part, PastCall, Replay, ReplayStep

Stored = Mapping[str, engine.PersonalState]


def resolve_part(config: Config, stored: Stored, call: PastCall, when: datetime) -> Part:
    """What the speed-dial hook answers ``call``'s caller dialing its code at ``when``
    under ``config`` (its ``AUTOCOM_SD``, e.g. ``trunk:0612345678:trunk-orange``,
    ``pin:00044...``, ``refused``)."""
    rules = config.rules.get("speed_dial")
    if "speed_dial" not in config.feature_names or not isinstance(rules, SpeedDialRules):
        return Part("not decided", True, "speed_dial does not run")
    code = call.speed_dial
    request = engine.parse(rules, code)
    if request is None:
        return Part("refused", True, f"{code!r} is not a speed-dial code")
    try:
        rights = rights_for(config, when, "call")
    except LookupError as exc:
        return Part("not decided", True, str(exc))
    personal = stored.get(call.caller, {})  # a collective code reads no slot
    res = engine.resolve(rules, config.site, call.caller, request, personal, rights)
    return Part(res.value, True, res.reason)


def step(stored: Stored) -> ReplayStep:
    """Every speed-dial call is decided; calls of one caller dialing one code at the
    same time class are decided once."""

    def key(call: PastCall) -> Hashable | None:
        return (call.caller, call.speed_dial)

    def decide(config: Config, call: PastCall, when: datetime) -> Part:
        return resolve_part(config, stored, call, when)

    return ReplayStep("speed dial", "dialed", decide, key)


async def replay(store: StateStore) -> Replay:
    stored = await state.load_all(store)
    users = sorted(u for u, slots in stored.items() if slots)
    shown = ", ".join(users[:10]) + (f" and {len(users) - 10} more" if len(users) > 10 else "")
    assumed = (
        f"speed dials: personal slots as stored now ({len(users)} users with one"
        + (f": {shown}" if users else "")
        + "); a ticket records the code dialed, not what the slot held then",
    )
    return Replay("speed_dial", (step(stored),), assumed)
