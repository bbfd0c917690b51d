"""Department fragments on a copy of examples/ (two departments, mips and scolarite):
the real `autocom check` command, and the reload watcher picking up a fragment added
to a department's folder and refusing one that overreaches (docs/departments.md)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from apps import features
from autocom.cli import main
from autocom.loader import load_config
from autocom.reload import ConfigHolder

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
AUTOCOM = Path(sys.executable).parent / "autocom"
OVERREACH = 'assign:\n  "2001": lab\n  "2102": direction\n'  # Scolarité's user; not granted


@pytest.fixture
def config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("var"))
    return folder / "autocom.yaml"


def check(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AUTOCOM), "-c", str(config), "check"], capture_output=True, text=True, check=False
    )


def test_check_lists_both_departments(config: Path) -> None:
    done = check(config)
    assert done.returncode == 0, done.stderr
    assert "  department mips (Laboratoire MIPS): 2 setting(s) in 1 file(s)" in done.stdout
    assert "  department scolarite (Scolarité): 2 setting(s) in 1 file(s)" in done.stdout


def test_check_refuses_each_departments_overreach_at_its_line(config: Path) -> None:
    mips = config.parent / "departments" / "mips" / "extra.yaml"
    mips.write_text(OVERREACH)
    scolarite = config.parent / "departments" / "scolarite" / "department.yaml"
    at = len(scolarite.read_text().splitlines()) + 1
    scolarite.write_text(
        scolarite.read_text() + "classes:\n  intl: {international: allow, default: deny}\n"
    )
    done = check(config)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[-1] == "3 error(s)", done.stderr
    assert lines[:-1] == [
        f"{scolarite}:{at}: classes: a department cannot create or change a class (only the main "
        "admin's rights.yaml) (assign one of the classes you are given: staff, lab)",
        f"{mips}:2: assign: 2001 is a user of 'Scolarité', not of 'Laboratoire MIPS': a "
        "department assigns classes to its own users only (remove it: its own department or "
        "the main admin assigns it; your users: 2101, 2102, 2103, 2104)",
        f"{mips}:3: assign: 2102: class 'direction' is not one mips may assign (assign one "
        f"of: lab, staff ({config.parent / 'departments.yaml'}:10); another class is the main "
        "admin's to give)",
    ]


async def wait_for(condition: object, holder: ConfigHolder) -> None:
    """Until ``condition()``: a guard against a hang, not a timing (the machine may be slow)."""
    assert callable(condition)
    for _ in range(1200):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the watcher never got there: {holder.last_error}")


async def test_the_watcher_reads_a_new_fragment_and_refuses_an_overreaching_one(
    config: Path,
) -> None:
    feats = features()
    holder = ConfigHolder(load_config(config, feats), feats)
    first = holder.current
    assert first.rules["time_rules"].by_extension["2103"].class_name == "staff"
    watcher = asyncio.create_task(holder.watch(interval=0.05, settle=0.1))
    try:
        added = config.parent / "departments" / "mips" / "students.yaml"
        added.write_text('assign:\n  "2103": lab\n')  # a new file in the folder
        await wait_for(lambda: holder.reloads == 1, holder)
        good = holder.current
        assert good.rules["time_rules"].by_extension["2103"].class_name == "lab"
        assert added in good.files

        bad = added.with_name("more.yaml")  # another new file, refused
        bad.write_text(OVERREACH)
        await wait_for(lambda: holder.failed_reloads == 1, holder)
        assert holder.current is good  # the last good config keeps serving
        assert holder.last_error is not None
        refused = [str(i) for i in holder.last_error.issues]
        assert any(r.startswith(f"{bad}:2: assign: 2001 is a user of") for r in refused)
        assert any(r.startswith(f"{bad}:3: assign: 2102: class 'direction'") for r in refused)

        bad.write_text('assign:\n  "2102": lab\n')  # fixed in place: still watched
        await wait_for(lambda: holder.reloads == 2 and holder.last_error is None, holder)
        assert holder.current.rules["time_rules"].by_extension["2102"].class_name == "lab"

        added.unlink()  # the department's admin takes it back
        await wait_for(lambda: holder.reloads == 3, holder)
        assert holder.current.rules["time_rules"].by_extension["2103"].class_name == "staff"
    finally:
        watcher.cancel()


def test_speeddial_add_refuses_a_code_a_department_has(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["-c", str(config), "speeddial", "add", "8501", "00389000000", "Autre"]
    assert main(argv, features=features()) == 1
    fragment = config.parent / "departments" / "mips" / "department.yaml"
    err = capsys.readouterr().err
    assert f"code 8501 is already in a department's fragment, {fragment}:6" in err


def test_the_departments_command(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", str(config), "departments", "scolarite"], features=features()) == 0
    out = capsys.readouterr().out
    fragment = config.parent / "departments" / "scolarite" / "department.yaml"
    assert out.startswith("scolarite: Scolarité (")
    assert "  users:           2001, 2002, 2003, 2004\n" in out
    assert f"    {fragment}:3  2004 -> class staff\n" in out
    assert main(["-c", str(config), "departments", "nope"], features=features()) == 2
    assert "no department 'nope'" in capsys.readouterr().err
    main_file = config.read_text().replace("departments: departments.yaml", "")
    config.write_text(main_file)
    assert main(["-c", str(config), "departments"], features=features()) == 2
    assert "no departments: in" in capsys.readouterr().err
