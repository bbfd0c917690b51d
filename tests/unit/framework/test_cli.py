"""The autocom command: check lists every error with file:line and exits 1."""

import gc
from pathlib import Path

import pytest

from autocom import __version__
from autocom.cli import GC_YOUNG, main, tune_gc

SITE = """\
contexts:
  - name: compta
    users: 2001-2090
users:
  - {extension: '2001', name: DUPONT, first_name: Jean, context: compta, devices: [a, b]}
"""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"], features=[]) == 0
    assert capsys.readouterr().out.strip() == f"autocom {__version__}"


def test_check_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "autocom.yaml").write_text("site: site.yaml\n")
    (tmp_path / "site.yaml").write_text(SITE)
    assert main(["-c", str(tmp_path / "autocom.yaml"), "check"], features=[]) == 0
    assert "1 users" in capsys.readouterr().out


def test_check_lists_every_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "autocom.yaml").write_text("timezone: Europe/Nowhere\nagi:\n  port: '99999'\n")
    assert main(["-c", str(tmp_path / "autocom.yaml"), "check"], features=[]) == 1
    err = capsys.readouterr().err
    assert "autocom.yaml:1: timezone" in err
    assert "autocom.yaml:3: agi.port" in err
    assert "2 error(s)" in err


def test_check_missing_site_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "autocom.yaml").write_text("site: nowhere.yaml\n")
    assert main(["-c", str(tmp_path / "autocom.yaml"), "check"], features=[]) == 1
    assert "nowhere.yaml: cannot read file" in capsys.readouterr().err


def test_serve_refuses_a_bad_now(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "autocom.yaml").write_text("site: site.yaml\n")
    (tmp_path / "site.yaml").write_text(SITE)
    assert main(["-c", str(tmp_path / "autocom.yaml"), "serve", "--now", "noon"], features=[]) == 2
    assert "ISO 8601" in capsys.readouterr().err


def test_cli_clock_is_in_the_site_zone(tmp_path: Path) -> None:
    from autocom.context import CliContext

    (tmp_path / "autocom.yaml").write_text("site: site.yaml\ntimezone: America/Cayenne\n")
    (tmp_path / "site.yaml").write_text(SITE)
    cli = CliContext(tmp_path / "autocom.yaml", ())
    assert cli.clock.tz.key == "America/Cayenne"
    assert cli.clock.now().utcoffset() is not None
    assert cli.clock.now().utcoffset().total_seconds() == -3 * 3600  # type: ignore[union-attr]


@pytest.mark.parametrize("command", [["check"], ["serve"], ["dialplan"]])
def test_no_config_found_is_an_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    """Outside a config folder, with no system config: say so, exit non-zero; never
    check the packaged examples and say OK."""
    import autocom.cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUTOCOM_CONFIG", raising=False)
    monkeypatch.setattr(autocom.cli, "SYSTEM_CONFIG", tmp_path / "etc" / "autocom.yaml")
    assert main(command, features=[]) == 2
    captured = capsys.readouterr()
    assert "no config found" in captured.err and "./autocom.yaml" in captured.err
    assert "OK" not in captured.out and "examples" not in captured.out + captured.err


def test_config_found_here_then_in_etc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import autocom.cli

    system = tmp_path / "etc" / "autocom.yaml"
    system.parent.mkdir()
    system.write_text("site: site.yaml\n")
    (system.parent / "site.yaml").write_text(SITE)
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.delenv("AUTOCOM_CONFIG", raising=False)
    monkeypatch.setattr(autocom.cli, "SYSTEM_CONFIG", system)
    assert main(["check"], features=[]) == 0
    assert f"OK: {system}" in capsys.readouterr().out
    (here / "autocom.yaml").write_text("site: site.yaml\n")
    (here / "site.yaml").write_text(SITE)
    assert main(["check"], features=[]) == 0
    assert f"OK: {here / 'autocom.yaml'}" in capsys.readouterr().out


def test_serve_collects_cycles_only_past_ten_thousand_new_objects() -> None:
    """Fifty calls in progress (about fifty objects each) leave the collector idle
    (CPython's default threshold of 700 runs it three times meanwhile)."""
    saved = gc.get_threshold()
    runs: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            runs.append(info["generation"])

    try:
        tune_gc()
        assert gc.get_threshold() == (GC_YOUNG, *saved[1:])
        gc.collect()
        gc.callbacks.append(count)
        in_progress = [[{"call": n, "n": i} for i in range(50)] for n in range(50)]
        assert runs == [] and len(in_progress) == 50
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*saved)
