"""Speed-dial engine: parsing codes, resolving through the caller's rights, check()."""

from __future__ import annotations

from datetime import datetime

import pytest

from apps.speed_dial import checks, engine
from apps.speed_dial.engine import PersonalEntry, Request
from apps.speed_dial.numbering import classifier_of
from apps.speed_dial.rules import SpeedDialRules
from autocom.config import ConfigError, parse_yaml, validate
from tests.unit.forwards.rights_data import (
    DAY,
    NIGHT,
    RIGHTS_YAML,
    RULES,
    SITE,
    rights,
    site,
    time_rules,
)

TEXT = """\
collective:
  range: "8000-8999"
  entries:
    - code: "8001"
      number: "0388123456"
      label: "Pharmacie"
    - code: "8002"
      number: "0044123456789"
      label: "Partner London"
    - code: "8100"
      number: "0612345678"
      label: "PC securite"
      bypass_rights: true
    - code: "8200"
      number: "2003"
      label: "Accueil"
"""


def load(text: str = TEXT) -> SpeedDialRules:
    return validate(SpeedDialRules, parse_yaml(text, "speeddial.yaml"))


SD = load()


@pytest.mark.parametrize(
    ("dialed", "request_"),
    [
        ("8001", Request("collective", code="8001")),
        ("8999", Request("collective", code="8999")),
        ("**07", Request("dial", slot="07")),
        ("*55070612345678", Request("store", slot="07", number="0612345678")),
        ("*5507", Request("store", slot="07", number="")),
        ("*5699", Request("delete", slot="99")),
        ("*5700", Request("hear", slot="00")),
        ("**7", None),
        ("**071", None),
        ("*56071", None),
        ("9000", None),
        ("800", None),
    ],
)
def test_parse(dialed: str, request_: Request | None) -> None:
    assert engine.parse(SD, dialed) == request_


def test_prefix_range() -> None:
    sd = load('collective:\n  prefix: "*8"\n  entries:\n    - {code: "*81", number: "2003"}\n')
    assert engine.parse(sd, "*81") == Request("collective", code="*81")
    assert engine.parse(sd, "*8123") == Request("collective", code="*8123")
    assert engine.parse(sd, "*8x") is None


def resolve(
    user: str, dialed: str, when: datetime = DAY, personal: engine.PersonalState | None = None
) -> engine.Resolution:
    req = engine.parse(SD, dialed)
    assert req is not None
    return engine.resolve(SD, SITE, user, req, personal or {}, rights(when, "call"))


def test_collective_national_for_staff() -> None:
    r = resolve("2002", "8001")
    assert (r.outcome, r.value, r.label, r.bypass) == (
        "dial",
        "trunk:0388123456:trunk-a&trunk-b",
        "Pharmacie",
        False,
    )


def test_collective_goes_through_the_callers_rights() -> None:
    # staff abroad: allowed in the day, PIN at night; restricted: denied
    assert resolve("2002", "8002").value == "trunk:0044123456789:trunk-a&trunk-b"
    night = resolve("2002", "8002", NIGHT)
    assert night.outcome == "pin" and night.value == "pin:0044123456789"
    assert night.label == "Partner London"
    lab = resolve("2051", "8002", NIGHT)
    assert lab.outcome == "refused" and lab.value == "refused"
    assert "denied for 2051" in lab.reason


def test_bypass_rights_is_explicit_and_logged() -> None:
    r = resolve("2051", "8100", NIGHT)  # restricted may not call mobiles
    assert r.outcome == "dial" and r.bypass and r.value == "trunk:0612345678:trunk-a&trunk-b"
    assert "bypass_rights at speeddial.yaml:" in r.reason and "(deny) not applied" in r.reason
    assert r.trace[0].endswith("bypass_rights: true")


def test_collective_internal() -> None:
    assert resolve("2051", "8200", NIGHT).value == "internal:2003"


def test_code_in_range_without_entry_refused() -> None:
    r = resolve("2002", "8555")
    assert r.outcome == "refused" and "no collective speed dial 8555" in r.reason


def test_personal_store_dial_hear_delete() -> None:
    stored = resolve("2002", "*55070612345678")
    assert stored.outcome == "stored" and stored.value == "stored"
    assert stored.changes == {"07": PersonalEntry("0612345678")}
    personal = {"07": PersonalEntry("0612345678")}
    assert resolve("2002", "**07", personal=personal).value == "trunk:0612345678:trunk-a&trunk-b"
    said = resolve("2002", "*5707", personal=personal)
    assert said.value == "say:0612345678"
    assert resolve("2002", "*5708", personal=personal).value == "empty"
    deleted = resolve("2002", "*5607", personal=personal)
    assert deleted.value == "deleted" and deleted.changes == {"07": None}


def test_personal_dial_goes_through_rights() -> None:
    personal = {"03": PersonalEntry("0388123456", "Maison")}
    night = resolve("2051", "**03", NIGHT, personal)
    assert night.outcome == "refused"
    day = resolve("2051", "**03", DAY, personal)
    assert day.value == "trunk:0388123456:trunk-a&trunk-b" and day.label == "Maison"


def test_personal_store_refuses_unclassifiable_and_empty() -> None:
    assert resolve("2002", "*5501999").outcome == "refused"
    assert resolve("2002", "*5501").outcome == "refused"


