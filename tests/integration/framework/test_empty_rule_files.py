"""An empty rule file is an error, in `autocom check` and at reload; a file being
written is reloaded only once it has stayed the same for a moment (issue 14, item 2).

On a copy of examples/ (every feature, every rule file), with the real loader.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from apps import features
from autocom.cli import main
from autocom.loader import load_config
from autocom.reload import ConfigHolder

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
RULE_FILES = {
    "speeddial.yaml": "collective: {entries: []}",
    "filters.yaml": "filters: []",
    "forwards.yaml": "codes: {}",
    "directory.yaml": "sources: [{type: site}]",
    "rights.yaml": "classes: {}",
    "ivr.yaml": "menus: {}",
}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("var"))
    return folder / "autocom.yaml"


@pytest.mark.parametrize("text", ["", "\n\n", "# all rules removed\n", "---\n", "  \n# x\n...\n"])
@pytest.mark.parametrize("name", sorted(RULE_FILES))
def test_check_refuses_an_empty_rule_file(
    config: Path, capsys: pytest.CaptureFixture[str], name: str, text: str
) -> None:
    (config.parent / name).write_text(text, encoding="utf-8")
    assert main(["-c", str(config), "check"]) == 1
    err = capsys.readouterr().err
    assert f"{config.parent / name}:1: " in err and "the rule file is empty" in err
    assert f"write `{RULE_FILES[name]}" in err


def test_none_said_explicitly_is_accepted(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("speeddial.yaml", "filters.yaml", "ivr.yaml"):
        (config.parent / name).write_text(RULE_FILES[name] + "\n", encoding="utf-8")
    # the departments' speed dials need speeddial.yaml's table: without departments
    config.write_text(config.read_text().replace("departments: departments.yaml", ""))
    assert main(["-c", str(config), "check"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(RULE_FILES))
async def test_reload_keeps_the_last_good_rules_when_a_file_is_emptied(
    config: Path, name: str
) -> None:
    feats = features()
    holder = ConfigHolder(load_config(config, feats), feats)
    before = holder.current
    (config.parent / name).write_text("", encoding="utf-8")
    assert await holder.refresh() is False
    assert holder.current is before
    assert holder.last_error is not None
    assert any("the rule file is empty" in str(i) for i in holder.last_error.issues)


async def test_reload_waits_until_the_file_is_stable(config: Path) -> None:
    """An editor that truncates then writes: the watcher sees the empty file, but it
    changes again within the settle time, so only the finished file is loaded."""
    feats = features()
    holder = ConfigHolder(load_config(config, feats), feats)
    speeddial = config.parent / "speeddial.yaml"
    good = speeddial.read_text(encoding="utf-8")
    watcher = asyncio.create_task(holder.watch(interval=0.05, settle=0.5))
    try:
        speeddial.write_text("", encoding="utf-8")  # truncated...
        await asyncio.sleep(0.3)  # ...seen by the watcher, not yet stable
        speeddial.write_text(good.replace("Accueil", "Reception"), encoding="utf-8")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while holder.reloads == 0:
            if loop.time() > deadline:
                raise TimeoutError("the finished file was never reloaded")
            await asyncio.sleep(0.05)
    finally:
        watcher.cancel()
    assert holder.reloads == 1 and holder.failed_reloads == 0
    assert holder.last_error is None
