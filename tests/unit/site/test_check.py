from __future__ import annotations

import re
from pathlib import Path

from autocom.config.errors import ConfigIssue
from autocom.config.model import validate
from autocom.config.yaml_source import load_yaml
from autocom.site.check import check_site
from autocom.site.model import Site
from tests.unit.site.helpers import BASE, site_from

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "site.yaml"


def lines_named(issue: ConfigIssue) -> list[int]:
    """Every line number the issue names: its own and those in its message."""
    found = [int(n) for n in re.findall(r"site\.yaml:(\d+)", issue.message)]
    return ([issue.line] if issue.line is not None else []) + found


def add_user(line: str) -> str:
    """BASE with one more user (it lands on line 20)."""
    return BASE.replace("groups:\n", line + "\ngroups:\n")


def only(issues: list[ConfigIssue]) -> ConfigIssue:
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def test_base_and_example_sites_are_clean() -> None:
    assert check_site(site_from(BASE)) == []
    example = validate(Site, load_yaml(EXAMPLE))
    assert check_site(example) == []


def test_extension_used_twice_names_both_lines() -> None:
    site = site_from(add_user('  - {extension: "2001", name: Twin, context: compta}'))
    issue = only(check_site(site))
    assert "extension 2001 is used twice" in issue.message
    assert lines_named(issue) == [20, 16]


def test_group_and_user_on_one_extension() -> None:
    site = site_from(BASE + '  - {extension: "2002", name: G, context: compta}\n')
    issues = check_site(site)
    assert any("extension 2002 is used twice" in i.message for i in issues)


def test_user_outside_its_range() -> None:
    text = BASE.replace('{extension: "3001", name: Leroy', '{extension: "3095", name: Leroy')
    issue = only(check_site(site_from(text)))
    assert "user 3095 is outside the users range 3001-3090 of context rh" in issue.message
    assert lines_named(issue) == [19, 5]
    assert "3001-3090" in issue.hint


def test_group_outside_its_range() -> None:
    site = site_from(BASE + '  - {extension: "2050", name: G, context: compta}\n')
    issue = only(check_site(site))
    assert "group 2050 is outside the groups range 2091-2094" in issue.message


def test_context_without_ranges_accepts_any_extension() -> None:
    text = BASE.replace("{name: rh, users: 3001-3090, groups: 3091-3099,", "{name: rh,")
    assert check_site(site_from(text)) == []


def test_user_in_an_outgoing_context() -> None:
    site = site_from(BASE.replace("context: rh,", "context: sortie,"))
    issue = only(check_site(site))
    assert "user 3001 is in context sortie, which is outgoing" in issue.message


def test_overlapping_ranges_between_and_within_contexts() -> None:
    text = BASE.replace("{name: rh, users: 3001-3090", "{name: rh, users: 2080-2089")
    issues = check_site(site_from(text))
    overlap = [i for i in issues if "overlaps" in i.message]
    assert len(overlap) == 1
    assert "range 2080-2089 (users of context rh) overlaps range 2001-2090" in overlap[0].message
    assert lines_named(overlap[0]) == [5, 3]
    text = BASE.replace("groups: 2091-2094", "groups: 2090-2094")
    issue = only(check_site(site_from(text)))
    assert "overlaps" in issue.message and issue.line == 3


def test_unknown_include_and_cycles() -> None:
    issues = check_site(site_from(BASE.replace("include: [compta]}", "include: [comptab]}")))
    assert any("includes 'comptab', which is not declared" in i.message for i in issues)
    cyc = site_from(BASE.replace("include: [sortie]}", "include: [sortie, rh]}"))
    issue = only(check_site(cyc))
    assert "include cycle" in issue.message
    assert "compta -> rh -> compta" in issue.message or "rh -> compta -> rh" in issue.message
    assert len(lines_named(issue)) == 2


def test_self_include() -> None:
    issues = check_site(site_from(BASE.replace("include: [compta]}", "include: [rh]}")))
    assert any("includes itself" in i.message for i in issues)


def test_device_owned_by_two_users() -> None:
    text = BASE.replace("devices: [leroy-desk]", "devices: [leroy-desk, durand-desk]")
    issue = only(check_site(site_from(text)))
    assert "device durand-desk belongs to user 3001 and to user 2002" in issue.message
    assert lines_named(issue) == [19, 18]


def test_group_member_not_a_user() -> None:
    text = BASE.replace('members: ["2001", "2002"]', 'members: ["2001", "2003", "2001"]')
    issues = check_site(site_from(text))
    messages = [i.message for i in issues]
    assert "group 2091: member 2003 is not a user" in messages
    assert "group 2091: member 2001 is listed twice" in messages


def test_did_destination_unknown_and_duplicate() -> None:
    text = BASE.replace('destination: "2091"}', 'destination: "2099"}')
    issue = only(check_site(site_from(text)))
    assert "DID 0388000091: destination 2099 is no user or group" in issue.message
    assert lines_named(issue) == [14, 10]
    text = BASE.replace('"0388000091"', '"0388000001"')
    issue = only(check_site(site_from(text)))
    assert "DID 0388000001 is declared twice" in issue.message
    assert lines_named(issue) == [14, 13]


def test_did_with_an_explicit_context() -> None:
    text = BASE.replace(
        '{number: "0388000091", destination: "2091"}',
        '{number: "0388000091", destination: "2999", context: compta}',
    )
    assert check_site(site_from(text)) == []
    text = text.replace("context: compta}", "context: nowhere}")
    assert "context 'nowhere' is not declared" in only(check_site(site_from(text))).message


def test_extension_equal_to_an_emergency_number() -> None:
    text = add_user('  - {extension: "112", name: Oops, context: compta}').replace(
        "{name: compta, users: 2001-2090", "{name: compta, users: [2001-2090, 112]"
    )
    issue = only(check_site(site_from(text)))
    assert "user 112 is the emergency number 112 of outgoing context sortie" in issue.message
    assert lines_named(issue) == [20, 6]


def test_extension_starting_with_the_line_prefix() -> None:
    text = add_user('  - {extension: "0612", name: Oops, context: compta}').replace(
        "{name: compta, users: 2001-2090", "{name: compta, users: [2001-2090, 0612]"
    )
    issue = only(check_site(site_from(text)))
    assert "starts with the line prefix '0'" in issue.message


def test_internal_context_that_cannot_call_emergency_numbers() -> None:
    text = BASE.replace("include: [compta]}", "include: []}")
    issue = only(check_site(site_from(text)))
    assert "context rh reaches no outgoing context" in issue.message
    assert lines_named(issue) == [5, 6]


def test_outgoing_without_trunks_and_bad_prefix() -> None:
    text = BASE.replace("trunks: [trunk-a, trunk-b]", "trunks: []").replace(
        'line_prefix: "0"', 'line_prefix: "0#"'
    )
    messages = [i.message for i in check_site(site_from(text))]
    assert "outgoing context sortie has no trunks" in messages
    assert "outgoing context sortie: line prefix '0#' is not digits" in messages
