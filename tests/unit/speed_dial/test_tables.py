"""CSV import plans (validate everything first) and speeddial.yaml edits keeping comments."""

from __future__ import annotations

from apps.speed_dial import tables
from apps.speed_dial.engine import PersonalEntry
from apps.speed_dial.numbering import classifier_of
from apps.speed_dial.rules import Entry, SpeedDialRules
from autocom.config import parse_yaml, validate
from tests.unit.forwards.rights_data import RULES, SITE

YAML = """\
# collective speed dials of the campus
collective:
  range: "8000-8999"   # the old PABX's 8xxx table
  entries:
    # the pharmacy
    - code: "8001"
      number: "0388123456"
      label: "Pharmacie"
"""
SD = validate(SpeedDialRules, parse_yaml(YAML, "speeddial.yaml"))
CLASSIFY = classifier_of(RULES)


def plan(
    text: str, existing: dict[str, dict[str, PersonalEntry]] | None = None
) -> tables.ImportPlan:
    return tables.plan_import(text, SD, SITE, CLASSIFY, existing or {})


def test_valid_table() -> None:
    p = plan(
        "kind,code,user,number,label,bypass_rights\n"
        "collective,8002,,0612345678,Garde,yes\n"
        "personal,7,2002,0388123456,Maison,\n"
        "\n"
        "personal,08,2002,2003,,\n",
        {"2002": {"08": PersonalEntry("2004")}},
    )
    assert p.ok
    assert p.collective == [
        Entry(code="8002", number="0612345678", label="Garde", bypass_rights=True)
    ]
    assert p.personal == [
        ("2002", "07", PersonalEntry("0388123456", "Maison")),
        ("2002", "08", PersonalEntry("2003", "")),
    ]
    assert p.replaced == 1


def test_semicolons_and_missing_optional_columns() -> None:
    p = plan("kind;code;number;label\ncollective;8003;0388123457;Mairie\n")
    assert p.ok and p.collective[0].label == "Mairie"


def test_every_bad_row_is_reported_with_its_line() -> None:
    p = plan(
        "kind,code,user,number,label,bypass_rights\n"
        "collective,8001,,0388123456,dup of yaml,\n"  # 2
        "collective,9001,,0388123456,,\n"  # 3 outside
        "collective,8004,,999,,\n"  # 4 unclassifiable
        "collective,8005,,0388123456,,maybe\n"  # 5 bad bypass
        "collective,8006,,0388123456,,\n"  # 6 ok
        "collective,8006,,0388123456,,\n"  # 7 dup in file
        "personal,100,2002,0388123456,,\n"  # 8 bad slot
        "personal,1,9999,0388123456,,\n"  # 9 unknown user
        "personal,2,2002,06 12,,\n"  # 10 not digits
        "other,1,2002,2003,,\n"  # 11 kind
        "collective,8007,,0388123456,,,extra\n"  # 12 too many columns
    )
    assert not p.ok
    by_line = {r.line: r.reason for r in p.refused}
    assert sorted(by_line) == [2, 3, 4, 5, 7, 8, 9, 10, 11, 12]
    assert "already in speeddial.yaml" in by_line[2]
    assert "outside the range 8000-8999" in by_line[3]
    assert "cannot classify 999" in by_line[4]
    assert "write yes or no" in by_line[5]
    assert "already on line 6" in by_line[7]
    assert "slot '100'" in by_line[8]
    assert "user '9999'" in by_line[9]
    assert "digits only" in by_line[10]
    assert "kind 'other'" in by_line[11]
    assert "7 columns" in by_line[12]


def test_bad_header() -> None:
    p = plan("code,numero\n8001,0388123456\n")
    assert not p.ok and p.refused[0].line == 1
    assert "missing column(s) kind, number" in p.refused[0].reason


def test_export_then_import_round_trip() -> None:
    personal = {"2002": {"07": PersonalEntry("0388123456", "Maison, la")}}
    text = tables.export_csv(SD, personal)
    assert text.splitlines()[0] == ",".join(tables.COLUMNS)
    empty = validate(SpeedDialRules, parse_yaml('collective:\n  range: "8000-8999"\n', "x.yaml"))
    p = tables.plan_import(text, empty, SITE, CLASSIFY, {})
    assert p.ok
    assert [e.model_dump() for e in p.collective] == [e.model_dump() for e in SD.collective.entries]
    assert p.personal == [("2002", "07", PersonalEntry("0388123456", "Maison, la"))]


def test_edit_keeps_comments_and_quotes() -> None:
    new, missing = tables.edit_collective(
        YAML, add=[Entry(code="8002", number="0612345678", label="Garde", bypass_rights=True)]
    )
    assert missing == []
    assert "# the pharmacy" in new and "# the old PABX's 8xxx table" in new
    assert '"0612345678"' in new and "bypass_rights: true" in new
    assert tables.validate_text(new, "speeddial.yaml", SITE, CLASSIFY) == []
    rules = validate(SpeedDialRules, parse_yaml(new, "speeddial.yaml"))
    assert [e.code for e in rules.collective.entries] == ["8001", "8002"]
    removed, missing = tables.edit_collective(new, remove=["8001", "8999"])
    assert missing == ["8999"]
    assert "8001" not in removed and "8002" in removed
    assert "# collective speed dials of the campus" in removed


def test_edit_of_an_empty_file_starts_a_table() -> None:
    new, _ = tables.edit_collective("", add=[Entry(code="8001", number="2003")])
    rules = validate(SpeedDialRules, parse_yaml(new, "speeddial.yaml"))
    assert rules.collective.range == "8000-8999"
    assert rules.entry("8001") is not None


def test_validate_text_reports_what_an_edit_would_break() -> None:
    new, _ = tables.edit_collective(YAML, add=[Entry(code="8001", number="2003")])
    found = [str(i) for i in tables.validate_text(new, "speeddial.yaml", SITE, CLASSIFY)]
    assert any("code 8001 given twice" in i for i in found)
