"""Loading a large rights file pauses the cyclic collector, and freezes only a load that worked."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.time_rules import rules as tr_rules
from autocom.config import ConfigError
from tests.unit.time_rules.helpers import site

GOOD = "classes:\n  staff:\n    default: allow\nassign:\n  default: staff\n"


@pytest.fixture
def every_file_large(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(tr_rules, "LARGE_FILE_BYTES", 0)
    yield
    gc.unfreeze()  # give the test process back what the good load froze


def test_a_good_large_load_is_frozen_and_the_collector_back_on(
    every_file_large: None, tmp_path: Path
) -> None:
    path = tmp_path / "rights.yaml"
    path.write_text(GOOD, encoding="utf-8")
    before = gc.get_freeze_count()
    assert tr_rules.load_rules(path, site()).classes.keys() == {"staff"}
    assert gc.get_freeze_count() > before
    assert gc.isenabled()


def test_a_failed_large_load_freezes_nothing(every_file_large: None, tmp_path: Path) -> None:
    path = tmp_path / "rights.yaml"
    path.write_text(GOOD.replace("allow", "perhaps"), encoding="utf-8")
    before = gc.get_freeze_count()
    with pytest.raises(ConfigError):
        tr_rules.load_rules(path, site())
    assert gc.get_freeze_count() == before
    assert gc.isenabled()
