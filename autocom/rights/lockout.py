"""PIN lockout: after too many wrong PINs, a PIN owner's PIN is refused for a while.

Pure: no I/O, no clock. The PIN hook (apps/time_rules/hooks.py) reads a
:class:`PinHistory` snapshot from the state store (apps/time_rules/state.py),
calls :func:`decide_lock` with the time as epoch seconds, and writes what the
decision says.

The rule (``pin: lockout:`` in rights.yaml, see docs/time_rules.md):

- a wrong PIN counts against the PIN owner (the caller, or EXT in ``EXT*PIN``),
  whichever phone and whichever autocom server it was typed on;
- the first wrong PIN opens a window of ``window`` seconds; the
  ``failures``-th wrong PIN within it locks the owner for ``lock`` seconds:
  every PIN typed for that owner is then refused, the right one too (the
  window is the lifetime of the store's atomic counter, so no wrong PIN is
  lost however many servers count at once);
- a right PIN, the start of a lock and an admin's unlock reset the count (the
  counter is deleted; the next wrong PIN opens a new window);
- an attempt during a lock neither counts nor lengthens the lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
UNITS = (86400, 3600, 60, 1)


def parse_duration(text: str) -> int:
    """``"15m"``, ``"1h30m"``, ``"90s"``, ``"2d"`` -> seconds; ValueError says what to write."""
    compact = text.strip().replace(" ", "").lower()
    match = DURATION_RE.match(compact)
    if not compact or match is None or not any(match.groups()):
        hint = f"; for {compact} seconds write {compact}s" if compact.isdigit() else ""
        raise ValueError(
            f"{text!r} is not a duration: write a number and a unit, e.g. 90s, 15m, 1h, 1h30m"
            f" or 2d{hint}"
        )
    return sum(int(g) * unit for g, unit in zip(match.groups(), UNITS, strict=True) if g)


def format_duration(seconds: float) -> str:
    """The shortest text :func:`parse_duration` reads back (rounded to the second)."""
    left = max(0, round(seconds))
    out = ""
    for unit, name in zip(UNITS, "dhms", strict=True):
        count, left = divmod(left, unit)
        if count:
            out += f"{count}{name}"
    return out or "0s"


@dataclass(frozen=True)
class LockoutPolicy:
    """The compiled ``pin: lockout:`` settings; ``where`` is its file:line."""

    failures: int  # wrong PINs ...
    window: int  # ... within this many seconds ...
    lock: int  # ... lock the owner for this many seconds
    where: str

    def describe(self) -> str:
        return (
            f"{self.failures} wrong PINs within {format_duration(self.window)}"
            f" lock for {format_duration(self.lock)}"
        )


@dataclass(frozen=True)
class PinHistory:
    """What the state store holds for one PIN owner (a snapshot)."""

    count: int = 0  # wrong PINs in the current window (the store's atomic counter)
    failures: tuple[float, ...] = ()  # when the stored wrong PINs were typed (for display)
    since: float | None = None  # first wrong PIN of the current window (None: unknown)
    locked_until: float | None = None
    locked_since: float | None = None
    locked_failures: int = 0  # how many wrong PINs started the lock


@dataclass(frozen=True)
class LockDecision:
    """Whether a PIN owner is locked at ``now``, and why."""

    locked: bool
    start_lock: bool  # True: this decision starts a lock; write it
    until: float | None  # end of the lock (epoch seconds)
    failures: int  # wrong PINs that count now
    left: int  # wrong PINs left before a lock (0 when locked)
    reason: str
    trace: tuple[str, ...]
    counted: tuple[float, ...] = ()  # the wrong PINs that count (epoch seconds)


def counted(history: PinHistory) -> tuple[float, ...]:
    """The stored wrong PINs that are in the count: the newest ``count`` of the window.

    The count itself is the counter's; the stored times are a best-effort
    record for people (pin-status), so they may be fewer than the count.
    """
    if history.count <= 0:
        return ()
    since = history.since
    window = sorted(t for t in history.failures if since is None or t >= since)
    return tuple(window[-history.count :])


def decide_lock(
    policy: LockoutPolicy | None, history: PinHistory, now: float, tz: ZoneInfo | None = None
) -> LockDecision:
    """Is the owner locked at ``now``?  After recording a wrong PIN, call it again:
    ``start_lock`` says whether that failure starts a lock."""
    if policy is None:
        return LockDecision(False, False, None, 0, 0, "PIN lockout is off", ("pin.lockout: off",))
    trace = [f"{policy.where} pin.lockout: {policy.describe()}"]
    if history.locked_until is not None and history.locked_until > now:
        trace.append(
            f"locked at {local_iso(history.locked_since, tz)} after "
            f"{history.locked_failures} wrong PINs"
        )
        return LockDecision(
            True,
            False,
            history.locked_until,
            history.locked_failures,
            0,
            f"PIN locked until {local_iso(history.locked_until, tz)} "
            f"({history.locked_failures} wrong PINs)",
            tuple(trace),
        )
    wrong = counted(history)
    count = history.count
    since = (
        f"since {local_iso(history.since, tz)}" if history.since is not None else "in the window"
    )
    if count >= policy.failures:
        until = now + policy.lock
        trace.append(f"{count} wrong PINs {since}: locked for {format_duration(policy.lock)}")
        return LockDecision(
            True,
            True,
            until,
            count,
            0,
            f"{count} wrong PINs within {format_duration(policy.window)}: "
            f"PIN locked until {local_iso(until, tz)}",
            tuple(trace),
            wrong,
        )
    left = policy.failures - count
    trace.append(f"{count} wrong PINs count now ({since}); {left} more lock it")
    return LockDecision(
        False,
        False,
        None,
        count,
        left,
        f"{count} wrong PINs in the window, a lock after {policy.failures}",
        tuple(trace),
        wrong,
    )


def local_iso(epoch: float | None, tz: ZoneInfo | None = None) -> str:
    """An epoch time as local ISO 8601 text (UTC without a zone)."""
    if epoch is None:
        return "?"
    return datetime.fromtimestamp(epoch, tz or ZoneInfo("UTC")).isoformat(timespec="seconds")


__all__ = [
    "LockDecision",
    "LockoutPolicy",
    "PinHistory",
    "counted",
    "decide_lock",
    "format_duration",
    "local_iso",
    "parse_duration",
]
