"""The pure parts of `autocom site sync`: merge, overrides, managers, diff, guard,
CSV rows and confd's lists mapped to site records."""

from __future__ import annotations

import pytest

from autocom.config.model import validate
from autocom.config.yaml_source import parse_yaml
from autocom.site.model import Site
from autocom.site.sitefile import render_generated
from autocom.site.sync.confd_source import site_data
from autocom.site.sync.csv_source import parse_csv
from autocom.site.sync.diff import diff_sites, removal_refused
from autocom.site.sync.merge import MergeError, merge
from autocom.site.sync.records import ContextRecord, SourceData, SourceFailed, UserRecord
from autocom.site.sync.run import build_site
from autocom.site.sync.settings import CsvSource, Overrides
from tests.support.confd.standin import wazo_site

CONTEXTS = (
    ContextRecord("staff", users=("2001-2099",), include=("out",)),
    ContextRecord("out", kind="outgoing"),
)
OVERRIDES_TEXT = """
contexts:
  - {name: out, line_prefix: "0", trunks: [trunk-a]}
users:
  - {extension: "2001", voicemail: "2001", language: en}
  - {extension: "2050", name: Amphi A, context: staff, devices: [amphi-a]}
exclude: ["2003"]
"""


def overrides(text: str = OVERRIDES_TEXT) -> Overrides:
    return validate(Overrides, parse_yaml(text, "site.yaml"))


def user(ext: str, origin: str = "x", **kw: object) -> UserRecord:
    return UserRecord(ext, origin, **kw)  # type: ignore[arg-type]


def wazo() -> SourceData:
    return SourceData(
        "wazo",
        users=(
            user(
                "2001",
                "wazo:1",
                ref="u1",
                name="Martin",
                first_name="Sophie",
                context="staff",
                devices=("m-desk",),
            ),
            user("2002", "wazo:2", ref="u2", name="Bernard", context="staff", devices=("b-desk",)),
            user("2003", "wazo:3", name="Test", context="staff"),
        ),
        contexts=CONTEXTS,
    )


def hr() -> SourceData:
    return SourceData(
        "rh",
        users=(
            user(
                "2001",
                "uid=sm",
                ref="uid=sm,ou=people",
                name="MARTIN-HR",
                department="Scolarité",
                title="Responsable",
                mobile="0612345678",
            ),
            user(
                "2002",
                "uid=lb",
                ref="uid=lb,ou=people",
                department="Scolarité",
                manager="UID=SM,ou=people",
            ),
            user("2999", "uid=nobody", name="Nobody"),
        ),
    )


def test_first_source_creates_later_ones_complete_overrides_win() -> None:
    site, _, notes = build_site([wazo(), hr()], overrides())
    martin = site.user("2001")
    assert martin is not None
    # Wazo's name stays (first source), HR fills what Wazo lacks, the overrides win
    assert (martin.name, martin.department, martin.title, martin.mobile) == (
        "Martin",
        "Scolarité",
        "Responsable",
        "0612345678",
    )
    assert (martin.voicemail, martin.language) == ("2001", "en")
    assert site.user("2003") is None  # excluded
    amphi = site.user("2050")
    assert amphi is not None and amphi.devices == ("amphi-a",)  # only in the overrides
    out = site.context("out")
    assert out is not None and out.trunks == ("trunk-a",) and out.line_prefix == "0"
    assert "rh: 1 people match no user's extension" in notes


def test_manager_dn_becomes_the_managers_extension() -> None:
    site, _, _ = build_site([wazo(), hr()], overrides())
    bernard = site.user("2002")
    assert bernard is not None and bernard.manager == "2001"


def test_unknown_manager_is_dropped_with_a_note() -> None:
    data = SourceData("rh", users=(user("2002", "dn", manager="uid=gone"),))
    site, _, notes = build_site([wazo(), data], overrides())
    assert site.user("2002").manager == ""  # type: ignore[union-attr]
    assert "1 managers are no user of the site: left out" in notes


def test_duplicate_extension_in_one_source_is_refused_naming_both() -> None:
    dup = SourceData(
        "csv",
        users=(
            user("2001", "u.csv:2", name="A", context="staff"),
            user("2001", "u.csv:5", name="B", context="staff"),
        ),
    )
    with pytest.raises(
        MergeError, match=r"csv: extension 2001 is given twice \(u.csv:2 and u.csv:5\)"
    ):
        merge([dup], Overrides())


def test_override_of_a_user_no_source_has_needs_name_and_context() -> None:
    with pytest.raises(MergeError, match=r"override 2077 .*site.yaml:2.*give name and context"):
        merge([wazo()], overrides('users:\n  - {extension: "2077", voicemail: "2077"}\n'))


def test_a_site_failing_the_checks_is_refused() -> None:
    # the outgoing context has no trunks without the overrides: autocom check refuses it
    with pytest.raises(MergeError, match="trunk"):
        build_site([wazo()], Overrides())


def test_render_reads_back_as_the_same_site() -> None:
    site, document, _ = build_site([wazo(), hr()], overrides())
    text = render_generated(document, ["wazo", "rh"], "site.yaml")
    assert text.startswith("# Generated by `autocom site sync` from wazo, rh: edit site.yaml")
    back = validate(Site, parse_yaml(text, "site.generated.yaml"))
    assert back.model_dump() == site.model_dump()


