"""The Debian package (make deb): installed with dpkg in a Debian 12 root, checked, run.

The package is built by scripts/build-deb.sh (pip's cache kept in
/var/cache/autocom/pip) and installed with ``dpkg -i`` in a hard-link copy of the
cached bookworm root (scripts/bookworm-root.sh builds it when missing), so the cache
stays clean.  There: ``autocom check`` on the packaged /etc/autocom, the unit's own
ExecStart run as its User (chroot --userspec) until /livez and FastAGI answer, then
SIGTERM; an upgrade keeps an edited conffile; ``systemd-analyze verify`` (the host's
systemd, ``--root`` the copy) passes on the unit.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.process import free_port

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[3]
UNIT = "/lib/systemd/system/autocom.service"


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def last_line(proc: subprocess.CompletedProcess[str], what: str) -> Path:
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return Path(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def bookworm_root() -> Path:
    if os.geteuid() != 0:
        pytest.fail("the package test installs with dpkg in a chroot: run it as root")
    return last_line(
        run("sh", str(PROJECT / "scripts" / "bookworm-root.sh"), timeout=900), "bookworm-root.sh"
    )


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    return last_line(run("sh", str(PROJECT / "scripts" / "build-deb.sh"), str(out)), "make deb")


@pytest.fixture(scope="module")
def root(bookworm_root: Path, deb: Path) -> Iterator[Path]:
    """A hard-link copy of the cached root with the package installed."""
    copy = Path(tempfile.mkdtemp(prefix=".test-deb-", dir=bookworm_root.parent))
    try:
        assert run("cp", "-al", f"{bookworm_root}/.", str(copy)).returncode == 0
        copy.chmod(0o755)
        shutil.copy(deb, copy / "tmp" / deb.name)
        proc = run("chroot", str(copy), "dpkg", "-i", f"/tmp/{deb.name}")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        yield copy
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def in_root(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run("chroot", str(root), *args)


def test_the_package_lays_out_its_files_user_and_conffiles(root: Path) -> None:
    conffiles = in_root(root, "dpkg-query", "-W", "-f=${Conffiles}", "autocom").stdout
    assert "/etc/autocom/autocom.yaml" in conffiles and "/etc/autocom/rights.yaml" in conffiles
    assert (root / "usr/share/autocom/dialplan/autocom.conf").is_file()
    assert os.readlink(root / "usr/bin/autocom") == "/opt/autocom/venv/bin/autocom"
    assert in_root(root, "getent", "passwd", "autocom").stdout.startswith("autocom:")
    assert in_root(root, "stat", "-c", "%a %U:%G", "/etc/autocom").stdout.split() == [
        "750",
        "root:autocom",
    ]
    config = (root / "etc/autocom/autocom.yaml").read_text()
    assert "path: /var/lib/autocom/autocom.sqlite" in config  # writable under ProtectSystem
    version = in_root(root, "/usr/bin/autocom", "version")
    assert version.returncode == 0 and version.stdout.startswith("autocom ")


def test_autocom_check_passes_on_the_packaged_config(root: Path) -> None:
    proc = in_root(
        root, "/opt/autocom/venv/bin/autocom", "-c", "/etc/autocom/autocom.yaml", "check"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK: /etc/autocom/autocom.yaml")


def exec_start(root: Path) -> list[str]:
    lines = (root / UNIT.lstrip("/")).read_text().splitlines()
    [command] = [line.split("=", 1)[1] for line in lines if line.startswith("ExecStart=")]
    return shlex.split(command)


def get_json(url: str) -> dict[str, object]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            body: dict[str, object] = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read())
    return body


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def test_the_units_exec_start_serves_as_its_user_and_stops_on_sigterm(root: Path) -> None:
    config = root / "etc/autocom/autocom.yaml"
    agi, http, admin = free_port(), free_port(), free_port()  # the admin edits the ports
    text = config.read_text().replace("port: 4573", f"port: {agi}")
    config.write_text(
        text.replace("port: 9088", f"port: {http}").replace("port: 9089", f"port: {admin}")
    )
    command = ["chroot", "--userspec=autocom:autocom", str(root), *exec_start(root)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not (answers(agi) and answers(admin)) and time.monotonic() < deadline:
            assert server.poll() is None, server.communicate()[1]
            time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{admin}/livez", timeout=5) as resp:
            assert resp.status == 200
        health = get_json(f"http://127.0.0.1:{admin}/healthz")  # 200, or 503 and why
        assert health["config_hash"] and health["version"]
        owner = in_root(root, "stat", "-c", "%U", "/var/lib/autocom/autocom.sqlite").stdout
        assert owner.strip() == "autocom"  # the state lives where the unit may write
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=40)
    assert server.returncode == 0, stderr[-2000:]
    assert "autocom stopping" in stderr  # the log goes to stderr: the journal


def test_an_upgrade_keeps_the_edited_conffile(root: Path, deb: Path) -> None:
    config = root / "etc/autocom/autocom.yaml"
    config.write_text(config.read_text() + "# edited by the admin\n")
    untouched = (root / "etc/autocom/rights.yaml").read_text()
    proc = in_root(root, "dpkg", "-i", "--force-confold", f"/tmp/{deb.name}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert config.read_text().endswith("# edited by the admin\n")
    assert (root / "etc/autocom/rights.yaml").read_text() == untouched


def test_systemd_analyze_verify_passes_on_the_unit(root: Path) -> None:
    proc = run("systemd-analyze", "verify", f"--root={root}", "autocom.service")
    assert proc.returncode == 0, proc.stderr
    assert "autocom.service" not in proc.stderr, proc.stderr
