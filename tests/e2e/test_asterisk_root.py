"""scripts/asterisk-root.sh: reuses a working root, builds one (exit 0, its path last on
stdout), and says why when it cannot build one.

The building path runs with a stand-in ``debootstrap`` first on PATH (named as such: the
real one needs a minute and the Debian mirror) that hard-link copies the cached root, so
the script's own ``chroot <root> /usr/sbin/asterisk -V`` check runs on the new root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
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


# --- the building path, with a stand-in for debootstrap ---------------------------------

STAND_IN = """#!/bin/sh
# Stand-in for debootstrap (the real one needs a minute and the Debian mirror): takes
# debootstrap's arguments (options, then SUITE TARGET MIRROR), records them, and
# {action}
set -eu
while [ "${{1#--}}" != "$1" ]; do echo "$1" >>"{calls}"; shift; done
echo "suite=$1 target=$2 mirror=$3" >>"{calls}"
TARGET="$2"
{body}
"""

COPY = 'cp -al "{source}/." "$TARGET/"'
FAIL = 'echo "E: Couldn\'t find these debs: asterisk"; exit 1'
HOLLOW = 'mkdir -p "$TARGET/usr/sbin"; printf "#!/bin/sh\\nexit 1\\n" >"$TARGET/usr/sbin/asterisk"'
HOLLOW += '; chmod +x "$TARGET/usr/sbin/asterisk"'


@pytest.fixture
def cache(asterisk_root: Path) -> Iterator[Path]:
    """A temporary cache folder beside the cached root, so cp -al can hard-link from it."""
    folder = Path(tempfile.mkdtemp(prefix=".test-root-", dir=asterisk_root.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def build_with(
    cache: Path, action: str, body: str, target: Path
) -> tuple[subprocess.CompletedProcess[str], str]:
    bin_dir = cache / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = cache / "calls"
    script = bin_dir / "debootstrap"
    script.write_text(STAND_IN.format(action=action, calls=calls, body=body))
    script.chmod(0o755)
    proc = run(
        {
            "AUTOCOM_ASTERISK_ROOT": str(target),
            "AUTOCOM_DEBIAN_MIRROR": "http://mirror.invalid/debian",
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        }
    )
    return proc, calls.read_text() if calls.exists() else ""


def test_a_fresh_build_exits_0_and_prints_the_root(cache: Path, asterisk_root: Path) -> None:
    target = cache / "asterisk-sid"
    action = "hard-link copies the cached root into the target."
    proc, calls = build_with(cache, action, COPY.format(source=asterisk_root), target)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(target)
    assert "building" in proc.stderr and f"built {target} (Asterisk 22" in proc.stderr
    assert "--variant=minbase" in calls and "--include=asterisk," in calls
    assert "suite=sid" in calls and "mirror=http://mirror.invalid/debian" in calls
    # the real check ran in the new root, and nothing of the build is left beside it
    assert (target / "usr" / "sbin" / "asterisk").exists()
    assert sorted(p.name for p in cache.iterdir()) == ["asterisk-sid", "bin", "calls"]


def test_a_fresh_build_replaces_a_broken_root(cache: Path, asterisk_root: Path) -> None:
    target = cache / "asterisk-sid"
    (target / "usr" / "sbin").mkdir(parents=True)
    (target / "marker").write_text("old")
    action = "hard-link copies the cached root into the target."
    proc, _ = build_with(cache, action, COPY.format(source=asterisk_root), target)
    assert proc.returncode == 0, proc.stderr
    assert "fails: rebuilding it" in proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(target)
    assert not (target / "marker").exists()
    assert not [p for p in cache.iterdir() if ".old." in p.name or p.name.startswith(".")]


def test_a_failing_debootstrap_exits_1_and_keeps_its_log(cache: Path) -> None:
    target = cache / "asterisk-sid"
    action = "fails as debootstrap does when a package is missing."
    proc, _ = build_with(cache, action, FAIL, target)
    assert proc.returncode == 1
    assert "Couldn't find these debs: asterisk" in proc.stderr
    assert "ERROR: debootstrap failed (log: " in proc.stderr
    assert proc.stdout == ""
    assert not target.exists()
    assert not [p for p in cache.iterdir() if p.is_dir() and p.name.startswith(".")]
    assert [p.name for p in cache.iterdir() if p.name.endswith(".log")]  # the log named


def test_a_root_where_asterisk_does_not_run_is_refused(cache: Path) -> None:
    target = cache / "asterisk-sid"
    action = "leaves an asterisk that does not run."
    proc, _ = build_with(cache, action, HOLLOW, target)
    assert proc.returncode == 1
    assert "debootstrap finished but 'chroot <root> /usr/sbin/asterisk -V' fails" in proc.stderr
    assert not target.exists()
