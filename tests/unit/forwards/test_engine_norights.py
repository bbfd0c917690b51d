"""Forward engine: codes, state changes, loops and chains (no rights consulted)."""

from __future__ import annotations

import pytest

from apps.forwards import engine
from apps.forwards.engine import CodeRequest, Forward, ForwardState
from apps.forwards.rules import ForwardCodes, ForwardsRules, forward_type
from autocom.rights.access import RightsView
from autocom.site.model import Site

SITE = Site.model_validate(
    {
        "contexts": [{"name": "staff", "users": ["2001-2099"]}],
        "users": [
            {"extension": ext, "name": f"User{ext}", "context": "staff", "devices": [f"d{ext}"]}
            for ext in ("2001", "2002", "2003", "2004", "2005", "2006", "2007")
        ],
    }
)
RULES = ForwardsRules()


def rights_not_consulted(user: str, number: str) -> RightsView:
    raise AssertionError(f"rights consulted for {user} -> {number}")


@pytest.mark.parametrize(
    ("dialed", "expected"),
    [
        ("*210612345678", CodeRequest("set", "unconditional", "0612345678")),
        ("*222002", CodeRequest("set", "noanswer", "2002")),
        ("*232002", CodeRequest("set", "busy", "2002")),
        ("*21", CodeRequest("toggle", "unconditional")),
        ("*22", CodeRequest("toggle", "noanswer")),
        ("*23", CodeRequest("toggle", "busy")),
        ("*20", CodeRequest("cancel_all")),
        ("*2", None),
        ("2001", None),
        ("*24123", None),
    ],
)
def test_parse_code(dialed: str, expected: CodeRequest | None) -> None:
    assert engine.parse_code(RULES, dialed) == expected


def test_codes_that_prefix_each_other_are_refused() -> None:
    with pytest.raises(ValueError, match="start of the other"):
        ForwardCodes(unconditional="*2", no_answer="*22")


@pytest.mark.parametrize(
    ("text", "ftype"),
    [
        ("unconditional", "unconditional"),
        ("RNA", "noanswer"),
        ("no-answer", "noanswer"),
        ("busy", "busy"),
        ("unc", "unconditional"),
    ],
)
def test_forward_type_aliases(text: str, ftype: str) -> None:
    assert forward_type(text) == ftype


def test_forward_type_unknown() -> None:
    with pytest.raises(ValueError, match="unconditional, noanswer or busy"):
        forward_type("sometimes")


def test_unknown_user_refused() -> None:
    d = engine.decide_set(
        RULES, SITE, "9999", CodeRequest("set", "unconditional", "2002"), {}, rights_not_consulted
    )
    assert d.outcome == "refused" and not d.changes and "not a user" in d.reason
    assert d.prompts == engine.PROMPT_REFUSED


def test_cancel_all_turns_off_and_keeps_destinations() -> None:
    state: ForwardState = {
        "unconditional": Forward("2002", True),
        "busy": Forward("0612345678", True),
        "noanswer": Forward("2003", False),
    }
    d = engine.decide_set(
        RULES, SITE, "2001", CodeRequest("cancel_all"), state, rights_not_consulted
    )
    assert d.outcome == "cancelled"
    assert d.changes == {
        "unconditional": Forward("2002", False),
        "busy": Forward("0612345678", False),
    }
    assert d.lamps(state) == {"unconditional": False, "noanswer": False, "busy": False}


def test_toggle_turns_off_an_active_forward() -> None:
    state: ForwardState = {
        "unconditional": Forward("0612345678", True),
        "busy": Forward("2003", True),
    }
    d = engine.decide_set(
        RULES, SITE, "2001", CodeRequest("toggle", "unconditional"), state, rights_not_consulted
    )
    assert d.outcome == "disabled"
    assert d.changes == {"unconditional": Forward("0612345678", False)}
    assert d.prompts == ("call-fwd-unconditional", "de-activated")
    assert engine.lamps_value(d.lamps(state)) == "NOT_INUSE,NOT_INUSE,INUSE"


def test_toggle_without_previous_destination_is_refused() -> None:
    d = engine.decide_set(
        RULES, SITE, "2001", CodeRequest("toggle", "busy"), {}, rights_not_consulted
    )
    assert d.outcome == "refused" and "no previous busy destination" in d.reason


