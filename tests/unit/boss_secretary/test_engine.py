"""decide(): who rings in which order, as case tables."""

from __future__ import annotations

from datetime import datetime

import pytest

from apps.boss_secretary.encode import decode, encode
from apps.boss_secretary.engine import Caller, FallbackPlan, FilterPlan, decide, may_toggle
from tests.unit.boss_secretary.sample import MONDAY_10H, SITE_YAML, one_filter, rules, site

SITE = site()
OUTSIDE = "0387123456"  # an outside caller who is nobody special

BOSS = ("desk-2001", "soft-2001")


def summary(plan: FilterPlan) -> list[tuple[str, tuple[str, ...], int, bool]]:
    """Each step as (role, devices, ring time, filtered name shown)."""
    return [(s.role, s.devices, s.ring_time, s.show_filtered) for s in plan.steps]


MODE_CASES = [
    (
        "secretaries_first_serial",
        [
            ("secretaries", ("desk-2002",), 15, True),
            ("secretaries", ("desk-2003", "soft-2003"), 15, True),
            ("boss", BOSS, 20, False),
        ],
    ),
    (
        "secretaries_first_simultaneous",
        [
            ("secretaries", ("desk-2002", "desk-2003", "soft-2003"), 15, True),
            ("boss", BOSS, 20, False),
        ],
    ),
    (
        "boss_first_serial",
        [
            ("boss", BOSS, 20, False),
            ("secretaries", ("desk-2002",), 15, True),
            ("secretaries", ("desk-2003", "soft-2003"), 15, True),
        ],
    ),
    (
        "boss_first_simultaneous",
        [
            ("boss", BOSS, 20, False),
            ("secretaries", ("desk-2002", "desk-2003", "soft-2003"), 15, True),
        ],
    ),
    (
        "all_at_once",
        [("all", (*BOSS, "desk-2002", "desk-2003", "soft-2003"), 20, True)],
    ),
]


@pytest.mark.parametrize(("mode", "expected"), MODE_CASES, ids=[m for m, _ in MODE_CASES])
def test_every_mode_rings_every_device_in_order(mode: str, expected: list[object]) -> None:
    r = rules(one_filter(mode=mode))
    plan = decide(r, SITE, Caller(OUTSIDE, "Jean Martin"), "2001", MONDAY_10H, {})
    assert plan.action == "filter"
    assert summary(plan) == expected
    assert plan.fallback == FallbackPlan("voicemail", "2001")
    assert plan.caller_name == "[DUPONT] Jean Martin"
    assert plan.boss_devices == BOSS


def test_ring_time_per_member_overrides_the_filter_default() -> None:
    r = rules(
        one_filter(
            bosses='[{extension: "2001", ring_time: 30}]',
            secretaries='[{extension: "2002", ring_time: 8}, "2003"]',
            mode="secretaries_first_simultaneous",
        )
    )
    plan = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {})
    # a simultaneous step rings for the longest of its members' times
    assert [(s.role, s.ring_time) for s in plan.steps] == [("secretaries", 15), ("boss", 30)]
    serial = decide(
        rules(
            one_filter(
                bosses='[{extension: "2001", ring_time: 30}]',
                secretaries='[{extension: "2002", ring_time: 8}, "2003"]',
            )
        ),
        SITE,
        OUTSIDE,
        "2001",
        MONDAY_10H,
        {},
    )
    assert [s.ring_time for s in serial.steps] == [8, 15, 30]


DIRECT_CASES = [
    # (caller, expected reason fragment)
    (Caller("0145678900"), "VIP caller (0145678900)"),
    (Caller("0612345678"), "VIP caller (_06XXXXXXXX)"),
    (Caller("2010"), "VIP caller (2010)"),
    (Caller("2002"), "secretary 2002"),
    (Caller("2003", device="soft-2003"), "secretary 2003"),
    # the boss's other device: the softphone calls, the desk phone must ring
    (Caller("2001", device="soft-2001"), "the boss's own call"),
    # identified by the device even when the number presented is something else
    (Caller("0999999999", device="desk-2001"), "the boss's own call"),
    # a blind transfer by a secretary puts the call through
    (Caller(OUTSIDE, transferred_by="desk-2002"), "put through by the secretary 2002"),
    # the channel was filtered for this boss already (transfer back, re-entry)
    (Caller(OUTSIDE, filtered_for="2001"), "already filtered"),
]


@pytest.mark.parametrize(("caller", "reason"), DIRECT_CASES)
def test_vip_secretaries_and_the_boss_are_never_filtered(caller: Caller, reason: str) -> None:
    plan = decide(rules(one_filter()), SITE, caller, "2001", MONDAY_10H, {})
    assert plan.action == "direct"
    assert reason in plan.reason
    assert plan.steps == ()
    assert plan.boss_devices == BOSS


