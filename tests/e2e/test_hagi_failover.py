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
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    call_driver,
)
from tests.e2e.driver import CallDriver, CallResult
from tests.support.autocom_cluster import NAME, Cluster, running_cluster

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(asterisk_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(asterisk_root, tmp_path_factory.mktemp("hagi")) as running:
        yield running


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


def warnings(cluster: Cluster) -> str:
    """The nodes' last warnings and errors: why a call took the safe path."""
    lines = [
        f"{name}: {line}"
        for name, node in cluster.nodes.items()
        for line in node.log.read_text(errors="replace").splitlines()
        if "WARNING" in line or "ERROR" in line
    ]
    return "\n".join(lines[-40:])


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
    assert outcomes == ["decided"] * 24, warnings(cluster)
    assert status == [0]  # A drained and exited cleanly
    log = a.log.read_text()
    assert served and served[0] > 0
    assert "autocom stopping" in log and "cancelled after the grace period" not in log
    assert await b.sessions() > before_b
    a.start()  # back (a new process): the first record takes the calls again
    before_b = await b.sessions()
    assert [outcome(r) for r in await burst(driver, 4, 0, None)] == ["decided"] * 4
    assert await a.sessions() > 0 and await b.sessions() == before_b
