"""A real PostgreSQL (Debian's postgresql package) for tests: 127.0.0.1, a free port.

``PostgresServer(folder)`` runs ``initdb`` then ``postgres`` as the ``postgres``
system user (``runuser``: the server refuses to run as root), with its data and
its Unix socket in ``folder`` (created with ``tempfile.mkdtemp`` and given to that
user) and fsync off.  The superuser is ``autocom``, trusted on loopback.

Fixtures (listed in tests/conftest.py's pytest_plugins):

- ``postgres_server`` (session): one server for the whole run, stopped at the end;
- ``postgres_dsn``: a fresh database on it for one test (``postgresql://...``).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.process import ManagedServer, ServerProcess, free_port

START_TIMEOUT = 30.0
_databases = itertools.count(1)


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(
            f"PostgreSQL's {name} not found: install Debian's postgresql package "
            "(make debs-test does)"
        )
    return found[-1]


class PostgresServer(ManagedServer):
    def __init__(self, folder: Path | None = None, *, port: int | None = None) -> None:
        self.folder = folder or Path(tempfile.mkdtemp(prefix="autocom-pg-"))
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.user = "autocom"
        self._process = ServerProcess(f"postgres on port {self.port}")

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def _as_postgres(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args]

    def init(self) -> None:
        owner = pwd.getpwnam("postgres")
        os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            self._as_postgres(
                pg_bin("initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust",
                "--no-sync", "-E", "UTF8", "--locale", "C",
            ),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        if not self.data.exists():
            self.init()
        args = self._as_postgres(
            pg_bin("postgres"), "-D", str(self.data), "-h", self.host, "-p", str(self.port),
            "-k", str(self.folder), "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
        )  # fmt: skip
        self._process.start(
            args, self.ready, timeout=START_TIMEOUT, interval=0.1,
            stderr_file=self.folder / "postgres.log",
        )  # fmt: skip

    def ready(self) -> bool:
        result = subprocess.run(
            [pg_bin("pg_isready"), "-h", self.host, "-p", str(self.port), "-U", self.user],
            capture_output=True, timeout=5,
        )  # fmt: skip
        return result.returncode == 0

    def psql(self, sql: str, database: str = "postgres") -> str:
        return subprocess.run(
            [pg_bin("psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql,
             self.dsn(database)],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip

    def stop(self) -> None:
        """Fast shutdown (pg_ctl -m fast: open sessions are ended; a SIGTERM to
        runuser would only ask for a smart one, which waits for every client)."""
        self._pg_ctl_stop("fast")

    def kill(self) -> None:
        """Immediate shutdown, as a crash (pg_ctl -m immediate)."""
        self._pg_ctl_stop("immediate")

    def _pg_ctl_stop(self, mode: str) -> None:
        if self._process.running:
            subprocess.run(
                self._as_postgres(pg_bin("pg_ctl"), "stop", "-D", str(self.data), "-m", mode,
                                  "-w", "-t", "30"),
                capture_output=True, timeout=60,
            )  # fmt: skip
        self._process.end()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if os.geteuid() != 0:
        pytest.fail("the PostgreSQL tests run postgres with runuser: run them as root")
    server = PostgresServer()
    try:
        server.start()
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        server.cleanup()
        pytest.fail(f"PostgreSQL did not start: {exc}", pytrace=False)
    yield server
    server.cleanup()


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> str:
    name = f"test_{os.getpid()}_{next(_databases)}"
    postgres_server.psql(f"CREATE DATABASE {name}")
    return postgres_server.dsn(name)
