"""Directory files: CSV and YAML read as written; every error names file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocom.config import ConfigError
from autocom.directory import NumberPlan, read_people

PLAN = NumberPlan()
EXAMPLES = Path(__file__).parents[3] / "examples"


def test_example_csv_reads() -> None:
    entries = read_people(EXAMPLES / "directory.csv", PLAN, "annuaire")
    by_name = {e.name: e for e in entries}
    securite = by_name["Sécurité"]
    assert [n.raw for n in securite.numbers] == [
        "03 89 33 61 99",
        "03 89 33 61 98",
        "06 11 22 33 44",
    ]
    assert [n.kind for n in securite.numbers] == ["office", "office", "mobile"]
    assert by_name["Müller"].first_name == "Jérôme"
    assert by_name["O'Neil"].numbers[0].canonical == "+33389336540"


def test_csv_errors_name_the_line(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("name,office\nDupont,0388\nMartin,not a number\n,0388\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_people(f, PLAN, "f")
    text = str(err.value)
    assert f"{f}:3: office: 'not a number' is not a phone number" in text
    assert f"{f}:4: name: name is empty" in text


def test_csv_unknown_column(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("name,phone\nDupont,0388\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"d.csv:1: unknown column 'phone'"):
        read_people(f, PLAN, "f")


def test_yaml_file(tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(
        "people:\n"
        "  - {name: Noël, first_name: Anaïs, office: ['03 88 00 00 01', '0388000002'],"
        " mobile: 0612345678}\n"
        "  - name: Zoé\n    office: 012\n",
        encoding="utf-8",
    )
    entries = read_people(f, PLAN, "y")
    assert entries[0].numbers[2].raw == "0612345678"  # stays the string typed
    assert entries[1].numbers[0].raw == "012"
    f.write_text("people:\n  - {name: A}\n  - {name: B, mobile: 'xx'}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"d.yaml:3: mobile: 'xx' is not a phone number"):
        read_people(f, PLAN, "y")
    f.write_text("people:\n  - {name: A, fax2: '1'}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"d.yaml:2: people.0: unknown key 'fax2'"):
        read_people(f, PLAN, "y")
