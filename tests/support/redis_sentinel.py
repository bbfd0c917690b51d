"""A real Redis Sentinel setup on loopback: 1 master, 1 replica, 3 sentinels.

``SentinelSet(folder).start()`` starts redis-server twice (the second with
``--replicaof``, both with ``requirepass``) and redis-sentinel three times
(``down-after-milliseconds`` 400, quorum 2), and returns once the replica is in
sync and every sentinel knows the replica and the two other sentinels, so a
failover can start at once.  ``kill_master()`` SIGKILLs the master;
``wait_failover()`` waits until the sentinels name the replica; ``restart_old()``
starts the old master again, empty, on its port as a replica of the new master.
Used by tests/integration/store/test_redis_sentinel.py.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.support.process import ManagedServer, ServerProcess, free_port
from tests.support.redis_server import RedisServer

REDIS_SENTINEL = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"
SERVICE = "autocom"
PASSWORD = "s3cret-sentinel-test"
# a replica's full sync starts at once (the default waits 5 s for more replicas)
NO_SYNC_DELAY = ("--repl-diskless-sync-delay", "0")


def redis_cli(port: int, *words: str, password: str = "") -> str:
    auth = ["--no-auth-warning", "-a", password] if password else []
    return subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *auth, *words],
        check=True,
        capture_output=True,
        text=True,
        timeout=5,
    ).stdout


def fields(text: str) -> dict[str, str]:
    """``SENTINEL MASTER`` (one name, value per line) or INFO (name:value) as a dict."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if any(":" in line for line in lines):
        return dict(line.split(":", 1) for line in lines if ":" in line)
    return dict(zip(lines[::2], lines[1::2], strict=False))


class Sentinel(ManagedServer):
    def __init__(self, folder: Path, master_port: int) -> None:
        self.folder = folder
        self.port = free_port()
        self.master_port = master_port
        self._process = ServerProcess(f"redis-sentinel on port {self.port}")

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "sentinel.conf"  # the sentinel rewrites it: one per process
        conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndaemonize no\ndir {self.folder}\n"
            f"logfile {self.folder / 'sentinel.log'}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.master_port} 2\n"
            f"sentinel auth-pass {SERVICE} {PASSWORD}\n"
            f"sentinel down-after-milliseconds {SERVICE} 400\n"
            f"sentinel failover-timeout {SERVICE} 4000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        self._process.start(
            [REDIS_SENTINEL, str(conf)],
            self.ping,
            timeout=10,
            log=self.folder / "sentinel.log",
        )

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def master(self) -> dict[str, str]:
        return fields(redis_cli(self.port, "SENTINEL", "MASTER", SERVICE))

    def master_port_now(self) -> int:
        reply = redis_cli(self.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE).split()
        return int(reply[1]) if len(reply) == 2 else 0


class SentinelSet:
    def __init__(self, folder: Path) -> None:
        self.master = RedisServer(folder / "master", password=PASSWORD, extra=NO_SYNC_DELAY)
        self.replica = RedisServer(
            folder / "replica",
            password=PASSWORD,
            extra=(*NO_SYNC_DELAY, "--replicaof", "127.0.0.1", str(self.master.port)),
        )
        self.sentinels = [Sentinel(folder / f"sentinel-{i}", self.master.port) for i in range(3)]

    @property
    def addresses(self) -> list[str]:
        return [f"127.0.0.1:{s.port}" for s in self.sentinels]

    def start(self, timeout: float = 20.0) -> None:
        self.master.start()
        self.replica.start()
        deadline = time.monotonic() + timeout
        self._until(deadline, self._replica_in_sync, "the replica to sync")
        for sentinel in self.sentinels:
            sentinel.start()
        self._until(deadline, self._sentinels_ready, "the sentinels to know each other")

    def _replica_in_sync(self) -> bool:
        info = fields(self.replica.command("INFO", "replication").decode())
        return info.get("master_link_status") == "up"

    def _sentinels_ready(self) -> bool:
        for sentinel in self.sentinels:
            state = sentinel.master()
            if state.get("num-slaves") != "1" or state.get("num-other-sentinels") != "2":
                return False
        return True

    @staticmethod
    def _until(deadline: float, check: object, what: str) -> None:
        assert callable(check)
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.05)
        raise RuntimeError(f"timed out waiting for {what}")

    def kill_master(self) -> None:
        self.master.kill()

    def wait_failover(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        port = self.replica.port
        self._until(
            deadline,
            lambda: all(s.master_port_now() == port for s in self.sentinels),
            "the sentinels to promote the replica",
        )

    def restart_old(self) -> None:
        """The killed master back on its port, empty, as a replica of the new master (as
        an admin brings it back; the sentinels alone would convert it only after ~15 s)."""
        self.master.extra = (*NO_SYNC_DELAY, "--replicaof", "127.0.0.1", str(self.replica.port))
        self.master.start()

    def stop(self) -> None:
        for server in (*self.sentinels, self.replica, self.master):
            server.kill()