@pytest.mark.parametrize("dest", ["", "12a4", "1" * 21, "*2002"])
def test_destination_must_be_digits(dest: str) -> None:
    d = engine.decide_set(
        RULES, SITE, "2001", CodeRequest("set", "unconditional", dest), {}, rights_not_consulted
    )
    assert d.outcome == "refused" and "is not a number" in d.reason


def test_forward_to_self_refused() -> None:
    d = engine.decide_set(
        RULES, SITE, "2001", CodeRequest("set", "busy", "2001"), {}, rights_not_consulted
    )
    assert d.outcome == "refused" and "itself" in d.reason


def test_ring_without_forward_rings_the_user() -> None:
    d = engine.decide_ring(RULES, SITE, "2001", "unconditional", {}, (), rights_not_consulted)
    assert d.action == "ring" and d.value == ""


def test_ring_with_disabled_forward_rings_the_user() -> None:
    state: ForwardState = {"unconditional": Forward("2002", False)}
    d = engine.decide_ring(RULES, SITE, "2001", "unconditional", state, (), rights_not_consulted)
    assert d.action == "ring"


def test_ring_phase_reads_only_its_own_type() -> None:
    state: ForwardState = {"busy": Forward("2002", True)}
    d = engine.decide_ring(RULES, SITE, "2001", "noanswer", state, (), rights_not_consulted)
    assert d.action == "ring" and "no noanswer forward" in d.reason


def test_loop_a_b_a_stops_at_b() -> None:
    # 2001 forwarded to 2002, which forwards back to 2001: ring 2002.
    state: ForwardState = {"unconditional": Forward("2001", True)}
    d = engine.decide_ring(
        RULES, SITE, "2002", "unconditional", state, ("2001",), rights_not_consulted
    )
    assert d.action == "ring"
    assert "loop: 2001 -> 2002 -> 2001" in d.reason


def test_longer_loop_detected() -> None:
    state: ForwardState = {"busy": Forward("2002", True)}
    d = engine.decide_ring(
        RULES, SITE, "2004", "busy", state, ("2001", "2002", "2003"), rights_not_consulted
    )
    assert d.action == "ring" and "loop" in d.reason


def test_chain_longer_than_max_stops() -> None:
    rules = ForwardsRules(max_chain=3)
    state: ForwardState = {"unconditional": Forward("2005", True)}
    d = engine.decide_ring(
        rules,
        SITE,
        "2004",
        "unconditional",
        state,
        ("2001", "2002", "2003"),
        rights_not_consulted,
    )
    assert d.action == "ring" and "longer than 3" in d.reason


def test_phone_forward_without_target_rings() -> None:
    d = engine.decide_ring(RULES, SITE, "2001", "phone", {}, (), rights_not_consulted)
    assert d.action == "ring"


@pytest.mark.parametrize(
    ("text", "chain"),
    [
        ("", ()),
        ("2001", ("2001",)),
        ("2001,2002", ("2001", "2002")),
        ("2001&2002", ("2001", "2002")),
        ("2001,x${A},", ("2001",)),
    ],
)
def test_parse_chain(text: str, chain: tuple[str, ...]) -> None:
    assert engine.parse_chain(text) == chain


def test_lamp_device_names() -> None:
    assert engine.lamp_device("2001", "unconditional") == "Custom:autocom-fwd-unc-2001"
    assert engine.lamp_device("2001", "noanswer") == "Custom:autocom-fwd-rna-2001"
    assert engine.lamp_device("2001", "busy") == "Custom:autocom-fwd-busy-2001"


def test_dnd_codes_parse_and_render_exactly() -> None:
    from apps.forwards.engine import parse_dnd
    from apps.forwards.rules import ForwardsRules

    rules = ForwardsRules()
    assert (parse_dnd(rules, "*78"), parse_dnd(rules, "*79")) == (True, False)
    assert parse_dnd(rules, "*782001") is None and parse_dnd(rules, "*21") is None
    assert "exten => *78,1,Goto(autocom-forwards-code" in rules.site_dialplan()
