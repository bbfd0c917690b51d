"""The PIN dialog as a pure state machine: step(dialog, state, event) -> (state, actions).

No I/O: the hook (hooks.py ``rights_pin``) is a thin loop that applies the
actions (ask for digits, read or write the lockout state, check a PIN hash,
write an audit line, set ``AUTOCOM_PIN``) and feeds back what they return.

One attempt:
  ask       GET DATA; ``Typed`` comes back (``EXT*PIN`` types another owner's PIN)
  lock      the owner's lockout state is read (only when a lockout is set and
            something was typed); a lock refuses the PIN, whatever it is
  check     a well-formed PIN is checked against the owner's stored hash
  failure   a wrong PIN is counted against its owner; the last one may lock
Then ``ok``, ``locked``, ``unavailable`` (the lockout state did not answer),
another attempt, or ``fail`` after the last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from zoneinfo import ZoneInfo

from autocom.rights.decision import RightsDecision
from autocom.rights.lockout import LockDecision, LockoutPolicy, PinHistory, decide_lock, local_iso
from autocom.rights.rules import PinSettings

Result = Literal["ok", "fail", "locked", "unavailable"]
Record = dict[str, Any]


@dataclass(frozen=True)
class PinDialog:
    """What the dialog reads: the settings, the caller and the rights of another owner."""

    settings: PinSettings
    policy: LockoutPolicy | None  # None: `pin: lockout: off`
    tz: ZoneInfo
    caller: str
    base: Record  # the fields of every audit record of this call
    decision: RightsDecision  # the caller's own: "pin" when the dialog is needed
    decide_for: Callable[[str], RightsDecision]  # another PIN owner's rights, same call
    valid_owner: Callable[[str], bool]  # usable as a lockout key


# ---------------------------------------------------------------- events in


@dataclass(frozen=True)
class Typed:
    digits: str
    now: float  # epoch seconds when the entry ended


@dataclass(frozen=True)
class LockRead:
    history: PinHistory | None  # None: the lockout state did not answer
    error: str = ""


@dataclass(frozen=True)
class PinChecked:
    ok: bool


@dataclass(frozen=True)
class FailureRecorded:
    after: LockDecision | None  # None: the lockout state did not answer
    error: str = ""


Event = Typed | LockRead | PinChecked | FailureRecorded

# ---------------------------------------------------------------- actions out


@dataclass(frozen=True)
class Ask:
    retry: bool  # play the "incorrect" prompt first


@dataclass(frozen=True)
class ReadLock:
    owner: str


@dataclass(frozen=True)
class CheckPin:
    owner: str
    pin: str


@dataclass(frozen=True)
class RecordFailure:
    owner: str
    now: float


@dataclass(frozen=True)
class ResetCount:
    owner: str
    now: float


@dataclass(frozen=True)
class Audit:
    record: Record


@dataclass(frozen=True)
class Log:
    level: Literal["warning", "error"]
    message: str


@dataclass(frozen=True)
class Finish:
    result: Result


Action = Ask | ReadLock | CheckPin | RecordFailure | ResetCount | Audit | Log | Finish


@dataclass(frozen=True)
class PinState:
    attempt: int = 0
    owner: str = ""
    pin: str = ""
    typed: str = ""
    now: float = 0.0
    counts: bool = False  # nothing typed is no guess: neither counted nor locked
    record: Record = field(default_factory=dict)


Step = tuple[PinState, tuple[Action, ...]]


def start(dialog: PinDialog) -> Step:
    """The first prompt, or the end when the rules need no PIN any more."""
    decision = dialog.decision
    if decision.verdict != "pin":
        # Rules changed since the first hook (reload, slot edge): follow them now.
        result: Result = "ok" if decision.verdict == "allow" else "fail"
        reason = f"no PIN needed now: {decision.reason}"
        return PinState(), (Audit({**dialog.base, "result": result, "reason": reason}),
                            Finish(result))  # fmt: skip
    return PinState(attempt=1), (Ask(retry=False),)


def step(dialog: PinDialog, state: PinState, event: Event) -> Step:
    if isinstance(event, Typed):
        return _typed(dialog, state, event)
    if isinstance(event, LockRead):
        return _lock_read(dialog, state, event)
    if isinstance(event, PinChecked):
        return _checked(dialog, state, event.ok)
    return _failure_recorded(dialog, state, event)


def _typed(dialog: PinDialog, state: PinState, event: Typed) -> Step:
    owner, _, pin = event.digits.rpartition("*")
    owner = owner or dialog.caller
    counts = bool(event.digits) and dialog.policy is not None
    record = {**dialog.base, "by": owner, "attempt": state.attempt}
    state = PinState(state.attempt, owner, pin, event.digits, event.now, counts, record)
    if counts and not dialog.valid_owner(owner):
        # cannot be counted, so never checked (no unlimited guessing this way)
        why = {"result": "fail", "why": "PIN owner is not an extension"}
        return _next_attempt(dialog, state, (Audit({**state.record, **why}),))
    if counts:
        return state, (ReadLock(owner),)
    return _check(dialog, state)


def _lock_read(dialog: PinDialog, state: PinState, event: LockRead) -> Step:
    if event.history is None or dialog.policy is None:
        return _unavailable(state, event.error)
    lock = decide_lock(dialog.policy, event.history, state.now, dialog.tz)
    if lock.locked:
        # whatever was typed, the right PIN too: it is not even checked
        until = local_iso(lock.until, dialog.tz)
        record = {**state.record, "result": "locked", "reason": lock.reason, "until": until}
        return state, (Audit(record), Finish("locked"))
    return _check(dialog, state)


def _check(dialog: PinDialog, state: PinState) -> Step:
    settings = dialog.settings
    if settings.min_digits <= len(state.pin) <= settings.max_digits and state.pin.isdigit():
        return state, (CheckPin(state.owner, state.pin),)
    return _checked(dialog, state, False)


def _checked(dialog: PinDialog, state: PinState, ok: bool) -> Step:
    record = dict(state.record)
    overrider: RightsDecision | None = None
    if ok and state.owner != dialog.caller:
        overrider = dialog.decide_for(state.owner)
        ok = overrider.verdict in ("allow", "pin")
    record["result"] = "ok" if ok else "fail"
    if overrider is not None:
        record["by_class"] = overrider.class_name
        record["by_reason"] = overrider.reason
    if ok:
        decision = dialog.decision
        record["overrode"] = f"{decision.class_name}: {decision.reason}"
        state = replace(state, record=record)
        reset = (ResetCount(state.owner, state.now),) if state.counts else ()
        return state, (*reset, Audit(state.record), Finish("ok"))
    record["why"] = "wrong PIN" if state.typed else "nothing typed"
    state = replace(state, record=record)
    if not state.counts:
        return _next_attempt(dialog, state, (Audit(state.record),))
    return state, (RecordFailure(state.owner, state.now),)


def _failure_recorded(dialog: PinDialog, state: PinState, event: FailureRecorded) -> Step:
    after = event.after
    if after is None:
        return _unavailable(state, event.error)
    audit = Audit({**state.record, "failures": after.failures, "left": after.left})
    if not after.locked:
        return _next_attempt(dialog, state, (audit,))
    lock = {
        "event": "rights-pin-lock",
        "uniqueid": dialog.base.get("uniqueid"),
        "by": state.owner,
        "caller": dialog.caller,
        "failures": after.failures,
        "until": local_iso(after.until, dialog.tz),
        "reason": after.reason,
        "trace": list(after.trace),
    }
    warn = f"PIN of {state.owner} locked (typed from {dialog.caller}): {after.reason}"
    return state, (audit, Audit(lock), Log("warning", warn), Finish("locked"))


def _unavailable(state: PinState, error: str) -> Step:
    """The lockout state cannot be read or written: refuse the PIN (never unlimited tries)."""
    message = (
        f"PIN refused: the PIN lockout state is unavailable ({error}); calls that need a PIN"
        " are refused until the state store answers"
    )
    why = {"result": "unavailable", "why": f"lockout state unavailable: {error}"}
    return state, (Log("error", message), Audit({**state.record, **why}), Finish("unavailable"))


def _next_attempt(dialog: PinDialog, state: PinState, done: tuple[Action, ...]) -> Step:
    if state.attempt >= dialog.settings.attempts:
        return state, (*done, Finish("fail"))
    return PinState(attempt=state.attempt + 1), (*done, Ask(retry=True))
