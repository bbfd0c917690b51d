"""Hunt group overflow: the model, `autocom check`, and the rendered Gosub."""

from __future__ import annotations

import pytest

from autocom.config.errors import ConfigError
from autocom.site.check import check_site
from autocom.site.dialplan import render_dialplan, user_dial
from autocom.site.model import Site
from tests.unit.site.helpers import BASE, site_from
from tests.unit.site.test_check import lines_named, only

GROUP = '{extension: "2091", name: Accueil, context: compta, members: ["2001", "2002"]}'


def with_groups(*groups: str) -> str:
    """BASE with its group replaced by ``groups`` (the first lands on line 21)."""
    return BASE.replace(f"  - {GROUP}\n", "".join(f"  - {g}\n" for g in groups))


def group(ext: str, overflow: str = "", members: str = '["2001", "2002"]') -> str:
    extra = f", overflow: {overflow}" if overflow else ""
    return f'{{extension: "{ext}", name: G{ext}, context: compta, members: {members}{extra}}}'


def gosub_of(site: Site, ext: str) -> str:
    prefix = f"exten => {ext},1,Gosub(autocom-group,s,1("
    lines = [line for line in render_dialplan(site).splitlines() if line.startswith(prefix)]
    assert len(lines) == 1
    return lines[0].removeprefix(prefix).removesuffix("))")


def test_each_kind_is_rendered_with_its_context() -> None:
    site = site_from(
        with_groups(
            group("2091", '{extension: "3001"}'),
            group("2092", '{number: "00612345678"}'),
            group("2093", '{voicemail: "2093"}'),
            group("2094", '{voicemail: "2093@compta"}'),
        )
    )
    assert check_site(site) == []
    u1, u2 = site.user("2001"), site.user("2002")
    assert u1 is not None and u2 is not None
    ringall = f"{user_dial(u1)}&{user_dial(u2)}"
    # the extension rings in its own context (rh), the number in the outgoing one
    assert gosub_of(site, "2091") == f"2091,compta,20,extension,3001,rh,{ringall}"
    assert gosub_of(site, "2092") == f"2092,compta,20,number,00612345678,sortie,{ringall}"
    assert gosub_of(site, "2093") == f"2093,compta,20,voicemail,2093@default,,{ringall}"
    assert gosub_of(site, "2094") == f"2094,compta,20,voicemail,2093@compta,,{ringall}"
    assert "; overflow number 00612345678: number,00612345678,sortie (site.yaml:22)" in (
        render_dialplan(site)
    )


def test_no_overflow_renders_three_empty_arguments() -> None:
    site = site_from(BASE)
    u1, u2 = site.user("2001"), site.user("2002")
    assert u1 is not None and u2 is not None
    assert gosub_of(site, "2091") == f"2091,compta,20,,,,{user_dial(u1)}&{user_dial(u2)}"


def test_linear_group_without_members_keeps_its_overflow() -> None:
    site = site_from(with_groups(group("2091", '{extension: "2001"}', members="[]")))
    assert gosub_of(site, "2091") == "2091,compta,20,extension,2001,compta"


@pytest.mark.parametrize(
    ("overflow", "message"),
    [
        ("{}", "write exactly one of extension, number, voicemail"),
        ('{extension: "2001", voicemail: "2001"}', "(found extension, voicemail)"),
        ('"2001"', "write {extension: '2001'} (a user or group), {number: '2001'}"),
        ('{number: "06 12"}', "number '06 12': write the digits dialed"),
        ('{voicemail: "20;01"}', "mailbox '20;01': write a box like '2900'"),
        ('{extension: "20a1"}', "extension '20a1': write digits"),
        ('{queue: "2001"}', "queue"),
    ],
)
def test_badly_written_overflow_is_refused_with_its_line(overflow: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        site_from(with_groups(group("2091", overflow)))
    issue = caught.value.issues[0]
    assert message in str(issue)
    assert issue.line == 21


def test_overflow_to_an_unknown_extension() -> None:
    issue = only(check_site(site_from(with_groups(group("2091", '{extension: "2099"}')))))
    assert "group 2091: overflow to 2099, which is no user or group" in issue.message
    assert lines_named(issue) == [21, 21]
    assert "'number:'" in issue.hint


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (
            "06",
            "which context compta cannot call out: no outgoing context takes it "
            "(sortie _0X. at site.yaml:6)",
        ),
        ("612345678", "cannot call out: no outgoing context takes it"),
        ("2002", "number 2002, which is an extension of site.yaml (site.yaml:18)"),
        (
            "0112",
            "number 0112, the emergency number 112 of outgoing context sortie "
            "(site.yaml:6): refused",
        ),
        ("18", "the emergency number 18 of outgoing context sortie"),
    ],
)
def test_overflow_to_a_number_outside_cannot_take(number: str, message: str) -> None:
    site = site_from(with_groups(group("2091", f'{{number: "{number}"}}')))
    issue = only(check_site(site))
    assert message in issue.message
    assert issue.line == 21


def test_overflow_number_from_a_context_that_reaches_no_outgoing_context() -> None:
    text = with_groups(group("2091", '{number: "00612345678"}')).replace(
        "conferences: 2095-2099,\n     include: [sortie]}", "conferences: 2095-2099}"
    )
    issues = check_site(site_from(text))
    assert any(
        "overflow to number 00612345678, which context compta cannot call out: it reaches "
        "none" in i.message
        for i in issues
    )


def test_overflow_loops_between_groups_name_every_line() -> None:
    site = site_from(
        with_groups(
            group("2091", '{extension: "2092"}'),
            group("2092", '{extension: "2093"}'),
            group("2093", '{extension: "2091"}'),
        )
    )
    issue = only(check_site(site))
    assert "group overflow loop 2091 -> 2092 -> 2093 -> 2091" in issue.message
    assert lines_named(issue) == [21, 22, 23]


def test_group_overflowing_to_itself_and_a_chain_that_ends() -> None:
    issue = only(check_site(site_from(with_groups(group("2091", '{extension: "2091"}')))))
    assert issue.message == "group overflow loop 2091 -> 2091"
    chain = site_from(
        with_groups(
            group("2091", '{extension: "2092"}'),
            group("2092", '{extension: "2093"}'),
            group("2093", '{voicemail: "2093"}'),
        )
    )
    assert check_site(chain) == []


def test_a_loop_entered_from_outside_is_reported_once() -> None:
    site = site_from(
        with_groups(
            group("2091", '{extension: "2092"}'),
            group("2092", '{extension: "2093"}'),
            group("2093", '{extension: "2092"}'),
        )
    )
    issue = only(check_site(site))
    assert "group overflow loop 2092 -> 2093 -> 2092" in issue.message
