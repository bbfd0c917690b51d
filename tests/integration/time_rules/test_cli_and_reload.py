"""`autocom explain rights` / `autocom rights ...` on real files and the real SQLite
store, and a reload that keeps the last good rules."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from apps.time_rules import TimeRulesFeature
from autocom.cli import main
from autocom.loader import load_config
from autocom.reload import ConfigHolder
from autocom.rights.pins import STORE_NAMESPACE, verify_pin
from autocom.rights.rules import TimeRules
from autocom.store.sqlite_store import SqliteStore

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FEATURES = [TimeRulesFeature()]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES / "site.yaml", tmp_path / "site.yaml")
    shutil.copy(EXAMPLES / "rights.yaml", tmp_path / "rights.yaml")
    (tmp_path / "autocom.yaml").write_text(
        "timezone: Europe/Paris\nsite: site.yaml\nstate: {path: state.sqlite}\n"
        "rules:\n  time_rules: rights.yaml\n",
        encoding="utf-8",
    )
    return tmp_path / "autocom.yaml"


def run(config: Path, *argv: str) -> int:
    return main(["-c", str(config), *argv], features=FEATURES)


@pytest.mark.parametrize(
    ("caller", "number", "at", "status", "expected"),
    [
        ("2002", "000044123456789", "2026-12-25T10:00:00+01:00", 2, "decision: pin"),
        ("2002", "000044123456789", "2026-11-23T10:00:00+01:00", 0, "slot:     working_time"),
        ("5001", "00612345678", "2026-11-23T10:00:00+01:00", 1, "class:    lobby"),
        ("5001", "0112", "2026-11-23T03:00:00+01:00", 0, "category: emergency"),
    ],
)
def test_explain_exit_status(
    config: Path,
    capsys: pytest.CaptureFixture[str],
    caller: str,
    number: str,
    at: str,
    status: int,
    expected: str,
) -> None:
    assert run(config, "explain", "rights", "--from", caller, "--to", number, "--at", at) == status
    out = capsys.readouterr().out
    assert expected in out
    assert "rights.yaml:" in out or "emergency" in out


def test_explain_bad_time(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run(config, "explain", "rights", "--from", "2002", "--to", "0112", "--at", "noon")
    assert info.value.code == 64
    assert "ISO 8601" in capsys.readouterr().err


def test_check_refuses_a_zone_mismatch(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = config.read_text(encoding="utf-8").replace("Europe/Paris", "Europe/London")
    config.write_text(text, encoding="utf-8")
    assert run(config, "check") == 1
    assert "write 'timezone: Europe/London'" in capsys.readouterr().err


async def test_set_pin_and_clear_pin_in_the_sqlite_store(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("2468\n"))
    # main() runs asyncio.run() for the store: call it from a thread
    import asyncio

    assert await asyncio.to_thread(run, config, "rights", "set-pin", "2003", "--pin-stdin") == 0
    store = await SqliteStore.open(config.parent / "state.sqlite")
    try:
        stored = await store.get(STORE_NAMESPACE, "2003")
        assert stored is not None and "2468" not in stored
        assert verify_pin("2468", stored) and not verify_pin("2469", stored)
    finally:
        await store.close()
    assert await asyncio.to_thread(run, config, "rights", "clear-pin", "2003") == 0
    assert "removed" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    assert await asyncio.to_thread(run, config, "rights", "set-pin", "2003", "--pin-stdin") == 1


def test_hash_pin(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("1357\n"))
    assert run(config, "rights", "hash-pin", "--pin-stdin") == 0
    assert verify_pin("1357", capsys.readouterr().out.strip())


def test_slots_listing(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "rights", "slots", "--at", "2026-04-03T10:00") == 0  # Good Friday
    out = capsys.readouterr().out
    assert any(line.split()[:2] == ["public_holidays", "active"] for line in out.splitlines())


async def test_a_bad_edit_keeps_the_last_good_rules(config: Path) -> None:
    holder = ConfigHolder(load_config(config, FEATURES), FEATURES)
    good = holder.current.rules["time_rules"]
    assert isinstance(good, TimeRules)
    rights = config.parent / "rights.yaml"
    rights.write_text(
        rights.read_text(encoding="utf-8").replace("working_time: allow", "workin_time: allow"),
        encoding="utf-8",
    )
    assert await holder.refresh() is False
    assert holder.current.rules["time_rules"] is good
    assert holder.last_error is not None
    assert any("no time slot is called 'workin_time'" in str(i) for i in holder.last_error.issues)
