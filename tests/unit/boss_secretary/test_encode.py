"""The plan packed into channel variables for the dialplan."""

from __future__ import annotations

import pytest

from apps.boss_secretary.encode import EncodeError, decode, encode
from apps.boss_secretary.engine import Caller, FallbackPlan, FilterPlan, decide
from tests.unit.boss_secretary.sample import MONDAY_10H, one_filter, rules, site

SITE = site()


def plan_for(**fields: str) -> FilterPlan:
    return decide(rules(one_filter(**fields)), SITE, Caller("0387", "Jean"), "2001", MONDAY_10H, {})


def test_direct_is_one_short_variable() -> None:
    plan = decide(rules(one_filter()), SITE, "2002", "2001", MONDAY_10H, {})
    assert encode(plan) == {"_AUTOCOM_BS_PLAN": "direct"}


def test_filtered_plan_fields() -> None:
    out = encode(plan_for())
    assert out == {
        "_AUTOCOM_BS_PLAN": "filter|3|voicemail:2001"
        "|15:1:desk-2002|15:1:desk-2003&soft-2003|20:0:desk-2001&soft-2001",
        "_AUTOCOM_BS_CNAME": "[DUPONT] Jean",
    }


def test_linear_group_inside_a_step_points_at_extra_fields() -> None:
    out = encode(plan_for(secretaries='["2002", "2092"]', mode="secretaries_first_simultaneous"))
    fields = out["_AUTOCOM_BS_PLAN"].split("|")
    assert fields[:5] == [
        "filter",
        "2",
        "voicemail:2001",
        "20:1:desk-2002&L6_2",
        "20:0:desk-2001&soft-2001",
    ]
    # fields 6 and 7 (1-based, as CUT counts) are the group's rings, in order
    assert fields[5:] == ["10:0:desk-2006", "10:0:desk-2007"]


@pytest.mark.parametrize(
    "mode",
    [
        "boss_first_serial",
        "boss_first_simultaneous",
        "secretaries_first_serial",
        "secretaries_first_simultaneous",
        "all_at_once",
    ],
)
@pytest.mark.parametrize("secretaries", ['["2002", "2003"]', '["2091"]', '["2092", "2003"]'])
def test_decode_gives_back_what_rings(mode: str, secretaries: str) -> None:
    plan = plan_for(mode=mode, secretaries=secretaries)
    back = decode(encode(plan)["_AUTOCOM_BS_PLAN"])
    assert back.fallback == plan.fallback
    assert [(s.ring_time, s.show_filtered) for s in back.steps] == [
        (s.ring_time, s.show_filtered) for s in plan.steps
    ]
    assert [sorted(s.devices) for s in back.steps] == [sorted(s.devices) for s in plan.steps]
    for b, p in zip(back.steps, plan.steps, strict=True):
        assert sorted(len(leg.rings) for leg in b.legs if len(leg.rings) > 1) == sorted(
            len(leg.rings) for leg in p.legs if len(leg.rings) > 1
        )


def test_fallbacks_are_packed() -> None:
    dest = encode(plan_for(fallback='{destination: "2010"}'))["_AUTOCOM_BS_PLAN"]
    assert dest.split("|")[2] == "destination:2010@direction"
    assert encode(plan_for(fallback="hangup"))["_AUTOCOM_BS_PLAN"].split("|")[2] == "hangup:"


def test_the_caller_name_is_never_packed_with_the_steps() -> None:
    plan = decide(rules(one_filter()), SITE, Caller("1", "a|b:c&d${X}"), "2001", MONDAY_10H, {})
    out = encode(plan)
    assert "a|b" not in out["_AUTOCOM_BS_PLAN"]
    assert out["_AUTOCOM_BS_CNAME"] == "[DUPONT] a|b:c&d${X}"


def test_a_value_that_would_break_the_format_is_refused() -> None:
    plan = plan_for()
    bad = FilterPlan(
        "filter", "2001", "", (), steps=plan.steps, fallback=FallbackPlan("voicemail", "20|01")
    )
    with pytest.raises(EncodeError):
        encode(bad)
