"""Redis Sentinel: 1 master, 1 replica, 3 sentinels on loopback (real redis-server and
redis-sentinel); the master is killed in the middle of a load of the features' own
state writes.  No acknowledged forward, speed dial, filter state or PIN lock is lost
(each write waits for the replica: WAIT 1), the failed writes are counted by the store
(autocom_store_unavailable_total) and stop once the old master is back as a replica.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from apps.boss_secretary import state as filters
from apps.forwards import state as forwards
from apps.forwards.engine import Forward
from apps.speed_dial import state as speed_dials
from apps.speed_dial.engine import PersonalEntry
from apps.time_rules.state import PinLocks
from autocom.loader import load_config
from autocom.rights.lockout import LockoutPolicy, decide_lock
from autocom.store.base import StoreError, StoreUnavailable
from autocom.store.factory import open_store
from autocom.store.redis_store import RedisStore
from tests.support.redis_sentinel import PASSWORD, SERVICE, SentinelSet

pytestmark = pytest.mark.integration

POLICY = LockoutPolicy(failures=1, window=600, lock=600, where="test:1")


@pytest.fixture(scope="module")
def sentinels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelSet]:
    """One set for the module (it takes seconds to form); the failover test is last."""
    group = SentinelSet(tmp_path_factory.mktemp("sentinel"))
    try:
        group.start()
        yield group
    finally:
        group.stop()


@pytest.fixture
async def store(sentinels: SentinelSet) -> AsyncIterator[RedisStore]:
    addresses = [("127.0.0.1", s.port) for s in sentinels.sentinels]
    opened = await RedisStore.open_sentinel(
        addresses, SERVICE, op_timeout=0.5, password=PASSWORD, wait_replicas=1, wait_timeout=0.2
    )
    yield opened
    await opened.close()


@dataclass
class Load:
    """What the writers were told succeeded, and what failed."""

    acked: dict[str, Callable[[RedisStore], Awaitable[bool]]] = field(default_factory=dict)
    failed: int = 0
    last_failure: float = 0.0
    ok_after_failover: int = 0


def writes(
    n: int,
) -> list[
    tuple[str, Callable[[RedisStore], Awaitable[None]], Callable[[RedisStore], Awaitable[bool]]]
]:
    """One write of each kind for the n-th round, each with its read-back check."""
    user, dest = f"2{n:04d}", f"06{n:08d}"

    async def forward(s: RedisStore) -> None:
        await forwards.save(s, user, {"unconditional": Forward(dest)})

    async def forward_ok(s: RedisStore) -> bool:
        return (await forwards.load(s, user)).get("unconditional") == Forward(dest)

    async def speed(s: RedisStore) -> None:
        await speed_dials.apply(s, user, {"07": PersonalEntry(dest, "x")})

    async def speed_ok(s: RedisStore) -> bool:
        return (await speed_dials.load(s, user)).get("07") == PersonalEntry(dest, "x")

    async def filter_on(s: RedisStore) -> None:
        await filters.set_state(s, user, n % 2 == 0)

    async def filter_ok(s: RedisStore) -> bool:
        return await filters.get_state(s, user) == (n % 2 == 0)

    locks_at = time.time()

    async def pin_lock(s: RedisStore) -> None:
        decision = await PinLocks(s).record_failure(
            user, locks_at, "2999", POLICY, lambda h: decide_lock(POLICY, h, locks_at)
        )
        assert decision.start_lock

    async def pin_ok(s: RedisStore) -> bool:
        until = (await PinLocks(s).history(user)).locked_until
        return until is not None and until > locks_at

    return [
        (f"forward {user}", forward, forward_ok),
        (f"speed dial {user}", speed, speed_ok),
        (f"filter {user}", filter_on, filter_ok),
        (f"pin lock {user}", pin_lock, pin_ok),
    ]


async def writer(store: RedisStore, load: Load, first: int, stop: asyncio.Event) -> None:
    n = first
    while not stop.is_set():
        for name, write, check in writes(n):
            try:
                await write(store)
            except StoreUnavailable:
                load.failed += 1
                load.last_failure = time.monotonic()
                await asyncio.sleep(0.02)
            else:
                load.acked[name] = check
        n += 100


async def test_the_wait_path_keeps_the_store_contract(store: RedisStore) -> None:
    await store.set("t", "k", "v", ttl=30)
    assert await store.get("t", "k") == "v"
    assert await store.incr("t", "n") == 1 and await store.incr("t", "n", ttl=5) == 2
    with pytest.raises(StoreError, match="not an integer counter"):
        await store.incr("t", "k")
    assert await store.delete("t", "k") and not await store.delete("t", "k")
    assert await store.get("t", "k") is None
    assert sum(store.failures.values()) == 0


async def test_a_write_no_replica_acknowledges_is_refused(
    sentinels: SentinelSet, store: RedisStore
) -> None:
    sentinels.replica.pause()  # the replica hangs: WAIT 1 times out
    try:
        with pytest.raises(StoreUnavailable, match=r"0 of 1 replica.*not acknowledged"):
            await store.set("forwards", "x", "y")
    finally:
        sentinels.replica.resume()
    assert store.failures["set"] == 1


async def test_autocom_yaml_opens_the_sentinel_store(
    sentinels: SentinelSet, tmp_path: Path
) -> None:
    (tmp_path / "site.yaml").write_text("users: []\n")
    (tmp_path / "autocom.yaml").write_text(
        "state:\n  backend: redis\n  url: redis://sentinel/3?protocol=2\n"
        f"  sentinels: {sentinels.addresses}\n  master: {SERVICE}\n  password: {PASSWORD}\n"
        "  wait_replicas: 1\n  timeout: 0.5\n  wait_timeout: 0.2\n"
    )
    opened = await open_store(load_config(tmp_path / "autocom.yaml", []))
    try:
        assert isinstance(opened, RedisStore) and opened.wait_replicas == 1
        await opened.set("t", "db3", "yes")
        assert sentinels.replica.command("-n", "3", "GET", "autocom:t:db3") == b"yes\n"
    finally:
        await opened.close()


async def test_killing_the_master_loses_no_acknowledged_write(
    sentinels: SentinelSet, store: RedisStore
) -> None:
    load, stop = Load(), asyncio.Event()
    tasks = [asyncio.create_task(writer(store, load, i, stop)) for i in range(4)]
    await asyncio.sleep(0.5)
    before = len(load.acked)
    killed = time.monotonic()
    sentinels.kill_master()
    await asyncio.to_thread(sentinels.wait_failover)
    promoted = time.monotonic()
    await asyncio.sleep(0.3)  # the new master alone: WAIT 1 cannot be met, nothing acked
    await asyncio.to_thread(sentinels.restart_old)
    recovered = 0.0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        if time.monotonic() - load.last_failure > 1.0:
            recovered = time.monotonic()
            break
    settled = len(load.acked)
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(*tasks)

    assert before > 20 and recovered, (before, recovered, load.failed)
    assert len(load.acked) > settled  # writes go on after the old master came back
    lost = [name for name, check in load.acked.items() if not await check(store)]
    assert lost == []
    # every failure was counted by the store, and they all fell in the outage
    assert load.failed > 0
    assert sum(store.failures.values()) >= load.failed
    assert load.last_failure - killed < recovered - killed
    print(
        f"\nsentinel failover: {len(load.acked)} acknowledged writes, none lost; "
        f"{load.failed} refused writes, failover {promoted - killed:.1f}s, "
        f"writes acknowledged again {recovered - killed:.1f}s after the kill; "
        f"store failures by op: {dict(store.failures)}"
    )