FILTERED_CASES = [
    Caller("0645"),  # too short for _06XXXXXXXX
    Caller("2004"),  # a colleague who is not a secretary
    Caller(OUTSIDE, transferred_by="desk-2004"),  # transferred by someone else
    Caller(OUTSIDE, filtered_for="2005"),  # filtered for another boss
    Caller("", ""),  # no caller id at all
]


@pytest.mark.parametrize("caller", FILTERED_CASES)
def test_other_callers_are_filtered(caller: Caller) -> None:
    plan = decide(rules(one_filter()), SITE, caller, "2001", MONDAY_10H, {})
    assert plan.action == "filter", plan.reason


def test_filter_level_vip_applies_to_every_boss() -> None:
    text = one_filter(
        bosses='["2001", "2004"]',
        vip='["_0145XXXXXX"]',
    )
    r = rules(text)
    for boss in ("2001", "2004"):
        plan = decide(r, SITE, "0145000000", boss, MONDAY_10H, {})
        assert plan.action == "direct"
        assert plan.reason == "VIP caller (_0145XXXXXX)"
    # a VIP of one boss is not a VIP of the other
    r2 = rules(one_filter(bosses='[{extension: "2001", vip: ["0111"]}, "2004"]'))
    assert decide(r2, SITE, "0111", "2001", MONDAY_10H, {}).action == "direct"
    assert decide(r2, SITE, "0111", "2004", MONDAY_10H, {}).action == "filter"


STATE_CASES = [
    # (default in the file, stored state, expected action)
    ("on", {}, "filter"),
    ("off", {}, "direct"),
    ("on", {"2001": False}, "direct"),
    ("off", {"2001": True}, "filter"),
    ("on", {"2004": False}, "filter"),  # another boss's state
]


@pytest.mark.parametrize(("default", "stored", "action"), STATE_CASES)
def test_toggle_state_and_default(default: str, stored: dict[str, bool], action: str) -> None:
    plan = decide(rules(one_filter(default=default)), SITE, OUTSIDE, "2001", MONDAY_10H, stored)
    assert plan.action == action


def office_hours(name: str, when: datetime) -> bool:
    """A slot checker: office_hours is Mon-Fri 08:00-18:00 (stands in for time_rules)."""
    assert name in ("office_hours", "lunch")
    if name == "lunch":
        return 12 <= when.hour < 14
    return when.weekday() < 5 and 8 <= when.hour < 18


SLOT_CASES = [
    (datetime(2026, 11, 23, 10, 0, tzinfo=MONDAY_10H.tzinfo), "filter", "office_hours"),
    (datetime(2026, 11, 23, 19, 0, tzinfo=MONDAY_10H.tzinfo), "direct", None),
    (datetime(2026, 11, 28, 10, 0, tzinfo=MONDAY_10H.tzinfo), "direct", None),  # Saturday
]


@pytest.mark.parametrize(("when", "action", "slot"), SLOT_CASES)
def test_the_filter_is_active_only_in_its_slots(
    when: datetime, action: str, slot: str | None
) -> None:
    r = rules(one_filter(slots="[office_hours]"))
    plan = decide(r, SITE, OUTSIDE, "2001", when, {}, office_hours)
    assert plan.action == action
    if slot:
        assert any(f"slot {slot!r} is active" in t for t in plan.trace)
    else:
        assert plan.reason == "outside the filter's time slots"


def test_any_named_slot_activates_the_filter() -> None:
    r = rules(one_filter(slots="[lunch, office_hours]"))
    saturday_noon = datetime(2026, 11, 28, 12, 30, tzinfo=MONDAY_10H.tzinfo)
    assert decide(r, SITE, OUTSIDE, "2001", saturday_noon, {}, office_hours).action == "filter"


def test_slots_without_time_rules_count_as_active() -> None:
    r = rules(one_filter(slots="[office_hours]"))
    plan = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {}, None)
    assert plan.action == "filter"
    assert any("no time_rules loaded" in t for t in plan.trace)


def test_a_ringall_group_rings_all_its_members_devices_together() -> None:
    r = rules(one_filter(secretaries='["2091"]'))
    plan = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {})
    assert summary(plan) == [
        ("secretaries", ("desk-2006", "desk-2007"), 25, True),  # the group's own ring time
        ("boss", BOSS, 20, False),
    ]
    assert plan.steps[0].legs[0].label == "group 2091 Secretariat (ringall)"


