"""Feature codes from the rule files: `autocom check` refuses one that hides part of the
numbering plan (file:line), `autocom dialplan` renders the rest into the site dialplan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autocom.cli import main
from autocom.site.patterns import pattern_matches

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns("var"))
    return target


def replace(path: Path, old: str, new: str) -> int:
    """Replace ``old`` once; the line number it was on."""
    text = path.read_text()
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1))
    return line


def test_a_forward_code_hiding_extensions_is_refused_with_file_and_line(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = replace(folder / "forwards.yaml", 'busy: "*23"', 'busy: "21"')
    assert main(["-c", str(folder / "autocom.yaml"), "check"]) == 1
    err = capsys.readouterr().err.splitlines()
    where = f"{folder / 'forwards.yaml'}:{line}:"
    mine = [e for e in err if e.startswith(where)]
    assert any("forward code busy '_21.' shadows user 2101" in e for e in mine), err
    assert any("shadows the users range 2001-2899 of context personnel" in e for e in mine), err


def test_a_cancel_code_that_is_an_emergency_number_is_refused(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = replace(folder / "forwards.yaml", 'cancel_all: "*20"', 'cancel_all: "112"')
    assert main(["-c", str(folder / "autocom.yaml"), "check"]) == 1
    err = capsys.readouterr().err
    assert f"forwards.yaml:{line}: forward code cancel_all '112' shadows emergency number" in err


def test_a_personal_speed_dial_code_taking_outside_calls_is_refused(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(folder / "speeddial.yaml", 'dial: "**"', 'dial: "0"')
    assert main(["-c", str(folder / "autocom.yaml"), "check"]) == 1
    err = capsys.readouterr().err
    assert "personal speed-dial code '0' (_0XX in the dialplan) shadows outside calls" in err


def test_autocom_dialplan_renders_the_codes_of_the_rule_files(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace(folder / "forwards.yaml", 'unconditional: "*21"', 'unconditional: "*71"')
    replace(folder / "speeddial.yaml", 'hear: "*57"', 'hear: "#57"')
    assert main(["-c", str(folder / "autocom.yaml"), "check"]) == 0
    capsys.readouterr()
    assert main(["-c", str(folder / "autocom.yaml"), "dialplan"]) == 0
    text = capsys.readouterr().out
    codes = text[text.index("[autocom-site-forwards-codes]") :]
    assert "exten => _*71.,1,Goto(autocom-forwards-code,${EXTEN},1)" in codes
    assert "exten => *71,1,Goto(autocom-forwards-code,${EXTEN},1)" in codes
    assert "*21" not in codes
    assert "exten => _*71X.,hint,Custom:autocom-fwd-unc-${EXTEN:3}" in codes
    assert "exten => _#57XX,1,Gosub(autocom-speed_dial-run,s,1(${EXTEN},${CONTEXT}))" in text
    assert "exten => _8XXX,1,Gosub(autocom-speed_dial-run" in text  # range 8000-8999
    assert pattern_matches("_*71.", "*712003") and not pattern_matches("_*71.", "*71")
