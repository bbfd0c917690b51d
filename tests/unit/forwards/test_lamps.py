"""Forward lamps: what each BLF lamp of the site should show, from the stored state."""

from __future__ import annotations

from apps.forwards import engine
from apps.forwards.engine import Forward, ForwardState, SetDecision
from autocom.site.model import Site

SITE = Site.model_validate(
    {
        "contexts": [{"name": "staff", "users": ["2001-2099"]}],
        "users": [
            {"extension": ext, "name": f"User{ext}", "context": "staff", "devices": [f"d{ext}"]}
            for ext in ("2001", "2002")
        ],
    }
)


def test_lamp_states_names_the_three_hinted_devices() -> None:
    lamps = engine.current_lamps({"noanswer": Forward("2002")})
    assert engine.lamp_states("2001", lamps) == {
        "Custom:autocom-fwd-unc-2001": "NOT_INUSE",
        "Custom:autocom-fwd-rna-2001": "INUSE",
        "Custom:autocom-fwd-busy-2001": "NOT_INUSE",
    }


def test_a_forward_turned_off_keeps_its_destination_but_not_its_lamp() -> None:
    assert engine.current_lamps({"unconditional": Forward("2002", False)}) == {
        "unconditional": False,
        "noanswer": False,
        "busy": False,
    }


def test_every_user_of_the_site_gets_lamps_and_unknown_users_none() -> None:
    stored: dict[str, ForwardState] = {
        "2002": {"busy": Forward("0612345678")},
        "9999": {"busy": Forward("2001")},
    }
    wanted = engine.wanted_lamps(SITE, stored)
    # a user with nothing stored (cleared by the CLI: no key left) gets three lamps off
    assert [d for d, s in wanted.items() if s == "INUSE"] == ["Custom:autocom-fwd-busy-2002"]
    assert len(wanted) == 6
    assert not any("9999" in d for d in wanted)


def test_a_decision_gives_the_lamps_after_the_change() -> None:
    before: ForwardState = {"unconditional": Forward("2002"), "busy": Forward("2002")}
    decision = SetDecision("disabled", {"busy": Forward("2002", False)})
    assert decision.lamps(before) == {"unconditional": True, "noanswer": False, "busy": False}
