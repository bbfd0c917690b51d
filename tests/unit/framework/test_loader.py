"""load_config: every file, every issue, one snapshot; reload keeps the last good one."""

from pathlib import Path
from typing import Any

import pytest

from autocom.config import ConfigError, ConfigIssue, RuleModel, load_yaml, validate
from autocom.feature import Feature
from autocom.loader import Config, load_config
from autocom.reload import ConfigHolder
from autocom.site.model import Site


class Codes(RuleModel):
    codes: dict[str, str] = {}


class CodesFeature(Feature):
    """A small real feature: a rule file of codes that must not be extensions."""

    name = "codes"

    def load_rules(self, path: Path | None, site: Site) -> Any:
        return validate(Codes, load_yaml(path)) if path else Codes()

    def check(self, config: Config) -> list[ConfigIssue]:
        rules: Codes = config.rules["codes"]
        return [
            ConfigIssue(str(rules.source.file if rules.source else ""), None, f"{code} is a user")
            for code in rules.codes
            if config.site.user(code)
        ]


SITE = """\
contexts:
  - name: compta
    users: 2001-2090
users:
  - {extension: '2001', name: DUPONT, first_name: Jean, context: compta, devices: [a, b]}
"""


def write(tmp: Path, main: str, site: str = SITE, codes: str | None = None) -> Path:
    (tmp / "autocom.yaml").write_text(main)
    (tmp / "site.yaml").write_text(site)
    if codes is not None:
        (tmp / "codes.yaml").write_text(codes)
    return tmp / "autocom.yaml"


def test_loads_everything(tmp_path: Path) -> None:
    path = write(tmp_path, "rules:\n  codes: codes.yaml\n", codes="codes:\n  '8001': x\n")
    config = load_config(path, [CodesFeature()])
    assert config.site.user("2001") is not None
    assert config.rules["codes"].codes == {"8001": "x"}
    assert set(config.files) == {path, tmp_path / "site.yaml", tmp_path / "codes.yaml"}


def test_collects_issues_of_every_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rules:\n  codes: codes.yaml\n  nosuch: x.yaml\n",
        site="users:\n  - {extension: 'abc', name: X, context: nowhere}\n",
        codes="codes: [1]\n",
    )
    with pytest.raises(ConfigError) as err:
        load_config(path, [CodesFeature()])
    text = str(err.value)
    assert "no feature is called 'nosuch'" in text
    assert "site.yaml:2" in text
    assert "codes.yaml:1" in text


def test_cross_checks_run(tmp_path: Path) -> None:
    path = write(tmp_path, "rules:\n  codes: codes.yaml\n", codes="codes:\n  '2001': x\n")
    with pytest.raises(ConfigError, match="2001 is a user"):
        load_config(path, [CodesFeature()])


async def test_reload_swaps_whole_or_keeps_last_good(tmp_path: Path) -> None:
    path = write(tmp_path, "rules:\n  codes: codes.yaml\n", codes="codes:\n  '8001': x\n")
    features = [CodesFeature()]
    holder = ConfigHolder(load_config(path, features), features)
    first = holder.current
    assert not holder.changed()

    (tmp_path / "codes.yaml").write_text("codes:\n  '8001': x\n  '8002': y\n")
    assert holder.changed()
    assert await holder.refresh() is True
    assert holder.current is not first
    assert set(holder.current.rules["codes"].codes) == {"8001", "8002"}

    good = holder.current
    (tmp_path / "codes.yaml").write_text("codes: [broken\n")
    assert await holder.refresh() is False
    assert holder.current is good
    assert holder.last_error is not None and holder.failed_reloads == 1
    assert not holder.changed()  # a refused edit is not retried until the file changes again
    await holder.close()


class FileOnlyCodes(CodesFeature):
    """The same feature, declaring its rules come from its file and the site only."""

    rules_from_file_only = True


async def test_reload_keeps_what_was_loaded_from_unchanged_files(tmp_path: Path) -> None:
    path = write(tmp_path, "rules:\n  codes: codes.yaml\n", codes="codes:\n  '8001': x\n")
    reused, rebuilt = FileOnlyCodes(), CodesFeature()
    for feature, kept in ((reused, True), (rebuilt, False)):
        holder = ConfigHolder(load_config(path, [feature]), [feature])
        first = holder.current
        assert await holder.refresh() is True  # nothing changed (a SIGHUP)
        assert holder.current is not first
        assert holder.current.site is first.site  # site.yaml did not change
        assert (holder.current.rules["codes"] is first.rules["codes"]) is kept
        await holder.close()

    holder = ConfigHolder(load_config(path, [reused]), [reused])
    first = holder.current
    (tmp_path / "codes.yaml").write_text("codes:\n  '8002': y\n")  # the rule file changed
    assert await holder.refresh() is True
    assert holder.current.site is first.site
    assert set(holder.current.rules["codes"].codes) == {"8002"}

    second = holder.current
    more = "  - {extension: '2002', name: B, context: compta}\n"
    (tmp_path / "site.yaml").write_text(SITE + more)
    assert await holder.refresh() is True  # the site changed: the rules are loaded against it
    assert holder.current.site is not second.site and holder.current.site.user("2002")
    assert holder.current.rules["codes"] is not second.rules["codes"]

    (tmp_path / "codes.yaml").write_text("codes:\n  '2002': taken\n")
    assert await holder.refresh() is False  # checks still run on what is kept or new
    assert holder.current.rules["codes"].codes == {"8002": "y"}
    await holder.close()


def test_overlapping_pauses_put_the_collector_and_switch_interval_back() -> None:
    import gc
    import sys

    from autocom.loader import SWITCH_INTERVAL, collector_paused

    interval, enabled = sys.getswitchinterval(), gc.isenabled()
    reload, sync = collector_paused(True), collector_paused(True, freeze=False)
    reload.__enter__()  # a reload in a thread, then a sync in the loop
    sync.__enter__()
    assert not gc.isenabled() and sys.getswitchinterval() == SWITCH_INTERVAL
    reload.__exit__(None, None, None)  # the reload ends first: still paused
    assert not gc.isenabled() and sys.getswitchinterval() == SWITCH_INTERVAL
    sync.__exit__(None, None, None)
    assert (sys.getswitchinterval(), gc.isenabled()) == (interval, enabled)
    gc.unfreeze()
