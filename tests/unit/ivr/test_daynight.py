"""Day/night per service: the pure decisions (apps/ivr/daynight.py) and the rules."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from apps.ivr import daynight, engine
from apps.ivr.daynight import Override
from apps.ivr.rules import IvrRules, Service

PARIS = ZoneInfo("Europe/Paris")
T10 = datetime(2026, 11, 24, 10, 3, 27, tzinfo=PARIS)
NEXT = Service(slot="office")
HELD = Service(slot="office", until="toggle")


def office(when: datetime) -> bool:
    """Open 08:00-12:30 every day."""
    return time(8, 0) <= when.astimezone(PARIS).time() < time(12, 30)


def test_no_override_the_slot_decides() -> None:
    assert daynight.decide("a", NEXT, True, None, T10).mode == "day"
    night = daynight.decide("a", NEXT, False, None, T10)
    assert (night.mode, night.reason, night.lamp) == (
        "night",
        "slot office not active: night",
        "NOT_INUSE",
    )


def test_toggle_closes_early_until_the_next_slot_change_then_expires() -> None:
    changes = daynight.next_change(office, T10)
    assert changes == datetime(2026, 11, 24, 12, 30, tzinfo=PARIS)
    result = daynight.toggle("a", NEXT, True, None, T10, changes)
    assert result.store == Override("night", T10, changes)
    assert result.decision.mode == "night" and result.decision.lamp == "INUSE"
    assert "until 2026-11-24 12:30" in result.decision.reason
    later = daynight.decide("a", NEXT, False, result.store, changes + timedelta(hours=20))
    assert later.mode == "night" and later.override is None  # the slot again
    assert "the override to night ended at 2026-11-24 12:30" in later.reason


def test_toggle_again_goes_back_to_the_slot() -> None:
    held = daynight.toggle("a", HELD, True, None, T10, None)
    assert held.store == Override("night", T10, None)  # until toggled back
    days_later = T10 + timedelta(days=3)
    assert daynight.decide("a", HELD, True, held.store, days_later).mode == "night"
    back = daynight.toggle("a", HELD, True, held.store, days_later, None)
    assert back.store is None and back.decision.mode == "day"
    assert back.decision.reason.startswith("override ended by the toggle code")


def test_open_late_at_night() -> None:
    night = T10.replace(hour=20)
    result = daynight.toggle("a", NEXT, False, None, night, daynight.next_change(office, night))
    assert result.decision.mode == "day"
    assert result.store is not None and result.store.until == datetime(
        2026, 11, 25, 8, 0, tzinfo=PARIS
    )


def test_next_change_never() -> None:
    assert daynight.next_change(lambda _when: True, T10) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "bogus",
        "dusk|2026-11-24T10:00:00+01:00|",
        "night|yesterday|",
        "night|2026-11-24T10:00:00|",
    ],
)
def test_unreadable_stored_values_are_no_override(text: str) -> None:
    assert Override.decode(text) is None


def test_stored_value_round_trip() -> None:
    value = Override("day", T10, T10 + timedelta(hours=2))
    assert Override.decode(value.encode()) == value
    assert Override.decode(Override("night", T10).encode()) == Override("night", T10)


def test_ivr_night_branch() -> None:
    rules = IvrRules.model_validate(
        {
            "daynight": {"services": {"accueil": {"slot": "office", "code": "*601"}}},
            "menus": {
                "main": {"prompt": ["beep"], "branches": [{"night": "accueil", "menu": "closed"}]},
                "closed": {"prompt": ["vm-nobodyavail"]},
            },
        }
    )
    assert engine.slots_used(rules) == set()
    assert engine.start(rules, "main").reason == "menu main: prompt"
    closed = engine.start(rules, "main", night_services=frozenset({"accueil"}))
    assert closed.reason == "menu main: service accueil in night mode"
    assert "exten => *601,hint,Custom:daynight-accueil" in rules.site_dialplan()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"menus": {"m": {"prompt": ["b"], "branches": [{"night": "x", "menu": "m"}]}}},
            "no service",
        ),
        ({"daynight": {"services": {"a": {"slot": "s", "pin": "12"}}}}, "4 to 8 digits"),
        ({"daynight": {"services": {"a": {"slot": "s", "code": "601"}}}}, "then digits"),
        (
            {
                "menus": {
                    "m": {"prompt": ["b"], "branches": [{"night": "x", "slot": "s", "menu": "m"}]}
                }
            },
            "exactly one of slot",
        ),
    ],
)
def test_rule_mistakes(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        IvrRules.model_validate(doc)
