"""Forward engine with the real time_rules engine: checks when set and when rung."""

from __future__ import annotations

from datetime import datetime

import pytest

from apps.forwards import engine
from apps.forwards.engine import CodeRequest, Forward, ForwardState
from apps.forwards.rules import ForwardsRules, ForwardType
from autocom.rights.access import rights_of
from tests.unit.forwards.rights_data import (
    DAY,
    NIGHT,
    RIGHTS_YAML,
    SITE,
    rights,
    site,
    time_rules,
)

RULES = ForwardsRules()


def set_fwd(
    user: str,
    dest: str,
    when: datetime = DAY,
    state: ForwardState | None = None,
    ftype: ForwardType = "unconditional",
) -> engine.SetDecision:
    return engine.decide_set(
        RULES, SITE, user, CodeRequest("set", ftype, dest), state or {}, rights(when)
    )


def test_set_internal_forward() -> None:
    d = set_fwd("2002", "2003")
    assert d.outcome == "set" and d.category == "internal"
    assert d.changes == {"unconditional": Forward("2003", True)}
    assert d.prompts == ("call-fwd-unconditional", "activated")
    assert engine.lamps_value(d.lamps({})) == "INUSE,NOT_INUSE,NOT_INUSE"


def test_set_mobile_in_the_day_for_staff() -> None:
    d = set_fwd("2002", "0612345678", ftype="noanswer")
    assert d.outcome == "set" and d.category == "mobile"
    assert any("staff.forward.mobile.day: allow" in t for t in d.trace)


def test_set_mobile_at_night_refused_nothing_stored() -> None:
    d = set_fwd("2002", "0612345678", when=NIGHT)
    assert d.outcome == "refused" and not d.changes
    assert "may not forward to mobile" in d.reason
    assert d.prompts == engine.PROMPT_REFUSED


def test_international_refused_for_restricted_user() -> None:
    d = set_fwd("2051", "0044123456789")
    assert d.outcome == "refused" and d.category == "international"


def test_national_refused_for_restricted_user_even_in_the_day() -> None:
    # the lab class may call national numbers in the day but not forward there
    d = set_fwd("2051", "0388123456")
    assert d.outcome == "refused" and d.category == "national"


def test_pin_verdict_refuses_a_forward() -> None:
    # direction may forward abroad in the day, with a PIN at night: a forward cannot ask
    assert set_fwd("2001", "0044123456789").outcome == "set"
    d = set_fwd("2001", "0044123456789", when=NIGHT)
    assert d.outcome == "refused" and "PIN" in d.reason


def test_emergency_destination_refused() -> None:
    d = set_fwd("2002", "112")
    assert d.outcome == "refused" and d.category == "emergency"


def test_unclassified_destination_refused() -> None:
    d = set_fwd("2002", "999")
    assert d.outcome == "refused" and "does not know" in d.reason


def test_toggle_on_rechecks_the_last_destination() -> None:
    state: ForwardState = {"unconditional": Forward("0612345678", False)}
    req = CodeRequest("toggle", "unconditional")
    on = engine.decide_set(RULES, SITE, "2002", req, state, rights(DAY))
    assert on.outcome == "enabled"
    assert on.changes == {"unconditional": Forward("0612345678", True)}
    night = engine.decide_set(RULES, SITE, "2002", req, state, rights(NIGHT))
    assert night.outcome == "refused"


def ring(
    user: str,
    phase: engine.Phase,
    state: ForwardState,
    chain: tuple[str, ...] = (),
    when: datetime = DAY,
    target: str = "",
) -> engine.RingDecision:
    return engine.decide_ring(
        RULES, SITE, user, phase, state, chain, rights(when), phone_target=target
    )


def test_ring_follows_internal_forward() -> None:
    d = ring("2002", "unconditional", {"unconditional": Forward("2003")})
    assert (d.action, d.route, d.target, d.value) == ("follow", "internal", "2003", "internal:2003")


def test_mobile_forward_rings_in_the_day_and_falls_back_at_night() -> None:
    state: ForwardState = {"unconditional": Forward("0612345678")}
    day = ring("2002", "unconditional", state)
    assert day.value == "external:0612345678"
    night = ring("2002", "unconditional", state, when=NIGHT)
    assert night.action == "ring" and night.value == ""
    assert night.reason.startswith("forward denied at ring time")
    assert any("not active" in t for t in night.trace)


def test_noanswer_and_busy_phases() -> None:
    state: ForwardState = {"noanswer": Forward("2003"), "busy": Forward("0388123456")}
    assert ring("2002", "noanswer", state).value == "internal:2003"
    assert ring("2002", "busy", state).value == "external:0388123456"
    assert ring("2002", "unconditional", state).action == "ring"


def test_forward_checked_with_the_forwarding_users_rights() -> None:
    # 2051 (restricted) forwarding to a national number: denied whoever calls
    state: ForwardState = {"unconditional": Forward("0388123456")}
    assert ring("2051", "unconditional", state).action == "ring"
    # in a chain 2002 -> 2051 -> national, 2051's rights decide the second hop
    assert ring("2051", "unconditional", state, chain=("2002",)).action == "ring"


@pytest.mark.parametrize(
    ("user", "target", "when", "value"),
    [
        ("2002", "0612345678", DAY, "external:0612345678"),
        ("2002", "0612345678", NIGHT, ""),
        ("2051", "0044123456789", DAY, ""),
        ("2001", "0044123456789", DAY, "external:0044123456789"),
        ("2002", "2003", NIGHT, "internal:2003"),
        ("2002", "112", DAY, ""),
    ],
)
def test_phone_side_forward(user: str, target: str, when: datetime, value: str) -> None:
    assert ring(user, "phone", {}, when=when, target=target).value == value


def test_phone_forward_loop_back_to_a_user_in_the_chain() -> None:
    d = ring("2003", "phone", {}, chain=("2002",), target="2002")
    assert d.action == "ring" and "loop" in d.reason


def test_line_prefix_number_goes_to_the_trunk_without_prefix() -> None:

    s = site()
    tr = time_rules(
        s, RIGHTS_YAML.replace("timezone: Europe/Paris", 'timezone: Europe/Paris\nline_prefix: "0"')
    )
    d = engine.decide_ring(
        RULES,
        s,
        "2002",
        "unconditional",
        {"unconditional": Forward("00612345678")},
        (),
        rights_of(tr, s, DAY, "forward"),
    )
    assert (d.route, d.target, d.destination) == ("external", "0612345678", "00612345678")
