"""Department fragments: merged into the rules every decision reads, and every kind of
overreach refused at the fragment's file:line (load_config on a copy of examples/)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from apps import features
from apps.ivr.rules import IvrRules
from apps.speed_dial.rules import SpeedDialRules
from autocom.config import ConfigError, ConfigIssue
from autocom.departments.cli import describe
from autocom.loader import Config, load_config
from autocom.rights import TimeRules
from autocom.rights.decision import decide

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
NIGHT = datetime(2026, 11, 24, 22, 0, tzinfo=ZoneInfo("Europe/Paris"))  # a Tuesday

DEPARTMENTS = """\
departments:
  mips:
    name: Laboratoire MIPS
    may:
      assign: [staff, lab]
      speed_dials: "8500-8549"
      groups: ["2901"]
      prompts: [services]
  scolarite:
    name: Scolarité
    may:
      assign: [staff]
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """examples/ copied, departments.yaml as above, no fragment yet."""
    folder = tmp_path / "site"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("var"))
    shutil.rmtree(folder / "departments")
    (folder / "departments.yaml").write_text(DEPARTMENTS)
    for slug in ("mips", "scolarite"):
        (folder / "departments" / slug).mkdir(parents=True)
    return folder


def fragment(site: Path, text: str, slug: str = "mips", name: str = "rules.yaml") -> Path:
    path = site / "departments" / slug / name
    path.write_text(text)
    return path


def load(site: Path, previous: Config | None = None) -> Config:
    return load_config(site / "autocom.yaml", features(), previous)


def line_of(file: Path, text: str) -> int:
    for n, line in enumerate(file.read_text().splitlines(), 1):
        if text in line:
            return n
    raise AssertionError(f"{text!r} not in {file}")


def refused(site: Path) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as exc:
        load(site)
    return list(exc.value.issues)


def only(issues: list[ConfigIssue], file: Path, text: str) -> ConfigIssue:
    """The one issue, at ``file``'s line holding ``text``."""
    assert len(issues) == 1, "\n".join(map(str, issues))
    (found,) = issues
    assert (found.file, found.line) == (str(file), line_of(file, text)), str(found)
    return found


# --- what a fragment changes -------------------------------------------------------------


def test_a_class_a_department_assigns_decides_its_users_calls(site: Path) -> None:
    before = load(site)
    rules: TimeRules = before.rules["time_rules"]
    assert decide(rules, before.site, "2103", "00612345678", NIGHT).class_name == "staff"
    file = fragment(site, 'assign:\n  "2103": lab\n')
    config = load(site)
    decision = decide(config.rules["time_rules"], config.site, "2103", "00612345678", NIGHT)
    assert (decision.class_name, decision.verdict) == ("lab", "deny")
    where = f"{file}:{line_of(file, '2103')}"
    assert f"{where} extension 2103 (department Laboratoire MIPS) -> class lab" in decision.trace
    assert file in config.files and file in config.seen


def test_speed_dials_prompts_and_group_members_are_merged(site: Path) -> None:
    file = fragment(
        site,
        'speed_dials:\n  - {code: "8501", number: "00389336210", label: "Plateforme"}\n'
        'groups:\n  "2901": ["2102", "2103", "2104"]\n'
        "prompts:\n  services: [custom/mips-services, vm-options]\n",
    )
    config = load(site)
    speed: SpeedDialRules = config.rules["speed_dial"]
    entry = speed.entry("8501")
    assert entry is not None and entry.number == "00389336210" and not entry.bypass_rights
    assert entry.source is not None and (entry.source.file, entry.source.line) == (
        str(file),
        line_of(file, "8501"),
    )
    assert speed.entry("8001") is not None  # the main admin's table is kept
    group = config.site.group("2901")
    assert group is not None and group.members == ("2102", "2103", "2104")
    assert [g.extension for g in config.site.groups_of("2104")] == ["2901"]  # index rebuilt
    ivr: IvrRules = config.rules["ivr"]
    assert ivr.menus["services"].prompt == ("custom/mips-services", "vm-options")
    assert ivr.menus["main"].prompt == ("dir-welcome", "vm-options")


def test_several_files_in_a_folder_are_all_read(site: Path) -> None:
    fragment(site, 'assign:\n  "2103": lab\n', name="a.yaml")
    fragment(site, 'assign:\n  "2102": lab\n', name="b.yaml")
    config = load(site)
    by_ext = config.rules["time_rules"].by_extension
    assert (by_ext["2102"].class_name, by_ext["2103"].class_name) == ("lab", "lab")
    assert config.departments is not None
    assert config.departments.summary()[0] == "mips (Laboratoire MIPS): 2 setting(s) in 2 file(s)"