def test_a_linear_group_rings_its_members_one_after_the_other() -> None:
    r = rules(one_filter(secretaries='["2092"]', mode="secretaries_first_simultaneous"))
    plan = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {})
    # alone in its step, a linear group becomes serial steps of the group's ring time
    assert summary(plan) == [
        ("secretaries", ("desk-2006",), 10, True),
        ("secretaries", ("desk-2007",), 10, True),
        ("boss", BOSS, 20, False),
    ]


def test_a_linear_group_beside_another_secretary_keeps_its_order_inside_the_step() -> None:
    r = rules(one_filter(secretaries='["2002", "2092"]', mode="secretaries_first_simultaneous"))
    plan = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {})
    first = plan.steps[0]
    assert len(first.legs) == 2
    assert [len(leg.rings) for leg in first.legs] == [1, 2]
    assert [r.devices for r in first.legs[1].rings] == [("desk-2006",), ("desk-2007",)]
    # the step lasts as long as the group's whole round: 2 x 10 s
    assert first.ring_time == 20
    assert plan.steps[1].role == "boss"


def test_serial_mode_expands_a_linear_group_and_keeps_member_order() -> None:
    r = rules(one_filter(secretaries='["2002", "2092"]', mode="boss_first_serial"))
    plan = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {})
    assert [s.devices for s in plan.steps] == [BOSS, ("desk-2002",), ("desk-2006",), ("desk-2007",)]


def test_a_device_rings_once_per_step() -> None:
    # 2006 is a secretary and a member of the ringall group
    r = rules(one_filter(secretaries='["2006", "2091"]', mode="secretaries_first_simultaneous"))
    plan = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {})
    assert plan.steps[0].devices == ("desk-2006", "desk-2007")


def test_secretaries_without_devices_are_skipped_and_the_boss_still_rings() -> None:
    r = rules(one_filter(secretaries='["2020"]'))
    plan = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {})
    assert summary(plan) == [("boss", BOSS, 20, False)]
    assert any("has no device: skipped" in t for t in plan.trace)


def test_group_members_calling_are_secretaries() -> None:
    r = rules(one_filter(secretaries='["2091"]'))
    plan = decide(r, SITE, Caller("2006", device="desk-2006"), "2001", MONDAY_10H, {})
    assert plan.action == "direct"
    assert "secretary 2006" in plan.reason
    assert may_toggle(r, SITE, "2007", "2001")
    assert may_toggle(r, SITE, "2001", "2001")
    assert not may_toggle(r, SITE, "2004", "2001")
    assert not may_toggle(r, SITE, "2001", "2004")  # 2004 is not a boss here


FALLBACK_CASES = [
    ("voicemail", FallbackPlan("voicemail", "2001")),
    ("hangup", FallbackPlan("hangup")),
    ('{destination: "2010"}', FallbackPlan("destination", "2010", "direction")),
    ('{destination: "2010", context: other}', FallbackPlan("destination", "2010", "other")),
]


@pytest.mark.parametrize(("text", "expected"), FALLBACK_CASES)
def test_fallback(text: str, expected: FallbackPlan) -> None:
    plan = decide(rules(one_filter(fallback=text)), SITE, OUTSIDE, "2001", MONDAY_10H, {})
    assert plan.fallback == expected


def test_voicemail_fallback_of_a_boss_without_box_hangs_up() -> None:
    r = rules(one_filter(bosses='["2004"]'))
    assert decide(r, SITE, OUTSIDE, "2004", MONDAY_10H, {}).fallback == FallbackPlan("hangup")


NAME_CASES = [
    # (format or None for the default, caller name, caller number, expected)
    (None, "Jean Martin", "0387123456", "[DUPONT] Jean Martin"),
    (None, "", "0387123456", "[DUPONT] 0387123456"),
    ('"{caller_name} pour {boss_first_name} {boss_name}"', "Jean", "1", "Jean pour Marie Dupont"),
    ('"{boss_extension}>{caller_number}"', "x", "0387", "2001>0387"),
    ('"[{filter}] {caller_name}"', "A", "1", "[direction] A"),
    # caller data stays data: braces and control characters are shown, never read
    (None, "{boss_name}\r\nEvil", "1", "[DUPONT] {boss_name} Evil"),
    (None, "${SHELL(id)}", "1", "[DUPONT] ${SHELL(id)}"),
]


@pytest.mark.parametrize(("fmt", "name", "number", "expected"), NAME_CASES)
def test_the_name_secretaries_see(fmt: str | None, name: str, number: str, expected: str) -> None:
    fields = {} if fmt is None else {"caller_name": fmt}
    plan = decide(rules(one_filter(**fields)), SITE, Caller(number, name), "2001", MONDAY_10H, {})
    assert plan.caller_name == expected


