"""`autocom calls list|report|catch-up|retention` on a real ticket store and backlog."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from apps.accounting import AccountingFeature
from autocom.cli import main
from tests.integration.accounting.test_backlog import append, row
from tests.integration.accounting.test_http import write_backlog
from tests.unit.accounting.samples import answered_call

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).parents[3] / "examples"


def config(folder: Path) -> Path:
    shutil.copy(EXAMPLES / "site.yaml", folder / "site.yaml")
    (folder / "autocom.yaml").write_text(
        "site: site.yaml\nstate: {path: state.sqlite}\nrules: {accounting: accounting.yaml}\n"
    )
    (folder / "accounting.yaml").write_text(
        "backlog: cel.sqlite.db\nstorage: {path: calls.sqlite}\n"
        "tariffs: [{category: internal, setup: '0.02'}]\n"
        "retention: {mask_external_after_months: 1}\n"
    )
    write_backlog(folder / "cel.sqlite.db")
    append(folder / "cel.sqlite.db", [row(e) for e in answered_call(talk=42.0)])
    return folder / "autocom.yaml"


def run(path: Path, *args: str) -> int:
    return main(["-c", str(path), "calls", *args], [AccountingFeature()])


def test_catch_up_then_list_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config(tmp_path)
    assert run(path, "catch-up") == 0
    assert "catch-up: 21 events read" in capsys.readouterr().out
    assert run(path, "list", "--user", "2001", "--since", "2026-12-01", "--csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["caller"], r["called"], r["answered_by"], r["talk_seconds"]) for r in rows] == [
        ("2002", "2001", "2001", "42")
    ]
    assert run(path, "list", "--user", "2001", "--role", "missed") == 0
    assert capsys.readouterr().out.splitlines()[1:] == []  # the header only
    assert run(path, "report", "--by", "department", "--month", "2026-12") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "key",
        "department",
        "cost_center",
        "calls",
        "answered",
        "talk_seconds",
        "cost",
    ]
    assert table[1].split() == ["Scolarité", "Scolarité", "1", "1", "42", "0.0200"]
    assert run(path, "retention") == 0
    assert "retention: 0 tickets changed" in capsys.readouterr().out  # too recent
    assert run(path, "retention", "--now", "2027-02-01") == 0
    assert "retention: 1 tickets changed" in capsys.readouterr().out


def test_bad_month_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(config(tmp_path), "report", "--month", "janvier")
    assert "write a month like 2027-01" in capsys.readouterr().err