def test_a_reload_reads_a_changed_or_removed_fragment_and_watches_the_folders(
    site: Path,
) -> None:
    file = fragment(site, 'assign:\n  "2103": lab\n')
    first = load(site)
    assert site / "departments" / "mips" in first.watched
    same = load(site, previous=first)
    assert same.rules["time_rules"] is first.rules["time_rules"]  # nothing changed: kept
    file.write_text('assign:\n  "2103": staff\n')
    edited = load(site, previous=same)
    assert edited.rules["time_rules"].by_extension["2103"].class_name == "staff"
    file.unlink()
    gone = load(site, previous=edited)
    assert gone.rules["time_rules"].by_extension["2103"].selector == "context personnel"


# --- what a fragment may not do: each refused at its file:line ---------------------------


# (department, its fragment, text of the refused line, in the message, in the hint)
REFUSALS = {
    "another department's user": (
        "mips",
        'assign:\n  "2001": lab\n',
        "2001",
        "2001 is a user of 'Scolarité', not of 'Laboratoire MIPS'",
        "your users: 2101, 2102, 2103, 2104",
    ),
    "nobody": ("mips", 'assign:\n  "2999": lab\n', "2999", "no user 2999 in the site", "2104"),
    "a class not granted": (
        "mips",
        'assign:\n  "2103": direction\n',
        "2103",
        "class 'direction' is not one mips may assign",
        "assign one of: lab, staff (",
    ),
    "a new class": (
        "mips",
        'assign:\n  "2103": lab\nclasses:\n  intl:\n    international: allow\n',
        "classes:",
        "a department cannot create or change a class",
        "the classes you are given: staff, lab",
    ),
    "a code outside its range": (
        "mips",
        'speed_dials:\n  - {code: "8600", number: "00389336210"}\n',
        "8600",
        "code 8600 is outside mips's range 8500-8549",
        "use a code from 8500-8549",
    ),
    "no speed-dial range": (
        "scolarite",
        'speed_dials:\n  - {code: "8501", number: "00389336210"}\n',
        "8501",
        "scolarite is given no speed-dial codes",
        "ask the main admin",
    ),
    "bypass_rights": (
        "mips",
        'speed_dials:\n  - {code: "8501", number: "00612345678", bypass_rights: true}\n',
        "8501",
        "only the main admin's speeddial.yaml may let a code bypass call rights",
        "",
    ),
    "a group not granted": (
        "mips",
        'groups:\n  "2900": ["2101"]\n',
        "2900",
        "2900 is not a group mips may change",
        "change only your groups: 2901",
    ),
    "another department's group member": (
        "mips",
        'groups:\n  "2901": ["2102", "2001"]\n',
        "2901",
        "member 2001 is a user of 'Scolarité'",
        "add your own users only",
    ),
    "a menu not granted": (
        "mips",
        "prompts:\n  main: [custom/x]\n",
        "main",
        "menu 'main' is not one mips may change",
        "your menus only: services",
    ),
    "a sound name ivr.yaml refuses": (
        "mips",
        "prompts:\n  services: [../../etc/passwd]\n",
        "services",
        "write a sound file name without extension",
        "",
    ),
    "a misspelt key": (
        "mips",
        'assign:\n  "2103": lab\ngroup:\n  "2901": []\n',
        "group:",
        "unknown key 'group'",
        "check its spelling",
    ),
}


@pytest.mark.parametrize(
    ("slug", "text", "at", "message", "hint"), REFUSALS.values(), ids=REFUSALS.keys()
)
def test_an_overreach_is_refused_at_its_line(
    site: Path, slug: str, text: str, at: str, message: str, hint: str
) -> None:
    file = fragment(site, text, slug=slug)
    issue = only(refused(site), file, at)
    assert message in issue.message and hint in issue.hint, str(issue)


def test_an_extension_the_main_admin_assigns_stays_the_admins(site: Path) -> None:
    file = fragment(site, 'assign:\n  "2101": lab\n')  # rights.yaml: "2101": direction
    issue = only(refused(site), file, "2101")
    rights = site / "rights.yaml"
    assert f"assigned by the main admin ({rights}:{line_of(rights, '2101')}" in issue.message


def test_a_class_departments_yaml_grants_must_exist(site: Path) -> None:
    deps = site / "departments.yaml"
    deps.write_text(DEPARTMENTS.replace("[staff, lab]", "[staff, intl]"))
    issue = only(refused(site), deps, "[staff, intl]")
    assert f"mips: may.assign: no class 'intl' in {site / 'rights.yaml'}" in issue.message
    assert issue.hint.endswith("rights.yaml's: direction, lab, lobby, security, staff")


