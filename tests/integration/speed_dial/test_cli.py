"""The speeddial and forwards commands on a copy of examples/ (SQLite state store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autocom.cli import main

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(EXAMPLES, folder)
    return folder / "autocom.yaml"


def run(config: Path, *args: str) -> int:
    return main(["-c", str(config), *args])


def test_collective_add_remove_keeps_comments(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    yaml = config.parent / "speeddial.yaml"
    assert run(config, "speeddial", "add", "8003", "00388000000", "Mairie") == 0
    text = yaml.read_text()
    assert "# the security desk's on-call mobile" in text
    assert 'code: "8003"' in text and 'number: "00388000000"' in text
    assert run(config, "check") == 0
    # refused edits leave the file as it was
    assert run(config, "speeddial", "add", "8003", "00388000001") == 1
    assert run(config, "speeddial", "add", "2001", "00388000001") == 1
    assert run(config, "speeddial", "add", "8004", "999") == 1
    err = capsys.readouterr().err
    assert "already in speeddial.yaml" in err
    assert "code 2001 shadows user 2001" in err
    assert "cannot classify 999" in err
    assert yaml.read_text() == text
    assert run(config, "speeddial", "remove", "8003") == 0
    assert "8003" not in yaml.read_text()
    assert run(config, "speeddial", "remove", "8003") == 1


def test_personal_add_list_remove(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "speeddial", "add", "--user", "2002", "7", "00612345678", "Maison") == 0
    assert run(config, "speeddial", "list", "--user", "2002") == 0
    assert "2002\t07\t00612345678\tMaison" in capsys.readouterr().out
    assert run(config, "speeddial", "add", "--user", "2002", "100", "00612345678") == 1
    assert run(config, "speeddial", "remove", "--user", "2002", "7") == 0
    assert run(config, "speeddial", "remove", "--user", "2002", "7") == 1


def test_import_all_or_nothing_then_export(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    yaml = config.parent / "speeddial.yaml"
    before = yaml.read_text()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "kind;code;user;number;label\n"
        "collective;8300;;00388000000;Mairie\n"
        "collective;9001;;00388000000;Hors plage\n"
        "personal;5;2999;00612345678;\n"
        "personal;5;2002;00612345678;Maison\n"
    )
    assert run(config, "speeddial", "import", str(bad)) == 1
    err = capsys.readouterr().err
    assert "nothing imported, 2 row(s) refused" in err
    assert "line 3: code '9001' is outside the range 8000-8999" in err
    assert "line 4: user '2999' is not in the site file" in err
    assert yaml.read_text() == before
    assert run(config, "speeddial", "list", "--user", "2002") == 0
    assert "00612345678" not in capsys.readouterr().out

    good = tmp_path / "good.csv"
    good.write_text(
        "kind;code;user;number;label\n"
        "collective;8300;;00388000000;Mairie\n"
        "personal;5;2002;00612345678;Maison\n"
    )
    assert run(config, "speeddial", "import", str(good), "--dry-run") == 0
    assert yaml.read_text() == before
    assert run(config, "speeddial", "import", str(good)) == 0
    assert 'code: "8300"' in yaml.read_text()
    assert run(config, "check") == 0
    out = tmp_path / "out.csv"
    assert run(config, "speeddial", "export", str(out)) == 0
    lines = out.read_text().splitlines()
    assert "collective,8300,,00388000000,Mairie,no" in lines
    assert "personal,05,2002,00612345678,Maison," in lines


def test_forwards_set_list_clear_and_explain(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(config, "forwards", "set", "2002", "busy", "2003") == 0
    # the lobby phone may not forward outside
    assert run(config, "forwards", "set", "5001", "unconditional", "00388000000") == 1
    assert "refused:" in capsys.readouterr().err
    assert run(config, "forwards", "list") == 0
    assert capsys.readouterr().out.splitlines() == ["2002\tbusy\t2003\ton"]
    assert run(config, "forwards", "clear", "2002") == 0
    assert run(config, "forwards", "list", "2002") == 0
    assert "no forward for 2002" in capsys.readouterr().out
    args = ["explain", "forward", "--user", "2002", "--to", "00612345678", "--at"]
    assert run(config, *args, "2026-11-24T22:00:00+01:00") == 1
    assert run(config, *args, "2026-11-24T10:00:00+01:00") == 0
    out = capsys.readouterr().out
    assert "decision: deny" in out and "decision: allow" in out
    assert "category: mobile" in out and "staff.forward.mobile" in out
    # direction (2101) may forward abroad with a PIN at night: exit 2, as explain rights
    assert (
        run(config, "explain", "forward", "--user", "2101", "--to", "000441234567890",
            "--at", "2026-11-24T22:00:00+01:00")
        == 2
    )  # fmt: skip
