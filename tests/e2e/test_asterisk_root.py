"""scripts/asterisk-root.sh: reuses a working root, and says why when it cannot build one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.asterisk import ROOT_SCRIPT

pytestmark = pytest.mark.e2e


def run(env: dict[str, str], *, user: str | None = None) -> subprocess.CompletedProcess[str]:
    command = ["sh", str(ROOT_SCRIPT)]
    if user is not None:
        assignments = " ".join(f"{k}={v}" for k, v in env.items())
        command = ["su", user, "-s", "/bin/sh", "-c", f"{assignments} sh {ROOT_SCRIPT}"]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, **env} if user is None else None,
        timeout=120,
        check=False,
    )


def test_reuses_the_working_root(asterisk_root: Path) -> None:
    proc = run({"AUTOCOM_ASTERISK_ROOT": str(asterisk_root)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(asterisk_root)
    assert "reusing" in proc.stderr and "Asterisk 22" in proc.stderr


def test_unreachable_mirror_fails_clearly_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "asterisk-sid"
    proc = run(
        {"AUTOCOM_ASTERISK_ROOT": str(target), "AUTOCOM_DEBIAN_MIRROR": "http://127.0.0.1:9/debian"}
    )
    assert proc.returncode == 1
    assert "could not download from http://127.0.0.1:9/debian (network?)" in proc.stderr
    assert not target.exists()
    assert not [p for p in target.parent.iterdir() if p.is_dir()]  # the temp build is gone


def test_a_broken_root_is_not_replaced_by_a_failed_build(tmp_path: Path) -> None:
    target = tmp_path / "asterisk-sid"
    (target / "usr" / "sbin").mkdir(parents=True)
    (target / "marker").write_text("old")
    proc = run(
        {"AUTOCOM_ASTERISK_ROOT": str(target), "AUTOCOM_DEBIAN_MIRROR": "http://127.0.0.1:9/debian"}
    )
    assert proc.returncode == 1
    assert "fails: rebuilding it" in proc.stderr
    assert (target / "marker").read_text() == "old"


def test_without_debootstrap(tmp_path: Path) -> None:
    proc = run({"AUTOCOM_ASTERISK_ROOT": str(tmp_path / "r"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    assert "debootstrap is not installed: apt-get install debootstrap" in proc.stderr


def test_without_root_privileges(tmp_path: Path) -> None:
    user = "nobody" if os.geteuid() == 0 else None  # already unprivileged: run as is
    proc = run({"AUTOCOM_ASTERISK_ROOT": str(tmp_path / "r")}, user=user)
    assert proc.returncode == 1
    assert "needs root privileges" in proc.stderr
