"""Several ``autocom serve`` processes behind a DNS server, as the university runs them.

``Node``: one ``autocom serve`` process on the examples with its own ports and the
shared Redis; ``start_dns``: dnsmasq on a loopback address, port 53, answering
``_agi._tcp.<NAME>`` with one SRV record per node (priorities 10, 20, ...).  Used by
tests/e2e/test_hagi_failover.py and bench/cluster_bench.py.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.e2e.asterisk import AsteriskInstance
from tests.e2e.conftest import (
    DEFAULT_SITE,
    EXAMPLES,
    AriAccess,
    ConfigDir,
    default_endpoints,
    load_site,
    private_asterisk,
)
from tests.support.process import ServerProcess, free_port
from tests.support.redis_server import RedisServer

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
AUTOCOM = Path(sys.executable).parent / "autocom"
NAME = "autocom.test"


def srv_query(address: str, name: str) -> int:
    """The number of SRV answers ``address`` gives for ``name`` (-1: no answer)."""
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    query = struct.pack(">HHHHHH", 0x4A47, 0x0100, 1, 0, 0, 0) + labels + struct.pack(">HH", 33, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.sendto(query, (address, 53))
            reply = sock.recv(512)
        except OSError:
            return -1
    return struct.unpack(">H", reply[6:8])[0] if reply[3] & 0x0F == 0 else -1


@dataclass
class Dns:
    address: str
    process: ServerProcess


def dns_address() -> str:
    """A loopback address for this run's DNS server (port 53 is one per address)."""
    return f"127.53.{random.randint(1, 254)}.{random.randint(1, 254)}"


def start_dns(folder: Path, address: str, ports: dict[str, int]) -> Dns:
    """dnsmasq on ``address``:53 with one SRV record per node (A first, then B)."""
    args = [
        DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
        "--no-hosts", "--bind-interfaces", f"--listen-address={address}", "--port=53",
        "--user=root", "--pid-file=", "--log-queries",
        f"--log-facility={folder / 'dnsmasq.log'}",
    ]  # fmt: skip
    for priority, (node, port) in enumerate(sorted(ports.items()), start=1):
        args.append(f"--host-record={node}.{NAME},127.0.0.1")
        args.append(f"--srv-host=_agi._tcp.{NAME},{node}.{NAME},{port},{priority * 10},50")
    process = ServerProcess(f"dnsmasq on {address}")
    process.start(
        args,
        lambda: srv_query(address, f"_agi._tcp.{NAME}") == len(ports),
        timeout=10,
        stderr_file=folder / "dnsmasq.stderr",
    )
    return Dns(address, process)


class Node:
    """One ``autocom serve`` process: the examples with its own ports, shared Redis."""

    def __init__(self, folder: Path, name: str, redis_url: str, ari: AriAccess) -> None:
        self.name = name
        self.agi_port, self.admin_port = free_port(), free_port()
        shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns("var"))
        config = ConfigDir(folder)
        config.use_backend("redis", redis_url)
        config.point_ari(ari)
        text = config.path.read_text()
        text = text.replace("port: 4573", f"port: {self.agi_port}")
        text = text.replace("port: 9089", f"port: {self.admin_port}")
        text = text.replace("http:\n", "http:\n  enabled: false\n")
        config.path.write_text(text + "heartbeat_interval: 0.5\n")
        self.config = config
        self.log = folder / "serve.log"
        self.process = ServerProcess(f"autocom serve {name}")

    def start(self) -> None:
        self.process.start(
            [str(AUTOCOM), "-c", str(self.config.path), "serve"],
            self.accepts,
            timeout=20,
            stderr_file=self.log,
            new_session=True,
            env={**os.environ, "AUTOCOM_NODE": self.name},
        )

    def stop(self, sig: signal.Signals) -> int | None:
        """Send ``sig`` and wait for the exit; the exit status."""
        popen = self.process.popen
        self.process.end(sig)
        return None if popen is None else popen.returncode

    def accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.agi_port), timeout=0.2).close()
        except OSError:
            return False
        return True

    async def sessions(self) -> float:
        """FastAGI sessions this node ended with outcome ok (its admin /metrics)."""
        url = f"http://127.0.0.1:{self.admin_port}/metrics"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            text = await resp.text()
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("autocom_agi_sessions_total{") and 'outcome="ok"' in line
        )


@dataclass
class Cluster:
    """Asterisk resolving hagi://NAME through ``dns`` to the ``nodes`` (a, b)."""

    asterisk: AsteriskInstance
    nodes: dict[str, Node]
    dns: Dns
    folder: Path


@contextlib.contextmanager
def running_cluster(root: Path, folder: Path) -> Iterator[Cluster]:
    """Redis, Asterisk (its own resolv.conf), nodes a and b, dnsmasq; all stopped after."""
    redis = RedisServer(folder / "redis")
    redis.start()
    dns: Dns | None = None
    nodes: dict[str, Node] = {}
    try:
        address = dns_address()
        resolv = folder / "resolv.conf"
        resolv.write_text(f"nameserver {address}\noptions timeout:1 attempts:1\n")
        with private_asterisk(
            root,
            site=load_site(DEFAULT_SITE),
            endpoints=default_endpoints(),
            globals={"AUTOCOM_AGI": f"hagi://{NAME}"},
            resolv_conf=resolv,
        ) as asterisk:
            ari = AriAccess(
                asterisk.host, asterisk.http_port, asterisk.ari_user, asterisk.ari_password
            )
            for name in ("a", "b"):
                nodes[name] = Node(folder / name, name, redis.url, ari)
            dns = start_dns(folder, address, {n: node.agi_port for n, node in nodes.items()})
            for node in nodes.values():
                node.start()
            yield Cluster(asterisk, nodes, dns, folder)
    finally:
        for node in nodes.values():
            node.process.end(signal.SIGKILL)
        if dns is not None:
            dns.process.end()
        redis.kill()
