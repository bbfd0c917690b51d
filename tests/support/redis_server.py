"""A real redis-server for tests: 127.0.0.1, a free port, a temporary folder.

Fixtures (listed in tests/conftest.py's pytest_plugins):

- ``redis_server``: a private server for one test.  The test may ``stop()`` it
  (SIGTERM), ``kill()`` it (SIGKILL), ``pause()`` it (SIGSTOP: the port still
  accepts connections but nothing answers, a hung Redis), ``resume()`` it and
  ``start()`` it again on the same port, to show what a dead or hung Redis does.
- ``redis_url``: ``redis_server.url`` (``redis://127.0.0.1:<port>/0``).
- ``redis_server_factory``: ``factory(appendonly=False)`` starts more servers
  (each stopped at the end of the test), e.g. one with an append-only file.

``RedisServer`` can also be used directly (``with RedisServer(folder) as server``),
e.g. by bench/ scripts.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.support.process import ManagedServer, ServerProcess, free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
START_TIMEOUT = 10.0  # seconds for redis-server to answer PING


class RedisServer(ManagedServer):
    """One redis-server process bound to 127.0.0.1 with its files in ``folder``."""

    def __init__(
        self,
        folder: Path,
        *,
        port: int | None = None,
        appendonly: bool = False,
        password: str = "",
        extra: Sequence[str] = (),
    ) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.appendonly = appendonly
        self.password = password  # requirepass and masterauth (replicas, Sentinel tests)
        self.extra = tuple(extra)  # more redis-server options, e.g. --replicaof HOST PORT
        self._process = ServerProcess(f"redis-server on port {self.port}")

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def log_file(self) -> Path:
        return self.folder / "redis.log"

    def start(self) -> None:
        """Start the server (again, on the same port) and wait until it answers PING."""
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [
            REDIS_SERVER,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.folder),
            "--logfile", str(self.log_file),
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "always",
            "--protected-mode", "yes",
        ]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password, "--masterauth", self.password]
        args += self.extra
        self._process.start(args, self.ping, timeout=START_TIMEOUT, log=self.log_file)

    def ping(self, timeout: float = 0.5) -> bool:
        """True if the server answers PING now (a plain socket, no client library)."""
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
                if self.password:
                    sock.sendall(f"AUTH {self.password}\r\n".encode())
                    if not sock.recv(64).startswith(b"+OK"):
                        return False
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def command(self, *words: str) -> bytes:
        """Send one inline command with redis-cli and return its raw output."""
        auth = ["--no-auth-warning", "-a", self.password] if self.password else []
        return subprocess.run(
            ["redis-cli", "-h", self.host, "-p", str(self.port), *auth, *words],
            check=True,
            capture_output=True,
            timeout=5,
        ).stdout


def start_redis(folder: Path, *, appendonly: bool = False, attempts: int = 5) -> RedisServer:
    """Start a server on a free port, trying another port if one was taken meanwhile."""
    for attempt in range(attempts):
        server = RedisServer(folder / f"redis-{attempt}", appendonly=appendonly)
        try:
            server.start()
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            continue
        return server
    raise AssertionError("unreachable")


@pytest.fixture
def redis_server_factory(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    servers: list[RedisServer] = []

    def factory(*, appendonly: bool = False) -> RedisServer:
        server = start_redis(tmp_path / f"server-{len(servers)}", appendonly=appendonly)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.kill()


@pytest.fixture
def redis_server(redis_server_factory: Callable[..., RedisServer]) -> RedisServer:
    server: RedisServer = redis_server_factory()
    return server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url
