"""Only the features named under ``rules:`` run: their rules load, their codes are
rendered, their CLI commands run; `autocom check` says which run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from apps import features
from autocom.cli import main
from autocom.config import ConfigError
from autocom.feature import Feature
from autocom.features import ENTRY_POINT_GROUP, installed
from autocom.loader import load_config
from autocom.site.dialplan import render_dialplan

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
HERE = "tests.unit.framework.test_feature_selection"


class Welcome(Feature):
    """A site's own feature, imported by path (autocom.yaml's features:)."""

    name = "welcome"


class Impostor(Feature):
    """A site's feature that takes the name of a bundled one."""

    name = "forwards"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """examples/ copied, its state in the test's folder."""
    for f in EXAMPLES.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    shutil.copytree(EXAMPLES / "departments", tmp_path / "departments")  # departments.yaml's
    path = tmp_path / "autocom.yaml"
    text = path.read_text()
    text = text.replace("path: var/autocom.sqlite", f"path: {tmp_path / 'state.sqlite'}")
    path.write_text(text)
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_bundled_features_come_from_the_entry_point_group() -> None:
    """pyproject.toml lists them under autocom.features: one list, read in its order."""
    names = [f.name for f in features()]
    assert names == [
        "time_rules",
        "ivr",
        "boss_secretary",
        "directory",
        "forwards",
        "speed_dial",
        "accounting",
        "portal",
    ]
    assert [f.name for f in installed()][: len(names)] == names
    pyproject = (EXAMPLES.parent / "pyproject.toml").read_text()
    assert f'[project.entry-points."{ENTRY_POINT_GROUP}"]' in pyproject


def test_a_feature_left_out_renders_no_code(config: Path) -> None:
    named = render_dialplan(load_config(config, features()))
    assert "exten => *21,1,Goto(autocom-forwards-code" in named
    assert "[autocom-site-forwards-codes]" in named
    edit(config, "  forwards: forwards.yaml\n", "")
    loaded = load_config(config, features())
    assert "forwards" not in loaded.feature_names
    assert "forwards" not in loaded.rules  # its rule file is not even read
    left_out = render_dialplan(loaded)
    assert "*21" not in left_out
    assert "autocom-site-forwards" not in left_out
    assert "[autocom-site-speed_dial-codes]" in left_out  # the others still render


def test_named_without_a_file_runs_with_its_defaults(config: Path) -> None:
    edit(config, "  forwards: forwards.yaml\n", "  forwards:\n")
    loaded = load_config(config, features())
    assert "forwards" in loaded.feature_names
    assert "exten => *21,1,Goto(autocom-forwards-code" in render_dialplan(loaded)


def test_a_left_out_rule_file_is_not_checked(config: Path) -> None:
    """A broken rule file of a feature not named is not read, so it is no error."""
    (config.parent / "forwards.yaml").write_text("codes: {unconditional: 'x21'}\n")
    with pytest.raises(ConfigError, match=r"forwards\.yaml"):
        load_config(config, features())
    edit(config, "  forwards: forwards.yaml\n", "")
    assert "forwards" not in load_config(config, features()).feature_names


def test_check_prints_which_features_run(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(config, "  forwards: forwards.yaml\n", "")
    edit(config, "  ivr: ivr.yaml\n", "  ivr:\n")
    assert main(["-c", str(config), "check"]) == 0
    out = capsys.readouterr().out
    assert "  runs: time_rules (rights.yaml)\n" in out
    assert "  runs: ivr (no rule file: its defaults)\n" in out
    assert "runs: forwards" not in out
    assert "  not running (not named under rules:): accounting, forwards, portal\n" in out


def test_a_command_of_a_feature_left_out_says_so(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-c", str(config), "forwards", "list"]) == 0
    capsys.readouterr()
    edit(config, "  forwards: forwards.yaml\n", "")
    assert main(["-c", str(config), "forwards", "list"]) == 2
    err = capsys.readouterr().err
    assert "the feature forwards is not configured" in err
    assert "under rules:" in err
    # an explain sub-command of a feature left out too
    assert main(["-c", str(config), "explain", "forward", "--user", "2001", "--to", "2002"]) == 2
    assert "the feature forwards is not configured" in capsys.readouterr().err


def test_an_import_path_that_does_not_load_names_its_line(config: Path) -> None:
    text = config.read_text()
    config.write_text(text + "features:\n  - apps.forwards:ForwardsFeature\n  - nosuch.mod:Hello\n")
    with pytest.raises(ConfigError) as info:
        load_config(config, features())
    (issue,) = info.value.issues
    assert issue.file == str(config)
    assert issue.line == len(text.splitlines()) + 3
    assert "nosuch.mod:Hello" in issue.message and "No module named 'nosuch'" in issue.message
    assert "package.module:FeatureClass" in issue.hint


def test_an_import_path_to_something_else_than_a_feature(config: Path) -> None:
    config.write_text(config.read_text() + "features: [autocom.loader:Config]\n")
    with pytest.raises(ConfigError, match="is not a Feature class"):
        load_config(config, features())


def test_an_import_path_adds_a_feature_that_runs_once_named(config: Path) -> None:
    edit(config, "rules:\n", f"features: [{HERE}:Welcome]\nrules:\n")
    assert "welcome" not in load_config(config, features()).feature_names  # known, not named
    edit(config, "rules:\n", "rules:\n  welcome:\n")
    loaded = load_config(config, features())
    assert "welcome" in loaded.feature_names
    assert [type(f) for f in loaded.features].count(Welcome) == 1


def test_an_imported_feature_cannot_take_a_known_name(config: Path) -> None:
    edit(config, "rules:\n", f"features:\n  - {HERE}:Impostor\nrules:\n")
    with pytest.raises(ConfigError) as info:
        load_config(config, features())
    (issue,) = info.value.issues
    line = config.read_text().splitlines().index(f"  - {HERE}:Impostor") + 1
    assert (issue.file, issue.line) == (str(config), line)
    assert "is called 'forwards', the name of a feature autocom already has" in issue.message
