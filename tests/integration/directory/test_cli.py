"""`autocom directory search|lookup` on the example files and on a real slapd."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from apps.directory import DirectoryFeature
from autocom.cli import main
from tests.support.slapd import Slapd

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).parents[3] / "examples"


def config(folder: Path, ldap: str = "") -> Path:
    for name in ("site.yaml", "directory.yaml", "directory.csv"):
        shutil.copy(EXAMPLES / name, folder / name)
    if ldap:
        text = (folder / "directory.yaml").read_text(encoding="utf-8")
        text = text.replace(
            "    path: directory.csv     #", "    path: directory.csv\n" + ldap + " #"
        )
        (folder / "directory.yaml").write_text(text, encoding="utf-8")
    (folder / "autocom.yaml").write_text(
        "site: site.yaml\nrules: {directory: directory.yaml}\n", encoding="utf-8"
    )
    return folder / "autocom.yaml"


def run(path: Path, *args: str) -> int:
    return main(["-c", str(path), "directory", *args], [DirectoryFeature()])


def test_search_and_lookup_on_the_examples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path)
    assert run(path, "search", "lef") == 0
    out = capsys.readouterr().out
    assert "Lefèvre Hélène | Bibliothèque" in out and "Lefebvre Emma" in out
    assert run(path, "lookup", "+33 3 89 33 60 01") == 0
    out = capsys.readouterr().out
    assert "caller name: 'MARTIN Sophie - Scolarité'" in out
    assert run(path, "lookup", "0145678900") == 1
    assert "caller name: unchanged" in capsys.readouterr().out
    assert run(path, "search", "533", "--keypad") == 0
    assert "Lefèvre Hélène" in capsys.readouterr().out


def test_ldap_down_exits_2(
    tmp_path: Path, slapd: Slapd, capsys: pytest.CaptureFixture[str]
) -> None:
    ldap = f"  - {slapd.source_yaml(timeout=1)}\n"
    path = config(tmp_path, ldap)
    assert run(path, "lookup", "0388400005") == 0
    assert "Élie Jean" in capsys.readouterr().out
    slapd.stop()
    assert run(path, "search", "lefevre") == 2
    captured = capsys.readouterr()
    assert "Lefèvre Hélène" in captured.out  # the file still answers
    assert "did not answer: rh" in captured.err
