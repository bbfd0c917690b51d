"""The time slots a filter is active in come from the call rights' rule file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from apps.boss_secretary.engine import SlotCheck
from autocom.rights import TimeRules, slot_is_active


def slot_check(time_rules: Any) -> SlotCheck | None:
    """``config.rules["time_rules"]`` as a SlotCheck; None when it is not loaded."""
    if not isinstance(time_rules, TimeRules):
        return None
    rules = time_rules

    def check(name: str, when: datetime) -> bool:
        return slot_is_active(rules, name, when)

    return check


def known_slots(time_rules: Any) -> set[str] | None:
    """Slot names defined in the time_rules file; None when it is not loaded."""
    if not isinstance(time_rules, TimeRules):
        return None
    return time_rules.slot_names()