def test_the_file_wide_format_is_the_default() -> None:
    text = 'caller_name: "{boss_upper}: {caller_name}"\n' + one_filter()
    plan = decide(rules(text), SITE, Caller("1", "Jo"), "2001", MONDAY_10H, {})
    assert plan.caller_name == "DUPONT: Jo"


def test_a_long_caller_name_is_cut() -> None:
    plan = decide(rules(one_filter()), SITE, Caller("1", "x" * 500), "2001", MONDAY_10H, {})
    assert len(plan.caller_name) == 80


def test_no_filter_or_unknown_boss_is_direct() -> None:
    r = rules(one_filter())
    plan = decide(r, SITE, OUTSIDE, "2004", MONDAY_10H, {})
    assert plan.action == "direct"
    assert plan.reason == "2004 is not a filtered boss"
    assert plan.boss_devices == ("desk-2004",)
    ghost = rules(one_filter(bosses='["2999"]'))
    assert decide(ghost, SITE, OUTSIDE, "2999", MONDAY_10H, {}).reason == (
        "boss 2999 is not a user of the site"
    )


def test_the_trace_names_the_rule_lines() -> None:
    r = rules(one_filter(slots="[office_hours]", fallback="hangup"))
    plan = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {}, office_hours)
    assert plan.trace == (
        "filters.yaml:3: filter 'direction': boss 2001, mode secretaries_first_serial",
        "filters.yaml:8: slot 'office_hours' is active at 2026-11-23 10:00 CET",
        "filters.yaml:9: fallback: hang up",
    )
    vip = decide(r, SITE, "0612345678", "2001", MONDAY_10H, {}, office_hours)
    assert vip.trace[-1] == "filters.yaml:3: caller 0612345678 is VIP (_06XXXXXXXX)"
    text = one_filter(bosses='\n      - extension: "2001"\n        vip:\n          - "0111"')
    assert decide(rules(text), SITE, "0111", "2001", MONDAY_10H, {}).trace[-1] == (
        "filters.yaml:6: caller 0111 is VIP (0111)"
    )
    skipped = decide(
        rules(one_filter(secretaries='["2002", "2020"]')), SITE, "1", "2001", MONDAY_10H, {}
    )
    assert "filters.yaml:4: secretary 2020 Nodev has no device: skipped" in skipped.trace


def test_decide_is_pure_and_repeatable() -> None:
    r = rules(one_filter(secretaries='["2002", "2092"]', mode="all_at_once"))
    a = decide(r, SITE, Caller("1", "A"), "2001", MONDAY_10H, {})
    b = decide(r, SITE, Caller("1", "A"), "2001", MONDAY_10H, {})
    assert a == b


def test_tandems_ring_at_their_users_steps() -> None:
    """A boss's and a secretary's tandems (site.yaml) ring their secondary sets in the
    boss's and the secretary's steps; the plan packs them for the dialplan."""

    text = SITE_YAML + (
        "tandems:\n"
        '  - {main: "2001", secondaries: [{device: dect-2001}]}\n'
        '  - {main: "2002", secondaries: [{device: dect-2002}]}\n'
    )
    plan = decide(rules(one_filter()), site(text), Caller(OUTSIDE), "2001", MONDAY_10H, {})
    assert summary(plan) == [
        ("secretaries", ("desk-2002", "+2002_1"), 15, True),
        ("secretaries", ("desk-2003", "soft-2003"), 15, True),
        ("boss", (*BOSS, "+2001_1"), 20, False),
    ]
    packed = decode(encode(plan)["_AUTOCOM_BS_PLAN"])  # labels are not packed
    assert [s.devices for s in packed.steps] == [s.devices for s in plan.steps]


def test_a_vip_number_added_by_a_secretary_rings_the_boss_directly() -> None:
    r = rules(one_filter())
    assert decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {}).action == "filter"
    plan = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {}, None, (OUTSIDE,))
    assert plan.action == "direct" and plan.reason == f"VIP caller ({OUTSIDE}, added)"
    assert plan.trace[-1].endswith("added by a secretary, state store)")
    other = decide(r, SITE, "0387000000", "2001", MONDAY_10H, {}, None, (OUTSIDE,))
    assert other.action == "filter"  # only the number added
    off = decide(r, SITE, OUTSIDE, "2001", MONDAY_10H, {"2001": False}, None, (OUTSIDE,))
    assert off.reason == "the filter of 2001 is off"  # the filter's own reason first