def test_personal_empty_slot_refused() -> None:
    assert resolve("2002", "**42").outcome == "refused"


def test_personal_needs_a_site_user() -> None:
    assert resolve("9999", "**42").outcome == "refused"


def issues(text: str) -> list[str]:
    return [
        str(i) for i in checks.check_rules(load(text), SITE, classifier_of(RULES), "speeddial.yaml")
    ]


def test_check_accepts_the_example() -> None:
    assert issues(TEXT) == []


def test_check_refuses_duplicate_outside_shadow_unclassified() -> None:
    found = issues(
        """\
collective:
  range: "8000-8999"
  entries:
    - {code: "8001", number: "0388123456"}
    - {code: "8001", number: "0388123457"}
    - {code: "9001", number: "0388123456"}
    - {code: "8002", number: "999"}
"""
    )
    assert any(
        "speeddial.yaml:5: speed-dial code 8001 given twice (first at speeddial.yaml:4)" in i
        for i in found
    )
    assert any(
        "speeddial.yaml:6: speed-dial code 9001 is outside the range 8000-8999" in i for i in found
    )
    assert any(
        "speeddial.yaml:7: speed dial 8002: the numbering plan cannot classify 999" in i
        for i in found
    )
    assert len(found) == 3


def test_check_refuses_a_code_shadowing_an_extension() -> None:
    found = issues(
        'collective:\n  range: "2000-2999"\n  entries:\n    - {code: "2002", number: "2003"}\n'
    )
    assert any("range 2000-2999 overlaps the users range 2001-2049" in i for i in found)
    assert any("code 2002 shadows user 2002 Staff (site.yaml:" in i for i in found)
    assert not any("is outside" in i for i in found)


def test_check_refuses_a_code_hiding_an_emergency_number() -> None:
    found = issues(
        'collective:\n  range: "100-199"\n  entries:\n    - {code: "112", number: "2003"}\n'
    )
    assert any("code 112 shadows emergency number 112 of context out" in i for i in found), found


def test_check_prefix_and_personal_codes() -> None:
    found = issues(
        'collective:\n  prefix: "20"\npersonal:\n  dial: "200"\n  store: "*55"\n'
        '  delete: "*56"\n  hear: "*57"\n'
    )
    assert any("prefix '20' shadows user 2001" in i for i in found)
    assert any("personal speed-dial code '200' shadows user 2001" in i for i in found)
    assert any("personal code '200' and collective prefix '20' overlap" in i for i in found)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('collective:\n  entries:\n    - {code: "8001", number: "2003"}\n', "either range"),
        ('collective:\n  range: "8000-8999"\n  prefix: "*8"\n', "not both"),
        ('collective:\n  range: "8000-899"\n', "as many digits"),
        (
            'collective:\n  range: "8000-8999"\n  entries:\n'
            '    - {code: "8001", number: "06 12"}\n',
            "digits only",
        ),
        (
            'collective:\n  range: "8000-8999"\n  entries:\n    - {code: "8001", number: "2003", '
            'label: "a\\"b"}\n',
            "quotes",
        ),
        ('personal:\n  store: "*5"\n  delete: "*56"\n', "start of the other"),
        (
            "collective:\n  range: 8000-8999\n  entries:\n    - {code: 8001, number: 2003, "
            "bypass: true}\n",
            "unknown key 'bypass'",
        ),
    ],
)
def test_model_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(text)
    assert any(message in str(i) and i.line is not None for i in err.value.issues), err.value


def test_trunks_of_the_callers_outgoing_context() -> None:
    assert engine.outgoing_trunks(SITE, "lab") == ("trunk-a", "trunk-b")
    assert engine.outgoing_trunks(SITE, "nowhere") == ()
    assert engine.outgoing_trunks(SITE, "out") == ("trunk-a", "trunk-b")  # itself outgoing


def test_trunks_follow_asterisks_include_order() -> None:
    # Asterisk searches includes depth first: desk -> mid -> far before desk -> near.
    the_site = site(
        """
contexts:
  - {name: desk, users: ["2001-2049"], include: [mid, near]}
  - {name: mid, include: [far]}
  - {name: far, kind: outgoing, trunks: [trunk-far]}
  - {name: near, kind: outgoing, trunks: [trunk-near]}
  - {name: bare, include: [empty, near]}
  - {name: empty, kind: outgoing}
"""
    )
    assert engine.outgoing_trunks(the_site, "desk") == ("trunk-far",)
    assert engine.outgoing_trunks(the_site, "bare") == ("trunk-near",)  # skips no trunks
    req = Request("collective", code="8001")
    r = engine.resolve(SD, SITE, "2002", req, {}, rights(DAY, "call"), context="nowhere")
    assert r.outcome == "refused" and "no outgoing context" in r.reason


def test_a_category_named_like_unknown_is_still_a_category() -> None:
    # only time_rules' own "other" means "no pattern knows the number"
    text = RIGHTS_YAML + 'categories:\n  unknown: ["_0899XXXXXX"]\n  none: ["_07XX"]\n'
    classify = classifier_of(time_rules(SITE, text))
    assert classify("0899123456") == "unknown"
    assert classify("0712") == "none"
    assert classify("0612345678") == "mobile"
    assert classify("99") is None
