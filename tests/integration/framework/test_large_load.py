"""A large config pauses the cyclic collector while it loads; only a load that worked is frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.time_rules import TimeRulesFeature
from autocom import loader
from autocom.config import ConfigError

SITE = """\
contexts:
  - name: compta
    users: 2001-2090
users:
  - {extension: '2001', name: DUPONT, context: compta, devices: [a]}
"""
GOOD = "classes:\n  staff:\n    default: allow\nassign:\n  default: staff\n"


@pytest.fixture
def every_config_large(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(loader, "LARGE_CONFIG_BYTES", 0)
    yield
    gc.unfreeze()  # give the test process back what the good load froze


def write(tmp_path: Path, rights: str) -> Path:
    (tmp_path / "autocom.yaml").write_text("site: site.yaml\nrules:\n  time_rules: rights.yaml\n")
    (tmp_path / "site.yaml").write_text(SITE)
    (tmp_path / "rights.yaml").write_text(rights)
    return tmp_path / "autocom.yaml"


def test_a_good_large_load_is_frozen_and_the_collector_back_on(
    every_config_large: None, tmp_path: Path
) -> None:
    before = gc.get_freeze_count()
    config = loader.load_config(write(tmp_path, GOOD), [TimeRulesFeature()])
    assert config.rules["time_rules"].classes.keys() == {"staff"}
    assert gc.get_freeze_count() > before
    assert gc.isenabled()


def test_a_failed_large_load_freezes_nothing(every_config_large: None, tmp_path: Path) -> None:
    before = gc.get_freeze_count()
    with pytest.raises(ConfigError):
        loader.load_config(write(tmp_path, GOOD.replace("allow", "perhaps")), [TimeRulesFeature()])
    assert gc.get_freeze_count() == before
    assert gc.isenabled()


def test_a_small_config_leaves_the_collector_alone(tmp_path: Path) -> None:
    before = gc.get_freeze_count()
    loader.load_config(write(tmp_path, GOOD), [TimeRulesFeature()])
    assert gc.get_freeze_count() == before
