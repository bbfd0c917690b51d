"""Malformed rule files: every error names file:line and what to write instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apps.time_rules import TimeRulesFeature
from autocom.config import ConfigError, load_yaml, validate
from autocom.rights.compile import load_rules
from autocom.site.model import Site

from .helpers import rules, site

BASE = """\
slots:
  day: {hours: "08:00-18:00"}
classes:
  staff:
    mobile: {day: allow, default: deny}
assign:
  default: staff
"""


def errors(text: str, the_site_text: str | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        rules(text, site(the_site_text) if the_site_text else None)
    return [str(i) for i in info.value.issues]


CASES = [
    # (rule file, expected "file:line: message" fragment)
    (
        BASE.replace("day: allow", "night: allow"),
        "rights.yaml:5: staff.mobile: no time slot is called 'night'",
    ),
    (
        BASE.replace("08:00-18:00", "8h-18h"),
        "rights.yaml:2: slots.day.hours: hours: '8h-18h': write HH:MM-HH:MM",
    ),
    (
        BASE.replace("08:00-18:00", "08:00-25:00"),
        "rights.yaml:2: slots.day.hours: hours: '08:00-25:00': 25:00 is not a time",
    ),
    (BASE.replace("08:00-18:00", "08:00-08:00"), "for the whole day write 00:00-24:00"),
    (
        BASE.replace("default: staff", "default: staf"),
        "rights.yaml:7: assign.default: no class is called 'staf'",
    ),
    (
        BASE.replace("day: allow", "day: alow"),
        "rights.yaml:5: classes.staff.mobile: day: 'alow' is not a verdict",
    ),
    (BASE.replace("mobile:", "mobil:"), "rights.yaml:5: class staff: 'mobil' is not a category"),
    (
        BASE + 'holidays: {country: FR, subdivision: "67"}\n',
        "rights.yaml:8: holidays: subdivision '67' is not known for FR",
    ),
    (BASE + "holidays: {country: XX}\n", "country 'XX' is not known"),
    (BASE + 'categories:\n  bad: ["_0Y"]\n', "rights.yaml:9: category bad: pattern '_0Y'"),
    (
        BASE + 'categories:\n  cheap: ["_0[1-3]XXXXXXXX"]\n  dear: ["_0[3-5]XXXXXXXX"]\n',
        "rights.yaml:10: patterns _0[1-3]XXXXXXXX (cheap, rights.yaml:9) and "
        "_0[3-5]XXXXXXXX (dear, rights.yaml:10) overlap",
    ),
    (
        BASE + 'categories:\n  geo: ["_0[1-5]XXXXXXXX"]\n',
        "(geo, rights.yaml:9) overlap with the same specificity",
    ),
    (BASE + "assign2: {}\n", "rights.yaml:8: unknown key 'assign2'"),
    (
        BASE.replace("day: {", "day: {weekday: mon, "),
        "rights.yaml:2: slots.day: unknown key 'weekday'",
    ),
    (BASE.replace("day: {", "day: {weekdays: mon-fry, "), "weekdays: 'mon-fry' is not a day"),
    (
        BASE.replace('day: {hours: "08:00-18:00"}', 'day: {dates: "2026-02-30"}'),
        "2026-02-30 is not a real date",
    ),
    (
        BASE.replace('day: {hours: "08:00-18:00"}', 'day: {dates: "2026-03-01..2026-02-01"}'),
        "the start is after the end",
    ),
    (
        BASE.replace('day: {hours: "08:00-18:00"}', "day: {all_of: [other]}\n  other: {not: day}"),
        "slots refer to each other in a loop",
    ),
    (
        BASE.replace('day: {hours: "08:00-18:00"}', "day: {any_of: [nope]}"),
        "rights.yaml:2: slot day: any_of: no slot is called 'nope'",
    ),
    (BASE.replace('day: {hours: "08:00-18:00"}', "day: {}"), "slot day: no condition"),
    (
        BASE.replace(
            'day: {hours: "08:00-18:00"}',
            "day: {hours: '08:00-18:00'}\n  default: {hours: '08:00-09:00'}",
        ),
        "'default' cannot name a slot",
    ),
    (
        BASE + 'pins:\n  "2001": "1234"\n',
        "rights.yaml:9: pins.2001: not a PIN hash; never write the PIN itself",
    ),
    (BASE + "assign2:\n", "rights.yaml:8: unknown key 'assign2'"),
    (
        BASE.replace(
            "  default: staff",
            '  ranges: {"2100-2199": staff, "2150-2249": staff2}\n  default: staff',
        ).replace("classes:\n", "classes:\n  staff2: {}\n"),
        "ranges 2100-2199 and 2150-2249 overlap, are as wide",
    ),
    (
        BASE.replace("  default: staff", '  ranges: {"2100-21": staff}'),
        "both ends must have as many digits",
    ),
    (
        BASE.replace("  default: staff", '  groups: {"6099": staff}'),
        "assign.groups: no group '6099' in the site",
    ),
    (
        BASE.replace("  default: staff", "  contexts: {nowhere: staff}"),
        "assign.contexts: no context 'nowhere'",
    ),
    (
        BASE.replace("  default: staff", '  groups: {"6000": staff, "6001": staff2}').replace(
            "classes:\n", "classes:\n  staff2: {}\n"
        ),
        "extension 2003 is in groups that give different classes",
    ),
    (BASE + "timezone: Europe/Pariss\n", "unknown time zone 'Europe/Pariss'"),
    (BASE + 'line_prefix: "0a"\n', "line_prefix '0a'"),
    (BASE + "plan: none\n", "no emergency numbers"),
    (BASE + 'categories:\n  other: ["_9X"]\n', "'other' cannot name a category"),
    ("slots: [a, b]\n", "rights.yaml:1: slots: expected a mapping"),
    (
        'slots:\n  a: {hours: "08:00-09:00"}\n  a: {hours: "09:00-10:00"}\n',
        "rights.yaml:3: key 'a' given twice",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_error(text: str, expected: str) -> None:
    found = errors(text)
    hits = [e for e in found if expected in e]
    assert hits, found
    # and it names the line to fix, even where the case lists only the message
    assert all(re.match(r"rights\.yaml:\d+: ", e) for e in hits), hits


def test_alsace_moselle_hint() -> None:
    found = errors(BASE + 'holidays: {country: FR, subdivision: "68"}\n')
    assert any("6AE" in e and "57" in e and e.startswith("rights.yaml:8") for e in found), found


def test_emergency_extension_in_site() -> None:
    text = """