def test_diff_lists_users_devices_and_groups() -> None:
    old, _, _ = build_site([wazo()], overrides())
    changed = SourceData(
        "wazo",
        users=(
            user(
                "2001", "w", name="Martin", first_name="Sophie", context="staff", devices=("m-new",)
            ),
            user("2004", "w", name="Neuf", context="staff", devices=("n-desk",)),
        ),
        contexts=CONTEXTS,
    )
    new, _, _ = build_site([changed], overrides())
    diff = diff_sites(old, new)
    assert diff.users_added == ("2004",)
    assert diff.users_removed == ("2002",)
    assert diff.users_changed == (("2001", ("devices",)),)
    assert diff.devices_added == ("m-new", "n-desk")
    assert diff.devices_removed == ("b-desk", "m-desk")
    assert diff.lines()[0] == "users added (1): 2004"
    assert diff_sites(new, new).empty and diff_sites(new, new).lines() == ["no change"]


@pytest.mark.parametrize(
    ("before", "removed", "share", "refused"),
    [
        (100, 10, 0.1, False),
        (100, 11, 0.1, True),
        (4000, 4000, 0.5, True),
        (0, 0, 0.1, False),
        (10, 1, 0.0, True),
    ],
)
def test_removal_guard(before: int, removed: int, share: float, refused: bool) -> None:
    old = Site.model_validate(
        {
            "contexts": [{"name": "c"}],
            "users": [
                {"extension": str(1000 + i), "name": "x", "context": "c"} for i in range(before)
            ],
        }
    )
    new = Site.model_validate(
        {
            "contexts": [{"name": "c"}],
            "users": [
                {"extension": str(1000 + i), "name": "x", "context": "c"}
                for i in range(removed, before)
            ],
        }
    )
    reason = removal_refused(diff_sites(old, new), share)
    assert (reason is not None) == refused
    if refused:
        assert f"remove {removed} of {before} users" in str(reason) and "--force" in str(reason)


CSV = CsvSource(type="csv", name="export", path="users.csv", context="staff")


def test_csv_rows_become_records_with_devices_and_default_context() -> None:
    text = (
        "\ufeffextension,name,first_name,devices,context,title\n"
        "# a comment\n"
        "2001,Martin,Sophie,m-desk|m-soft,,Responsable\n"
        "2002,Bernard,Luc,,other,\n"
    )
    data = parse_csv(text.removeprefix("\ufeff"), "users.csv", CSV)
    assert [(u.extension, u.context, u.devices, u.origin) for u in data.users] == [
        ("2001", "staff", ("m-desk", "m-soft"), "users.csv:3"),
        ("2002", "other", (), "users.csv:4"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("extension,name,phone\n", "unknown: phone"),
        ("name\nMartin\n", "the header needs extension and name"),
        ("extension,name\n20x1,Martin\n", "users.csv:2: extension '20x1'"),
        ("extension,name\n2001,\n", "users.csv:2: name is empty"),
        ("extension,name,devices\n2001,M,bad dev\n", "users.csv:2: device 'bad dev'"),
        ("extension,name\n2001,M,extra\n", "users.csv:2: 3 cells for 2 columns"),
    ],
)
def test_bad_csv_fails_the_source_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(SourceFailed, match=message.replace("(", r"\(")) as exc:
        parse_csv(text, "users.csv", CSV)
    assert exc.value.source == "export"


def test_confd_lists_map_to_users_groups_contexts_and_dids() -> None:
    data = site_data("wazo", **wazo_site(4))
    first = data.users[0]
    assert (first.extension, first.context, first.devices) == (
        "20000",
        "default",
        ("u20000-0", "u20000-1"),
    )
    assert (first.name, first.first_name, first.language) == ("Nom1", "Prénom1", "fr")
    assert first.origin == "wazo:/users/1"
    group = data.groups[0]
    assert (group.extension, group.members, group.strategy, group.ring_time) == (
        "19900",
        ("20000", "20001", "20002"),
        "linear",
        12,
    )
    assert [(c.name, c.kind, c.users, c.include) for c in data.contexts] == [
        ("default", "internal", ("20000-20104",), ("to-extern",)),
        ("from-extern", "incoming", (), ()),
        ("to-extern", "outgoing", (), ()),
    ]
    assert [(d.number, d.destination, d.context) for d in data.dids] == [
        ("0389336001", "20000", "from-extern")
    ]


def test_confd_user_without_extension_or_disabled_is_left_out_with_a_note() -> None:
    lists = wazo_site(3)
    lists["users"][0]["lines"] = []
    lists["users"][1]["enabled"] = False
    data = site_data("wazo", **lists)
    assert [u.extension for u in data.users] == ["20002"]
    assert data.notes == ("wazo: 2 users without an extension (or disabled) left out",)
    assert data.groups[0].members == ("20002",)  # members that are no user are dropped


def test_tandems_in_the_overrides_reach_the_generated_site() -> None:
    # no source knows a tandem: site.yaml keeps it and every sync writes it again
    text = OVERRIDES_TEXT + (
        "tandems:\n"
        '  - main: "2001"\n'
        "    when_main_busy: skip\n"
        "    secondaries:\n"
        "      - {device: m-dect, delay: 5}\n"
        '      - {number: "0612345678"}\n'
    )
    site, document, _ = build_site([wazo(), hr()], overrides(text))
    (tandem,) = site.tandems
    assert (tandem.main, tandem.when_main_busy) == ("2001", "skip")
    assert [(s.kind, s.target, s.delay) for s in tandem.secondaries] == [
        ("device", "m-dect", 5),
        ("number", "0612345678", 0),
    ]
    back = render_generated(document, ["wazo", "rh"], "site.yaml")
    again = validate(Site, parse_yaml(back, "site.generated.yaml"))
    assert [t.model_dump() for t in again.tandems] == [t.model_dump() for t in site.tandems]


def test_a_tandem_of_a_user_the_sources_dropped_is_refused() -> None:
    text = OVERRIDES_TEXT + 'tandems:\n  - {main: "2003", secondaries: [{device: t-dect}]}\n'
    with pytest.raises(MergeError, match="2003"):
        build_site([wazo()], overrides(text))
