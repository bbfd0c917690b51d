"""Day/night per service, with a manual override: pure decisions, no I/O.

A service (ivr.yaml ``daynight: services:``) is in day mode while its time slot
is active and in night mode outside it.  Its toggle code switches it to the
other mode (the override) until toggled back, or until the slot next changes
(``until: next_change``, the default: a switchboard closed early opens again
the next morning by itself).  Toggling while an override is on ends it.

- :func:`decide`: (service, slot active?, stored override, now) -> Decision
  (mode, reason, the override in force);
- :func:`toggle`: the same facts + the time of the slot's next change -> what
  to store and the decision after the toggle;
- :func:`next_change`: when a slot (given as a function of time) next changes.

The store holds one text value per service (:meth:`Override.encode`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from apps.ivr.rules import Service

Mode = Literal["day", "night"]
NAMESPACE = "daynight"  # the state store's namespace; one key per service
HORIZON = timedelta(days=8)  # a slot that does not change within 8 days: no end
_COARSE = timedelta(minutes=5)


@dataclass(frozen=True)
class Override:
    """A service switched by hand to ``mode`` at ``set_at``, until ``until`` (None:
    until toggled back)."""

    mode: Mode
    set_at: datetime
    until: datetime | None = None

    def encode(self) -> str:
        until = self.until.isoformat() if self.until is not None else ""
        return f"{self.mode}|{self.set_at.isoformat()}|{until}"

    @classmethod
    def decode(cls, text: str | None) -> Override | None:
        """The stored value; None when nothing (or something unreadable) is stored."""
        if not text:
            return None
        parts = text.split("|")
        if len(parts) != 3 or parts[0] not in ("day", "night"):
            return None
        mode: Mode = "day" if parts[0] == "day" else "night"
        try:
            set_at = datetime.fromisoformat(parts[1])
            until = datetime.fromisoformat(parts[2]) if parts[2] else None
        except ValueError:
            return None
        if set_at.tzinfo is None or (until is not None and until.tzinfo is None):
            return None
        return cls(mode, set_at, until)

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True)
class Decision:
    service: str
    mode: Mode
    reason: str
    override: Override | None = None  # the override in force, if any

    @property
    def lamp(self) -> str:
        """The service's BLF lamp: lit while an override is in force."""
        return "INUSE" if self.override is not None else "NOT_INUSE"


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")


def decide(
    name: str, service: Service, slot_active: bool, override: Override | None, now: datetime
) -> Decision:
    """Day or night for ``name`` at ``now``, and why."""
    natural: Mode = "day" if slot_active else "night"
    slot_says = f"slot {service.slot} {'active' if slot_active else 'not active'}"
    if override is not None and override.active(now):
        end = (
            f"until {_stamp(override.until)}"
            if override.until is not None
            else "until toggled back"
        )
        reason = (
            f"override to {override.mode} since {_stamp(override.set_at)}, {end} "
            f"({slot_says} would say {natural})"
        )
        return Decision(name, override.mode, reason, override)
    reason = f"{slot_says}: {natural}"
    if override is not None and override.until is not None:
        reason += f" (the override to {override.mode} ended at {_stamp(override.until)})"
    return Decision(name, natural, reason)


@dataclass(frozen=True)
class Toggle:
    store: Override | None  # what to store for the service (None: delete the key)
    decision: Decision  # the service after the toggle


def toggle(
    name: str,
    service: Service,
    slot_active: bool,
    override: Override | None,
    now: datetime,
    slot_changes_at: datetime | None,
) -> Toggle:
    """The toggle code was dialed: end the override in force, or start one to the
    other mode (until the slot's next change, or until toggled back)."""
    current = decide(name, service, slot_active, override, now)
    if current.override is not None:
        after = decide(name, service, slot_active, None, now)
        reason = f"override ended by the toggle code: back to the time slot, {after.reason}"
        return Toggle(None, Decision(name, after.mode, reason))
    mode: Mode = "night" if current.mode == "day" else "day"
    until = slot_changes_at if service.until == "next_change" else None
    new = Override(mode, now, until)
    return Toggle(new, decide(name, service, slot_active, new, now))


def next_change(is_active: Callable[[datetime], bool], now: datetime) -> datetime | None:
    """The first minute after ``now`` at which ``is_active`` differs from now
    (searched every 5 minutes, then minute by minute), within HORIZON; None if never."""
    state = is_active(now)
    base = now.replace(second=0, microsecond=0)
    previous = base
    when = base + _COARSE
    while when - base <= HORIZON:
        if is_active(when) != state:
            minute = previous + timedelta(minutes=1)
            while minute < when and is_active(minute) == state:
                minute += timedelta(minutes=1)
            return minute
        previous, when = when, when + _COARSE
    return None
