"""`autocom serve`'s log stream (issue 14, item 7): every line JSON with
--log-format json, tracebacks inside; a Redis-down start is one clear line."""

from __future__ import annotations

import json
import logging
import shutil
import signal
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from autocom.logs import Event, JsonFormatter, setup_logging
from tests.support.process import ServerProcess, accepts, free_port
from tests.support.redis_server import RedisServer

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SERVE = [sys.executable, "-c", "from autocom.cli import entry; entry()"]


def write_config(folder: Path, state: str, agi_port: int = 0, http_port: int = 0) -> Path:
    shutil.copy(EXAMPLES / "site.yaml", folder / "site.yaml")
    config = folder / "autocom.yaml"
    config.write_text(
        f"site: site.yaml\nstate: {state}\nagi: {{port: {agi_port}}}\n"
        f"http: {{port: {http_port}}}\nadmin: {{port: 0}}\n",
        encoding="utf-8",
    )
    return config


def test_redis_down_at_start_is_one_line(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "redis") as redis:
        url = redis.url
    assert not redis.running  # stopped: its port refuses connections
    config = write_config(tmp_path, f"{{backend: redis, url: '{url}'}}")
    for fmt in ("text", "json"):
        done = subprocess.run(
            [*SERVE, "-c", str(config), "serve", "--log-format", fmt],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 1
        lines = done.stderr.splitlines()
        assert len(lines) == 1, done.stderr
        assert "the state store does not answer" in lines[0] and url in lines[0]
        assert "Traceback" not in done.stderr
        if fmt == "json":
            assert json.loads(lines[0])["level"] == "CRITICAL"


def test_every_line_is_json_with_tracebacks_inside(tmp_path: Path) -> None:
    agi_port, http_port = free_port(), free_port()
    config = write_config(tmp_path, "{path: state.sqlite}", agi_port, http_port)
    log = tmp_path / "serve.log"
    process = ServerProcess("autocom serve")
    args = [*SERVE, "-c", str(config), "serve", "--log-format", "json", "-v"]
    process.start(args, lambda: accepts(agi_port), timeout=30, stderr_file=log)
    try:
        for block in (b"agi_network: yes\nagi_network_script: nosuch\n\n", b"\xff\x00junk\n\n"):
            with socket.create_connection(("127.0.0.1", agi_port), timeout=5) as sock:
                sock.sendall(block)
                sock.recv(100)
        with socket.create_connection(("127.0.0.1", http_port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n")  # aiohttp logs a traceback
            sock.recv(1000)
    finally:
        process.end(signal.SIGTERM)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 3
    records = [json.loads(line) for line in lines]  # every line, or this raises
    assert all({"ts", "level", "logger"} <= r.keys() for r in records)
    assert any("nosuch" in r.get("message", "") for r in records)
    (library,) = [r for r in records if r["logger"] == "aiohttp.server"]  # a library's line
    assert library["message"].startswith("Error handling request")
    assert "Traceback (most recent call last)" in library["traceback"]


def test_json_formatter_keeps_tracebacks_and_library_lines_on_one_line() -> None:
    formatter = JsonFormatter()
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        info = sys.exc_info()
    rec = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "bad %s", ("x",), info)
    line = formatter.format(rec)
    assert "\n" not in line
    body = json.loads(line)
    assert body["logger"] == "aiohttp.server" and body["message"] == "bad x"
    assert "RuntimeError: boom\nsecond line" in body["traceback"]
    event = logging.LogRecord("autocom.x", logging.INFO, __file__, 1, Event(a=1), None, None)
    assert json.loads(formatter.format(event))["a"] == 1


def test_warnings_and_uncaught_exceptions_go_through_the_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook)
    try:
        setup_logging(json_lines=True)
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn("old API", DeprecationWarning, stacklevel=1)
        try:
            raise ValueError("uncaught")
        except ValueError:
            sys.excepthook(*sys.exc_info())
        lines = capsys.readouterr().err.splitlines()
        records = [json.loads(line) for line in lines]
        assert records[0]["logger"] == "py.warnings" and "old API" in records[0]["message"]
        assert records[1]["logger"] == "autocom.crash"
        assert "ValueError: uncaught" in records[1]["traceback"]
    finally:
        root.handlers[:], level, sys.excepthook = saved[0], saved[1], saved[2]
        root.setLevel(level)
        logging.captureWarnings(False)
