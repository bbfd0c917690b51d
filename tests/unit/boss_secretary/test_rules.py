"""filters.yaml: validation and site checks, each error with its file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.boss_secretary.checks import check_slots, check_toggle_code
from autocom.config import ConfigError
from tests.unit.boss_secretary.sample import SITE_YAML, one_filter, rules, site, write_rules


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        write_rules(tmp_path, text)
    return [str(i).replace(str(tmp_path) + "/", "") for i in err.value.issues]


def test_a_good_file_loads(tmp_path: Path) -> None:
    r = write_rules(tmp_path, one_filter(slots="[office_hours]", fallback='{destination: "2010"}'))
    (f,) = r.filters
    assert f.bosses[0].vip == ("0145678900", "_06XXXXXXXX", "2010")
    assert [m.extension for m in f.secretaries] == ["2002", "2003"]
    assert r.filter_of("2001") is f
    assert r.bosses() == ["2001"]


def test_an_empty_file_has_no_filter(tmp_path: Path) -> None:
    assert write_rules(tmp_path, "").filters == ()


SCHEMA_CASES = [
    (one_filter(mode="secretary_first"), "filters.yaml:5: filters.0.mode: mode 'secretary_first'"),
    (one_filter(fallback="voicemal"), "filters.yaml:8: filters.0.fallback: fallback 'voicemal'"),
    (one_filter(boss_ring_time="0"), "filters.yaml:6: filters.0.boss_ring_time"),
    (one_filter(bosses='[{extension: "2001", vip: ["06 12"]}]'), "VIP entry '06 12'"),
    (one_filter(caller_name='"[{boss}] {caller_name}"'), "unknown field {boss}"),
    (one_filter(caller_name='"{caller_name.__class__}"'), "unknown field"),
    (one_filter(secretaries='["2002", "2002"]'), "a secretary is listed twice"),
    (one_filter(secretaries='["2001"]'), "2001 is both boss and secretary"),
    (one_filter(secretaries="[]"), "filters.yaml:4: filters.0.secretaries"),
    (one_filter(colour="red"), "filters.yaml:8: filters.0: unknown key 'colour'"),
    (one_filter(name='"two words"'), "filter name 'two words'"),
]


@pytest.mark.parametrize(("text", "expected"), SCHEMA_CASES)
def test_schema_errors_name_the_line(tmp_path: Path, text: str, expected: str) -> None:
    found = errors(tmp_path, text)
    assert any(expected in e for e in found), found


SITE_CASES = [
    (one_filter(bosses='["2999"]'), "filters.yaml:3: boss 2999 is not a user of the site"),
    (one_filter(bosses='["2091"]'), "2091 is a hunt group; a boss must be a user"),
    (
        one_filter(secretaries='["2002", "2998"]'),
        "filters.yaml:4: secretary 2998 is neither a user nor a hunt group of the site",
    ),
    (one_filter(secretaries='["2020"]'), "filters.yaml:4: secretary 2020 has no device"),
    (
        one_filter(bosses='["2004"]'),
        "filters.yaml:2: fallback voicemail: boss 2004 has no voicemail box",
    ),
    (
        one_filter(fallback='{destination: "2001"}'),
        "fallback destination 2001 is a boss of this filter: a loop",
    ),
    (
        one_filter(fallback='{destination: "2010", context: nowhere}'),
        "context 'nowhere' is not a context of the site",
    ),
]


@pytest.mark.parametrize(("text", "expected"), SITE_CASES)
def test_site_errors_name_the_line(tmp_path: Path, text: str, expected: str) -> None:
    found = errors(tmp_path, text)
    assert any(expected in e for e in found), found


def test_a_boss_in_two_filters_is_refused(tmp_path: Path) -> None:
    text = one_filter() + (
        "  - name: other\n    bosses: ['2001']\n    secretaries: ['2004']\n    fallback: hangup\n"
    )
    found = errors(tmp_path, text)
    assert any(
        e.startswith("filters.yaml:") and "boss 2001 is already a boss in filter 'direction'" in e
        for e in found
    ), found


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    found = errors(tmp_path, one_filter(bosses='["2999"]', secretaries='["2998"]'))
    assert len(found) == 2


def test_unknown_slot_names_are_reported_with_what_exists() -> None:
    r = rules(one_filter(slots="[office_hours, nights]"))
    issues = check_slots(r, {"office_hours", "night"})
    assert [str(i) for i in issues] == [
        "filters.yaml:8: filter 'direction': no time slot is called 'nights' "
        "(use one of night, office_hours from the time_rules file)"
    ]
    assert check_slots(r, {"office_hours", "nights"}) == []
    missing = check_slots(r, None)
    assert len(missing) == 2 and "no time_rules feature is loaded" in missing[0].message


def test_the_toggle_code_must_not_hide_an_extension() -> None:
    r = rules(one_filter())
    assert check_toggle_code(r, site()) == []
    clash = SITE_YAML.replace('extension: "2010"', 'extension: "*3755"')
    issues = check_toggle_code(r, site(clash))
    assert len(issues) == 1
    assert issues[0].file == "site.yaml"
    assert "hides user *3755 Laurent Max" in issues[0].message
