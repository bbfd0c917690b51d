"""Forward decisions, pure: what a feature code does, and where a call goes.

- :func:`parse_code` reads what was dialed (*21<number>, *21, *20...).
- :func:`decide_set` says what a feature code (or the CLI) changes in the
  forwarding user's state, checked against that user's forward rights.
- :func:`decide_ring` says, when a call reaches a user, whether a forward is
  followed (checked again with the forwarding user's rights at that moment,
  loops and long chains stopped) or the user's own devices ring.

No I/O: the state comes in as a snapshot, the rights as a function, and the
result says what to write and what the dialplan should do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from apps.forwards.rules import FORWARD_TYPES, SHORT, ForwardsRules, ForwardType
from autocom.rights import EMERGENCY, INTERNAL, RightsCheck, is_unclassified
from autocom.site.model import Site


@dataclass(frozen=True)
class Forward:
    """One stored forward of one user: the destination, on or off."""

    destination: str
    enabled: bool = True


# A user's forwards, by type; a missing type was never set.
ForwardState = Mapping[ForwardType, Forward]


@dataclass(frozen=True)
class CodeRequest:
    """What a dialed feature code asks for."""

    action: Literal["set", "toggle", "cancel_all"]
    type: ForwardType | None = None  # None for cancel_all
    destination: str = ""  # for "set"


def parse_code(rules: ForwardsRules, dialed: str) -> CodeRequest | None:
    """The request a dialed string makes, or None if it is not a forward code."""
    if dialed == rules.codes.cancel_all:
        return CodeRequest("cancel_all")
    # longest code first, so a site may use codes that share a start with others
    for ftype, code in sorted(rules.codes.by_type().items(), key=lambda kv: -len(kv[1])):
        if dialed == code:
            return CodeRequest("toggle", ftype)
        if dialed.startswith(code):
            return CodeRequest("set", ftype, dialed[len(code) :])
    return None


def parse_dnd(rules: ForwardsRules, dialed: str) -> bool | None:
    """True (DND on), False (off), or None if ``dialed`` is no DND code."""
    if dialed == rules.codes.dnd_on:
        return True
    if dialed == rules.codes.dnd_off:
        return False
    return None


PROMPT_DND_ON = ("do-not-disturb", "activated")
PROMPT_DND_OFF = ("do-not-disturb", "de-activated")


Outcome = Literal["set", "enabled", "disabled", "cancelled", "refused"]


@dataclass(frozen=True)
class SetDecision:
    """The result of a feature code: what to store, the prompt, the lamps."""

    outcome: Outcome
    changes: Mapping[ForwardType, Forward] = field(default_factory=dict)  # to write
    reason: str = ""
    trace: tuple[str, ...] = ()
    prompts: tuple[str, ...] = ()  # sound files to play, in order
    category: str | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome != "refused"

    def lamps(self, before: ForwardState) -> dict[ForwardType, bool]:
        """On/off of each type's BLF lamp after the change."""
        after = dict(before)
        after.update(self.changes)
        return current_lamps(after)


# Prompts from Asterisk's core sounds (sounds-en / sounds-fr).
_TYPE_PROMPT: dict[ForwardType, str] = {
    "unconditional": "call-fwd-unconditional",
    "noanswer": "call-fwd-no-ans",
    "busy": "call-fwd-on-busy",
}
PROMPT_REFUSED = ("beeperr", "cannot-complete-as-dialed")
PROMPT_CANCELLED = ("cancelled",)


def _refused(reason: str, trace: Sequence[str] = (), category: str | None = None) -> SetDecision:
    return SetDecision("refused", {}, reason, tuple(trace), PROMPT_REFUSED, category)


@dataclass(frozen=True)
class Accepted:
    """A destination ``user`` may forward to now."""

    category: str
    trace: tuple[str, ...]
    number: str  # internal: the extension; external: the number for the trunk


def check_destination(
    rules: ForwardsRules,
    site: Site,
    user: str,
    destination: str,
    rights: RightsCheck,
) -> SetDecision | Accepted:
    """A refusal, or :class:`Accepted` when ``user`` may forward to ``destination``."""
    if not destination.isdigit() or len(destination) > rules.max_digits:
        return _refused(
            f"destination {destination!r} is not a number of 1 to {rules.max_digits} digits"
        )
    if destination == user:
        return _refused(f"{user} cannot forward to itself")
    decision = rights(user, destination)
    trace = tuple(decision.trace)
    if is_unclassified(decision):
        return _refused(
            f"the numbering plan does not know {destination!r}: {decision.reason}", trace
        )
    category = decision.category or ""
    if category == EMERGENCY and rules.emergency_forward == "refuse":
        return _refused(
            f"{destination} is an emergency number: forwarding calls there is not allowed "
            "(forwards.yaml emergency_forward: refuse)",
            trace,
            category,
        )
    if category == INTERNAL:
        return Accepted(category, trace, destination)
    if decision.verdict != "allow":
        why = "needs a PIN, which a forwarded call cannot give" if decision.verdict == "pin" else ""
        return _refused(
            f"{user} may not forward to {category} numbers now: {why or decision.reason}",
            trace,
            category,
        )
    return Accepted(category, trace, decision.number or destination)


