"""`autocom explain forward` on a copy of examples/: it prints as `explain rights`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autocom.cli import main

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
AT = "2026-11-23T10:00:00+01:00"  # a Monday, office hours


@pytest.fixture
def config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(EXAMPLES, folder)
    return folder / "autocom.yaml"


def run(config: Path, *args: str) -> int:
    return main(["-c", str(config), *args])


def _fields(out: str) -> list[str]:
    """Every line but the caller line (explain rights names the caller's class selector)."""
    return [line for line in out.splitlines() if not line.startswith("caller:")]


@pytest.mark.parametrize(
    ("user", "to", "status"), [("2002", "00612345678", 0), ("5001", "00612345678", 1)]
)
def test_explain_forward_prints_as_explain_rights(
    config: Path, capsys: pytest.CaptureFixture[str], user: str, to: str, status: int
) -> None:
    assert (
        run(
            config,
            "explain",
            "rights",
            "--from",
            user,
            "--to",
            to,
            "--at",
            AT,
            "--purpose",
            "forward",
        )
        == status
    )
    rights = capsys.readouterr().out
    assert run(config, "explain", "forward", "--user", user, "--to", to, "--at", AT) == status
    forward = capsys.readouterr().out
    assert f"caller:   {user} (the forwarding user)" in forward.splitlines()
    assert _fields(forward)[2:] == _fields(rights)[2:]  # from "dialed:" on: the same lines
    assert _fields(forward)[0] == _fields(rights)[0]  # decision
    if status == 0:
        assert forward == rights.replace(
            rights.splitlines()[2], f"caller:   {user} (the forwarding user)"
        )


@pytest.mark.parametrize(
    ("to", "reason", "category"),
    [
        ("112", "112 is an emergency number", "category: emergency"),
        ("2002", "2002 cannot forward to itself", "category: internal"),
        ("abc", "destination 'abc' is not a number", "category: -"),
    ],
)
def test_explain_forward_refusals_of_the_forward_engine(
    config: Path, capsys: pytest.CaptureFixture[str], to: str, reason: str, category: str
) -> None:
    assert run(config, "explain", "forward", "--user", "2002", "--to", to, "--at", AT) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "decision: deny"
    assert lines[1].startswith(f"reason:   {reason}")
    assert category in lines
    assert f"at:       {AT}" in lines


def test_explain_forward_bad_time(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run(config, "explain", "forward", "--user", "2002", "--to", "2001", "--at", "noon")
    assert info.value.code == 64
    assert "ISO 8601" in capsys.readouterr().err