contexts: [{name: staff, users: ["100-199"]}]
users: [{extension: "112", name: Oops, context: staff}]
"""
    found = errors(BASE, text)
    assert any("site number 112 is an emergency number" in e for e in found), found


def test_outgoing_contexts_disagree() -> None:
    text = """
contexts:
  - {name: a, kind: outgoing, line_prefix: "0"}
  - {name: b, kind: outgoing, line_prefix: "9"}
"""
    found = errors(BASE, text)
    assert any("different line prefixes" in e and "line_prefix" in e for e in found), found


def test_all_errors_at_once() -> None:
    text = BASE.replace("day: allow", "night: allow").replace("default: staff", "default: x")
    assert len(errors(text)) == 2


def test_errors_from_a_file_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rights.yaml"
    path.write_text(BASE.replace("day: allow", "night: alow"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(path, site())
    assert str(info.value).startswith(f"{path}:5: ")


def test_no_file_gives_the_french_plan() -> None:
    r = load_rules(None, site())
    assert r.classes == {} and "mobile" in r.categories.names
    assert r.line_prefix == "0"


def test_example_file_loads_with_the_example_site() -> None:
    examples = Path(__file__).resolve().parents[3] / "examples"
    the_site = validate(Site, load_yaml(examples / "site.yaml"))
    r = TimeRulesFeature().load_rules(examples / "rights.yaml", the_site)
    assert {"staff", "lab", "lobby", "security", "direction"} <= set(r.classes)
    assert r.by_extension["2101"].class_name == "direction"
    assert r.by_extension["2002"].class_name == "staff"
    assert r.by_extension["5001"].class_name == "lobby"
