"""HTTP cannot starve FastAGI (issue 14, item 1).

`autocom serve` runs as its own process under a file limit of 1024 (prlimit),
so the limit is the server's.  1,100 half-sent HTTP requests are held open from
100 addresses while calls go on through FastAGI: the phone listener's caps
refuse the surplus, the file budget keeps FastAGI's share, and no call fails.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.agi.fake_asterisk import asterisk_answer, fake_call
from tests.support.process import ServerProcess, accepts, free_port, raise_file_limit
from tests.unit.agi.samples import env_with

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
HALF_OPEN = 1100
CALLS = 300


@pytest.fixture
def client_file_limit() -> None:
    """This test process holds the 1,100 client sockets: room for them."""
    raise_file_limit(4096)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    """`autocom serve` under `prlimit --nofile=1024:1024`: (FastAGI port, HTTP port, log)."""
    for name in ("site.yaml", "rights.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    agi_port, http_port, admin_port = free_port(), free_port(), free_port()
    config = tmp_path / "autocom.yaml"
    config.write_text(
        f"timezone: Europe/Paris\nsite: site.yaml\nstate: {{path: state.sqlite}}\n"
        f"agi: {{port: {agi_port}, max_sessions: 300}}\n"
        f"http: {{port: {http_port}, header_timeout: 60}}\n"
        f"admin: {{port: {admin_port}}}\n"
        "rules: {time_rules: rights.yaml}\n",
        encoding="utf-8",
    )
    log = tmp_path / "serve.log"
    process = ServerProcess("autocom serve")
    args = ["prlimit", "--nofile=1024:1024", "--", sys.executable, "-c",
            "from autocom.cli import entry; entry()", "-c", str(config), "serve"]  # fmt: skip
    process.start(args, lambda: accepts(admin_port), timeout=30, stderr_file=log)
    try:
        yield agi_port, http_port, log
    finally:
        process.end()


async def _half_open(port: int, source: str) -> asyncio.StreamWriter | None:
    """A request whose headers never end; None when the server refused the connection."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        writer.write(b"GET /directory/yealink?term=du HTTP/1.1\r\nHost: autocom\r\n")
        await writer.drain()
    except OSError:
        return None
    return writer


async def _call(port: int) -> str:
    answer = asterisk_answer({"CALLERID(num)": "2001"})
    env = env_with(network_script="rights", callerid="2001", arg_1="2001", arg_2="0388112233")
    return (await fake_call(port, "rights", answer, env=env)).status


@pytest.mark.usefixtures("client_file_limit")
async def test_half_open_http_requests_leave_fastagi_serving(
    served: tuple[int, int, Path],
) -> None:
    agi_port, http_port, log = served
    sources = [f"127.0.1.{i}" for i in range(1, 101)]
    held = await asyncio.gather(
        *(_half_open(http_port, sources[i % len(sources)]) for i in range(HALF_OPEN))
    )
    writers = [w for w in held if w is not None]
    try:
        statuses: list[str] = []
        for _ in range(CALLS // 50):  # 50 calls at a time, as a busy Asterisk makes them
            statuses += await asyncio.gather(*(_call(agi_port) for _ in range(50)))
        assert statuses == ["SUCCESS"] * CALLS
    finally:
        for writer in writers:
            writer.close()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Too many open files" not in text
    assert "phone HTTP: refusing connections (512 connections open" in text
