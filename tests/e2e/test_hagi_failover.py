"""Several autocom servers behind Asterisk's FastAGI failover: ``hagi://`` and DNS SRV.

A real DNS server (dnsmasq, on a loopback address, port 53) answers
``_agi._tcp.autocom.test`` with two SRV records: node A (priority 10) and node B
(priority 20), each a real ``autocom serve`` process sharing one redis-server.
Asterisk 22 resolves through it (its own resolv.conf, bind-mounted in a private
mount namespace: the shared root is untouched) and its dialplan calls
``AGI(hagi://autocom.test/<script>)``.  Asterisk tries the records in priority
order; a server that refuses the connection is skipped (res_agi.c
launch_ha_netscript).

- node A killed (SIGKILL) in the middle of a burst: every call is still decided by
  B, or takes the documented safe path (AGISTATUS=FAILURE: the user's devices ring);
- rolling restart: node A gets SIGTERM in the middle of a burst: it stops listening
  at once (new calls go to B) and finishes the sessions it runs within its grace
  period: no call takes the safe path; A comes back and takes the calls again.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import struct
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.asterisk import AsteriskInstance
from tests.e2e.conftest import (
    DEFAULT_SITE,
    EXAMPLES,
    AriAccess,
    ConfigDir,
    call_driver,
    default_endpoints,
    load_site,
    private_asterisk,
)
from tests.e2e.driver import CallDriver, CallResult
from tests.support.process import ServerProcess, free_port
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

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
    asterisk: AsteriskInstance
    nodes: dict[str, Node]
    dns: Dns
    folder: Path


@pytest.fixture(scope="module")
def cluster(asterisk_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("hagi")
    redis = RedisServer(folder / "redis")
    redis.start()
    dns: Dns | None = None
    nodes: dict[str, Node] = {}
    try:
        address = dns_address()
        resolv = folder / "resolv.conf"
        resolv.write_text(f"nameserver {address}\noptions timeout:1 attempts:1\n")
        with private_asterisk(
            asterisk_root,
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


@pytest.fixture
async def driver(cluster: Cluster) -> AsyncIterator[CallDriver]:
    async with call_driver(cluster.asterisk) as drv:
        yield drv


async def burst(
    driver: CallDriver, calls: int, at: int, action: object, concurrency: int = 4
) -> list[CallResult]:
    """``calls`` internal calls 2001 -> 2002, ``concurrency`` at a time; ``action()``
    runs (in a thread) once ``at`` calls have been started."""
    results: list[CallResult] = []
    started = 0
    pending: set[asyncio.Task[CallResult]] = set()
    fired: asyncio.Task[object] | None = None
    while started < calls or pending:
        while started < calls and len(pending) < concurrency:
            call = driver.call("2002", "personnel", caller="2001")
            pending.add(asyncio.ensure_future(call))
            started += 1
            if started == at:
                assert callable(action)
                fired = asyncio.ensure_future(asyncio.to_thread(action))
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        results += [task.result() for task in done]
    if fired is not None:
        await fired
    return results


def outcome(result: CallResult) -> str:
    """decided (every hook answered), safe (a hook failed: the documented safe path)."""
    assert result.rang == ["bernard-desk"], result.summary()  # the call went through
    statuses = set(result.agistatus)
    assert statuses and statuses <= {"SUCCESS", "FAILURE"}, result.summary()
    return "decided" if statuses == {"SUCCESS"} else "safe"


async def test_both_nodes_up_the_first_srv_record_takes_the_calls(
    cluster: Cluster, driver: CallDriver
) -> None:
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    before = (await a.sessions(), await b.sessions())
    results = await burst(driver, 6, 0, None)
    assert [outcome(r) for r in results] == ["decided"] * 6
    after = (await a.sessions(), await b.sessions())
    assert after[0] > before[0] and after[1] == before[1]
    # Asterisk asked the DNS server (not a cache of its own): the SRV queries are logged
    assert f"query[SRV] _agi._tcp.{NAME}" in (cluster.folder / "dnsmasq.log").read_text()


async def test_node_a_killed_mid_burst_every_call_decided_or_safe(
    cluster: Cluster, driver: CallDriver
) -> None:
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    before_b = await b.sessions()
    served: list[float] = []

    def kill() -> None:
        served.append(asyncio.run(a.sessions()))  # A took the first calls
        a.stop(signal.SIGKILL)

    results = await burst(driver, 24, 8, kill)
    outcomes = [outcome(r) for r in results]
    safe = outcomes.count("safe")
    print(
        f"\nhagi, node A killed mid-burst: {outcomes.count('decided')}/24 decided, {safe} safe path"
    )
    assert len(results) == 24 and safe <= 4  # at most the calls A held when killed
    assert served and served[0] > 0
    assert await b.sessions() > before_b
    a.start()


async def test_rolling_restart_sigterm_drains_and_no_call_takes_the_safe_path(
    cluster: Cluster, driver: CallDriver
) -> None:
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    status: list[int | None] = []
    served: list[float] = []
    before_b = await b.sessions()

    def restart() -> None:
        served.append(asyncio.run(a.sessions()))
        status.append(a.stop(signal.SIGTERM))

    results = await burst(driver, 24, 8, restart)
    outcomes = [outcome(r) for r in results]
    print(f"\nhagi, node A SIGTERM mid-burst: {outcomes.count('decided')}/24 decided")
    assert outcomes == ["decided"] * 24
    assert status == [0]  # A drained and exited cleanly
    log = a.log.read_text()
    assert served and served[0] > 0
    assert "autocom stopping" in log and "cancelled after the grace period" not in log
    assert await b.sessions() > before_b
    a.start()  # back (a new process): the first record takes the calls again
    before_b = await b.sessions()
    assert [outcome(r) for r in await burst(driver, 4, 0, None)] == ["decided"] * 4
    assert await a.sessions() > 0 and await b.sessions() == before_b