def test_a_speed_dial_the_admins_table_has_is_refused_by_its_check(site: Path) -> None:
    deps = site / "departments.yaml"
    deps.write_text(DEPARTMENTS.replace('"8500-8549"', '"8000-8049"'))
    file = fragment(site, 'speed_dials:\n  - {code: "8001", number: "00389336210"}\n')
    issue = only(refused(site), file, "8001")
    speeddial = site / "speeddial.yaml"
    first = f"{speeddial}:{line_of(speeddial, '8001')}"
    assert f"speed-dial code 8001 given twice (first at {first})" in issue.message


def test_a_departments_range_outside_speeddial_yaml_is_refused(site: Path) -> None:
    deps = site / "departments.yaml"
    deps.write_text(DEPARTMENTS.replace('"8500-8549"', '"9500-9549"'))
    issue = only(refused(site), deps, "9500-9549")
    assert "9500-9549 are not inside speeddial.yaml's range 8000-8999" in issue.message


def test_the_same_extension_set_twice_is_refused(site: Path) -> None:
    fragment(site, 'assign:\n  "2103": lab\n', name="a.yaml")
    second = fragment(site, 'assign:\n  "2103": staff\n', name="b.yaml")
    issue = only(refused(site), second, "2103")
    assert "already set at" in issue.message and "a.yaml:2" in issue.message


def test_a_setting_for_a_feature_that_does_not_run_is_refused(site: Path) -> None:
    main = site / "autocom.yaml"
    main.write_text(main.read_text().replace("  ivr: ivr.yaml\n", ""))
    file = fragment(site, "prompts:\n  services: [custom/x]\n")
    assert "the feature ivr does not run" in only(refused(site), file, "services").message


def test_a_missing_folder_and_shared_grants_are_refused_in_departments_yaml(
    site: Path,
) -> None:
    deps = site / "departments.yaml"
    deps.write_text(
        DEPARTMENTS + "  lab2:\n    name: Laboratoire 2\n"
        '    may: {groups: ["2901"], speed_dials: "8540-8559"}\n'
    )
    issues = refused(site)
    assert {i.file for i in issues} == {str(deps)}
    text = "\n".join(map(str, issues))
    assert "lab2: its folder" in text and "does not exist" in text
    assert "departments mips and lab2 both have groups '2901'" in text
    assert "speed-dial codes 8540-8559 of lab2 overlap 8500-8549 of mips" in text


def test_an_empty_fragment_or_departments_yaml_is_refused(site: Path) -> None:
    """An editor truncating the file before writing it: "no settings" must be written."""
    file = fragment(site, "# all removed\n---\n")
    issue = only(refused(site), file, "# all removed")
    assert "the fragment is empty" in issue.message and "delete the file" in issue.hint
    file.unlink()
    deps = site / "departments.yaml"
    deps.write_text("")
    (issue,) = refused(site)
    assert (issue.file, issue.line) == (str(deps), 1)
    assert "write `departments: {}`" in issue.hint
    deps.write_text("departments: {}\n")
    assert load(site).departments is not None


def test_hidden_files_of_a_folder_are_not_fragments(site: Path) -> None:
    fragment(site, 'assign:\n  "2001": lab\n', name=".rules.yaml")  # an editor's copy
    config = load(site)
    assert site / "departments" / "mips" / ".rules.yaml" not in config.files


def test_describe_lists_grants_users_and_every_setting_with_its_line(site: Path) -> None:
    file = fragment(
        site,
        'assign:\n  "2103": lab\n'
        'speed_dials:\n  - {code: "8501", number: "00389336210", label: "Plateforme"}\n'
        'groups:\n  "2901": ["2102", "2103"]\n'
        "prompts:\n  services: [custom/mips]\n",
    )
    config = load(site)
    assert config.departments is not None
    deps_file = site / "departments.yaml"
    assert describe(config.departments, config.site, "mips") == [
        f"mips: Laboratoire MIPS ({deps_file}:{line_of(deps_file, 'mips:')})",
        "  users:           2101, 2102, 2103, 2104",
        "  may assign:      staff, lab",
        "  speed dials:     8500-8549",
        "  groups' members: 2901",
        "  menus' prompts:  services",
        "  its fragments set:",
        f"    {file}:2  2103 -> class lab",
        f"    {file}:4  speed dial 8501 -> 00389336210 (Plateforme)",
        f"    {file}:6  group 2901 members: 2102, 2103",
        f"    {file}:8  menu services prompt: custom/mips",
    ]
    assert describe(config.departments, config.site, "scolarite")[-1] == (
        "  its fragments set nothing"
    )