def decide_set(
    rules: ForwardsRules,
    site: Site,
    user: str,
    request: CodeRequest,
    state: ForwardState,
    rights: RightsCheck,
) -> SetDecision:
    """What a feature code (or `autocom forwards set`) does for ``user``."""
    if site.user(user) is None:
        return _refused(f"{user} is not a user of the site")
    if request.action == "cancel_all":
        changes = {t: replace(f, enabled=False) for t, f in state.items() if f.enabled}
        return SetDecision(
            "cancelled", changes, f"every forward of {user} cancelled", (), PROMPT_CANCELLED
        )
    assert request.type is not None
    ftype = request.type
    current = state.get(ftype)
    if request.action == "toggle":
        if current is not None and current.enabled:
            return SetDecision(
                "disabled",
                {ftype: replace(current, enabled=False)},
                f"{ftype} forward of {user} to {current.destination} turned off",
                (),
                (_TYPE_PROMPT[ftype], "de-activated"),
            )
        if current is None or not current.destination:
            return _refused(f"{user} has no previous {ftype} destination to turn back on")
        destination = current.destination
        outcome: Outcome = "enabled"
    else:
        destination = request.destination
        outcome = "set"
    checked = check_destination(rules, site, user, destination, rights)
    if isinstance(checked, SetDecision):
        return checked
    return SetDecision(
        outcome,
        {ftype: Forward(destination, True)},
        f"{ftype} forward of {user} to {destination} ({checked.category}) on",
        checked.trace,
        (_TYPE_PROMPT[ftype], "activated"),
        checked.category,
    )


Phase = Literal["unconditional", "noanswer", "busy", "phone"]


@dataclass(frozen=True)
class RingDecision:
    """Where a call to a user goes: follow a forward, or ring the user (fallback)."""

    action: Literal["follow", "ring"]
    route: Literal["internal", "external", ""] = ""
    target: str = ""  # internal: an extension; external: the number for the trunk
    destination: str = ""  # the forward's destination as stored / dialed
    reason: str = ""
    trace: tuple[str, ...] = ()
    category: str | None = None

    @property
    def value(self) -> str:
        """AUTOCOM_FWD for the dialplan: '' (ring the user) or 'route:destination'.

        The destination is the number as the forwarding user dials it: the
        dialplan redirects the call there in that user's context, on the user's
        behalf (purpose forward), so it takes the site's normal routes.
        """
        return f"{self.route}:{self.destination}" if self.action == "follow" else ""


def _ring(reason: str, destination: str = "", trace: Sequence[str] = ()) -> RingDecision:
    return RingDecision("ring", "", "", destination, reason, tuple(trace))


def parse_chain(text: str) -> tuple[str, ...]:
    """The users a call was already forwarded by, as the dialplan carries them."""
    return tuple(p for p in text.replace("&", ",").split(",") if p.isdigit())


def decide_ring(
    rules: ForwardsRules,
    site: Site,
    user: str,
    phase: Phase,
    state: ForwardState,
    chain: Sequence[str],
    rights: RightsCheck,
    phone_target: str = "",
) -> RingDecision:
    """Whether the call to ``user`` follows a forward now.

    ``phase`` is the moment: before ringing (unconditional), after no answer,
    on busy, or a forward the phone itself asked for (302, ``phone_target``).
    ``chain`` lists the users that already forwarded this call.  Denied,
    looping or too long: the decision is to ring ``user`` (then voicemail).
    """
    if site.user(user) is None:
        return _ring(f"{user} is not a user of the site: no forward")
    if phase == "phone":
        destination = phone_target
        if not destination:
            return _ring("the phone asked for a forward without a destination")
    else:
        fwd = state.get(phase)
        if fwd is None or not fwd.enabled or not fwd.destination:
            return _ring(f"{user} has no {phase} forward")
        destination = fwd.destination
    seen = [*chain, user]
    if destination in seen:
        return _ring(
            f"forward loop: {' -> '.join([*seen, destination])}; ringing {user}", destination
        )
    if len(chain) >= rules.max_chain:
        return _ring(
            f"forward chain longer than {rules.max_chain} (forwards.yaml max_chain): "
            f"{' -> '.join([*seen, destination])}; ringing {user}",
            destination,
        )
    checked = check_destination(rules, site, user, destination, rights)
    if isinstance(checked, SetDecision):
        return _ring(f"forward denied at ring time: {checked.reason}", destination, checked.trace)
    internal = checked.category == INTERNAL
    allowed = "" if internal else ", allowed now"
    return RingDecision(
        "follow",
        "internal" if internal else "external",
        checked.number,
        destination,
        f"{user} forwards ({phase}) to {destination} ({checked.category}){allowed}",
        checked.trace,
        checked.category,
    )


def lamp_device(user: str, ftype: ForwardType) -> str:
    """The Custom device state of a user's forward lamp (hinted in the dialplan)."""
    return f"Custom:autocom-fwd-{SHORT[ftype]}-{user}"


def lamps_value(lamps: Mapping[ForwardType, bool]) -> str:
    """The lamps as one dialplan variable: 'INUSE,NOT_INUSE,NOT_INUSE' (unc,rna,busy)."""
    return ",".join("INUSE" if lamps[t] else "NOT_INUSE" for t in FORWARD_TYPES)


def lamp_states(user: str, lamps: Mapping[ForwardType, bool]) -> dict[str, str]:
    """Each lamp of ``user`` (Custom device) -> its device state."""
    return {lamp_device(user, t): "INUSE" if lamps[t] else "NOT_INUSE" for t in FORWARD_TYPES}


def current_lamps(state: ForwardState) -> dict[ForwardType, bool]:
    """On/off of each lamp for a stored state (a type never set is off)."""
    return {t: bool((f := state.get(t)) is not None and f.enabled) for t in FORWARD_TYPES}


def wanted_lamps(site: Site, stored: Mapping[str, ForwardState]) -> dict[str, str]:
    """Every lamp of every user of the site -> the state the store says it should show.

    Users with nothing stored get their three lamps off: a forward cleared with
    `autocom forwards clear` leaves no key behind, and its lamp must go off too.
    """
    wanted: dict[str, str] = {}
    for user in site.users:
        wanted.update(lamp_states(user.extension, current_lamps(stored.get(user.extension, {}))))
    return wanted
