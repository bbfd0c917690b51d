"""The decision: case tables over categories, classes, slots and assignments."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autocom.rights.decision import decide
from autocom.rights.rules import assignment_of

from .helpers import UTC, paris, rules, site
from .rules_text import RULES

SITE = site()
R = rules(RULES, SITE)

MON_10 = paris(2026, 11, 23, 10, 0)
TUE_23 = paris(2026, 11, 24, 23, 0)
SAT_12 = paris(2026, 11, 28, 12, 0)
SUN_12 = paris(2026, 11, 29, 12, 0)
JULY_14 = paris(2026, 7, 14, 10, 0)
EASTER_MONDAY = paris(2026, 4, 6, 10, 0)
CLOSURE = paris(2026, 12, 24, 10, 0)
MOBILE = "00612345678"
INTL = "00044123456789"


CASES = [
    # caller, dialed, when, verdict, category, class, slot
    ("2002", MOBILE, MON_10, "allow", "mobile", "staff", "working"),
    ("2002", MOBILE, JULY_14, "pin", "mobile", "staff", None),
    ("2002", MOBILE, EASTER_MONDAY, "pin", "mobile", "staff", None),
    ("2002", MOBILE, CLOSURE, "pin", "mobile", "staff", None),
    ("2002", MOBILE, SAT_12, "pin", "mobile", "staff", None),
    ("2002", INTL, MON_10, "allow", "international", "staff", "working"),
    ("2002", INTL, TUE_23, "deny", "international", "staff", "night"),
    ("2002", INTL, paris(2026, 11, 25, 6, 30), "deny", "international", "staff", "night"),
    ("2002", INTL, paris(2026, 11, 25, 7, 0), "pin", "international", "staff", None),
    ("2002", INTL, SUN_12, "pin", "international", "staff", None),
    ("2002", "00140000000", TUE_23, "allow", "national", "staff", None),
    ("2002", "00899123456", MON_10, "deny", "premium", "staff", None),  # class default
    ("2002", "00812345678", MON_10, "deny", "special", "staff", None),
    ("2002", "0123", MON_10, "deny", "other", "staff", None),
    ("2002", "2001", TUE_23, "allow", "internal", "staff", None),
    # emergency: always allowed, with or without the line prefix, even if a class denies
    ("2100", "112", TUE_23, "allow", "emergency", None, None),
    ("2100", "0112", TUE_23, "allow", "emergency", None, None),
    ("2100", "15", MON_10, "allow", "emergency", None, None),
    ("2100", "0116000", MON_10, "allow", "emergency", None, None),
    ("9999", "18", MON_10, "allow", "emergency", None, None),  # unknown caller
    # lobby (range 2100-2199): internal denied by its class
    ("2100", "2002", MON_10, "deny", "internal", "lobby", None),
    ("2100", MOBILE, MON_10, "deny", "mobile", "lobby", None),
    # overlapping assignments: narrower range (2150-2159) wins over the wider one
    ("2155", INTL, TUE_23, "allow", "international", "night_guard", "night"),
    ("2150", INTL, SAT_12, "allow", "international", "night_guard", "weekend"),
    ("2150", INTL, MON_10, "deny", "international", "night_guard", None),
    # night guard lists no default and no internal: internal allowed, others denied
    ("2150", "2002", MON_10, "allow", "internal", "night_guard", None),
    ("2150", MOBILE, paris(2026, 11, 23, 13, 0), "allow", "mobile", "night_guard",
     "lunch_or_evening"),
    ("2150", MOBILE, MON_10, "deny", "mobile", "night_guard", None),
    ("2150", "00140000000", MON_10, "deny", "national", "night_guard", None),
    # extension beats everything; group beats context
    ("2001", INTL, TUE_23, "allow", "international", "boss", None),
    ("2003", INTL, TUE_23, "allow", "international", "night_guard", "night"),
    # unknown caller, no context, no assign.default: internal only
    ("9999", MOBILE, MON_10, "deny", "mobile", None, None),
    ("9999", "2002", MON_10, "allow", "internal", None, None),
    # DST change nights (Europe/Paris): 03:30 CEST is night, 07:00 CEST is not
    # (both are Sundays: staff's international is pin outside the night)
    ("2002", INTL, datetime(2026, 3, 29, 4, 59, tzinfo=UTC), "deny", "international",
     "staff", "night"),  # 06:59 CEST
    ("2002", INTL, datetime(2026, 3, 29, 5, 0, tzinfo=UTC), "pin", "international",
     "staff", None),  # 07:00 CEST; 06:00 if the zone were ignored
    ("2002", INTL, datetime(2026, 10, 25, 5, 59, tzinfo=UTC), "deny", "international",
     "staff", "night"),  # 06:59 CET
    ("2002", INTL, datetime(2026, 10, 25, 6, 0, tzinfo=UTC), "pin", "international",
     "staff", None),  # 07:00 CET
]  # fmt: skip


@pytest.mark.parametrize(
    ("caller", "dialed", "when", "verdict", "category", "class_name", "slot"), CASES
)
def test_decide(
    caller: str,
    dialed: str,
    when: datetime,
    verdict: str,
    category: str,
    class_name: str | None,
    slot: str | None,
) -> None:
    d = decide(R, SITE, caller, dialed, when)
    assert (d.verdict, d.category, d.class_name, d.slot) == (verdict, category, class_name, slot)
    assert d.reason
    assert d.trace
    for line in d.trace:
        assert line.startswith(("rights.yaml", "built-in", "site.yaml", "no pattern")), line


def test_number_without_prefix() -> None:
    d = decide(R, SITE, "2002", MOBILE, MON_10)
    assert d.number == "0612345678" and d.dialed == MOBILE
    assert decide(R, SITE, "2002", "0612345678", MON_10).category == "other"


def test_trace_names_the_lines() -> None:
    d = decide(R, SITE, "2002", INTL, TUE_23)
    text = "\n".join(d.trace)
    assert "built-in French plan category international (00)" in text
    assert "rights.yaml:44 context staff -> class staff" in text
    assert "slot working not active" in text
    assert "rights.yaml:6 slot night active" in text
    assert "staff.international.night: deny" in text


def test_emergency_ignores_a_class_that_denies_it() -> None:
    d = decide(R, SITE, "2100", "112", MON_10)
    assert d.verdict == "allow" and d.reason == "emergency numbers are always allowed"


@pytest.mark.parametrize(
    ("dialed", "when", "verdict"),
    [
        (MOBILE, MON_10, "allow"),  # office hours
        (MOBILE, TUE_23, "deny"),
        ("00140000000", TUE_23, "allow"),
        (INTL, MON_10, "deny"),  # not listed under forward: deny
        ("2001", MON_10, "allow"),  # internal forwards are allowed
        ("0112", MON_10, "deny"),  # never forward to an emergency number
    ],
)
def test_forward_purpose(dialed: str, when: datetime, verdict: str) -> None:
    d = decide(R, SITE, "2002", dialed, when, purpose="forward")
    assert d.verdict == verdict, d
    assert d.purpose == "forward"


def test_forward_default_deny_for_class_without_forward_section() -> None:
    assert decide(R, SITE, "2001", MOBILE, MON_10, purpose="forward").verdict == "deny"


def test_context_argument_for_callers_not_in_the_site() -> None:
    d = decide(R, SITE, "2999", MOBILE, MON_10, context="staff")
    assert (d.class_name, d.verdict) == ("staff", "allow")
    d = decide(R, SITE, "2999", MOBILE, MON_10)
    assert d.class_name is None


def test_assignment_precedence() -> None:
    # 2101 is in range 2100-2199 (lobby), group 6000 (night_guard), department Security
    # (staff) and context staff: the range wins.
    a = assignment_of(R, SITE, "2101")
    assert a is not None and (a.class_name, a.selector) == ("lobby", "range 2100-2199")
    r = rules(RULES.replace('ranges: {"2100-2199": lobby, "2150-2159": night_guard}', ""))
    a = assignment_of(r, SITE, "2101")
    assert a is not None and a.selector == "group 6000 (securite)"
    r = rules(
        RULES.replace('ranges: {"2100-2199": lobby, "2150-2159": night_guard}', "").replace(
            'groups: {"6000": night_guard}', ""
        )
    )
    a = assignment_of(r, SITE, "2101")
    assert a is not None and (a.class_name, a.selector) == ("staff", "department Security")
    a = assignment_of(r, SITE, "2002")
    assert a is not None and a.selector == "context staff"


def test_log_record_is_flat_json() -> None:
    rec = decide(R, SITE, "2002", INTL, TUE_23).log_record()
    assert rec["caller"] == "2002" and rec["dialed"] == INTL
    assert rec["category"] == "international" and rec["class"] == "staff"
    assert rec["slot"] == "night" and rec["decision"] == "deny" and rec["reason"]


def test_no_prefix_site() -> None:
    r = rules('line_prefix: ""\nclasses: {c: {mobile: allow}}\nassign: {default: c}\n', SITE)
    assert decide(r, SITE, "2002", "0612345678", MON_10).verdict == "allow"
    assert decide(r, SITE, "2002", "2001", MON_10).category == "internal"
    assert decide(r, SITE, "2002", "112", MON_10).category == "emergency"


def test_line_prefix_from_site() -> None:
    r = rules("classes: {}\n", SITE)
    assert r.line_prefix == "0"


def test_replacing_a_builtin_category_and_plan_none() -> None:
    r = rules('categories:\n  mobile: ["_06XXXXXXXX"]\n')
    assert decide(r, SITE, "2002", "00712345678", MON_10).category == "other"
    r = rules('plan: none\ncategories:\n  emergency: ["_112"]\n  all: ["_X."]\n')
    assert decide(r, SITE, "2002", "015", MON_10).category == "all"
    assert decide(r, SITE, "2002", "0112", MON_10).category == "emergency"


@given(st.text("0123456789*#a\u0662", max_size=6))
def test_site_numbers_by_length_are_the_ranges_members(dialed: str) -> None:
    """The ranges indexed by length answer what asking each range answers."""
    table = R.categories
    expected = dialed in table.internal_numbers or any(dialed in r for r in table.internal_ranges)
    assert table.site_number(dialed) == expected
    assert table.site_number("2999") and table.site_number("4050")
    assert not table.site_number("3000") and not table.site_number("02001")
