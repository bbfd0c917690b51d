"""`autocom serve` as a site runs it, for the benchmarks (a real process, loopback only).

``autocom_serve`` copies examples/' rule files (time rules, speed dials, forwards;
no ARI link) into a temporary folder, writes an autocom.yaml on free loopback
ports, starts `autocom serve` with its default logging (the session and audit
JSON lines on stderr, which goes to ``serve.log`` in that folder, as a service
manager would send it to a file) and yields ``(pid, FastAGI port)``; it stops the
server with SIGTERM when the block ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # everything stays on loopback


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def write_config(folder: Path, port: int, agi: str) -> Path:
    for name in ("site.yaml", "rights.yaml", "speeddial.yaml", "forwards.yaml"):
        shutil.copy(ROOT / "examples" / name, folder / name)
    path = folder / "autocom.yaml"
    path.write_text(
        f"timezone: Europe/Paris\nsite: site.yaml\nstate: {{path: state.sqlite}}\n"
        f"agi: {{host: {HOST}, port: {port}{', ' + agi if agi else ''}}}\n"
        f"http: {{host: {HOST}, port: {free_port()}}}\n"
        f"admin: {{host: {HOST}, port: {free_port()}}}\n"
        "rules: {time_rules: rights.yaml, speed_dial: speeddial.yaml, "
        "forwards: forwards.yaml}\n",
        encoding="utf-8",
    )
    return path


def _wait_listening(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"autocom serve did not start: see {log}")
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)


@contextmanager
def autocom_serve(
    agi: str = "", files: int = 4096, core: int | None = None, source: Path | None = None
) -> Iterator[tuple[int, int]]:
    """`autocom serve` on a copy of examples/ without its ARI section: (pid, FastAGI port).

    ``agi``: extra ``agi:`` settings (YAML flow items); ``core``: pin the server there;
    ``source``: serve the autocom of that checkout (e.g. ``git archive main`` unpacked)."""
    with tempfile.TemporaryDirectory(prefix="autocom-serve-") as tmp:
        folder = Path(tmp)
        port = free_port()
        config = write_config(folder, port, agi)
        log_path = folder / "serve.log"
        log = log_path.open("wb")
        cmd = [sys.executable, "-c", "from autocom.cli import entry; entry()"]
        pin = None if core is None else (lambda: os.sched_setaffinity(0, {core}))
        server = subprocess.Popen(
            ["prlimit", f"--nofile={files}:{files}", "--", *cmd, "-c", str(config), "serve"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=folder,
            preexec_fn=pin,
            env=None if source is None else {**os.environ, "PYTHONPATH": str(source)},
        )
        try:
            _wait_listening(server, port, log_path)
            yield server.pid, port
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()
