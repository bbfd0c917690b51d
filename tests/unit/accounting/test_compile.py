"""SiteFacts from the example config: users, devices, trunks, the rights domain."""

from __future__ import annotations

from pathlib import Path

from apps import features
from apps.accounting.compile import site_facts
from apps.accounting.rules import AccountingRules
from autocom.loader import load_config

EXAMPLES = Path(__file__).parents[3] / "examples"


def test_site_facts_of_the_examples() -> None:
    config = load_config(EXAMPLES / "autocom.yaml", features())
    facts = site_facts(config, AccountingRules(asterisk_timezone="UTC"))
    assert facts.users["2001"].department == "Scolarité"
    assert facts.devices["martin-soft"] == "2001"
    assert "trunk-orange" in facts.trunks
    assert str(facts.zone) == "UTC"
    assert facts.category is not None and facts.rights_class is not None
    assert facts.category("0389123456") == "national"
    assert facts.category("0612345678") == "mobile"
    assert (facts.rights_class("2002"), facts.rights_class("5001")) == ("staff", "lobby")
