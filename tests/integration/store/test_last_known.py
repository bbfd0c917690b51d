"""LastKnown: the last value seen, recalled when a real redis-server is killed."""

from __future__ import annotations

from autocom.store.last_known import LastKnown, Recalled
from autocom.store.redis_store import RedisStore
from tests.support.redis_server import RedisServer


async def test_values_seen_are_recalled_through_an_outage(redis_server: RedisServer) -> None:
    store = await RedisStore.open(redis_server.url, op_timeout=0.5)
    memory = LastKnown()
    try:
        await memory.set(store, "filters", "2001", "off")
        await store.set("filters", "2002", "on")  # written by another server
        assert await memory.get(store, "filters", "2002") == Recalled("on")
        assert await memory.get(store, "filters", "2003") == Recalled(None)  # known unset
        assert await memory.snapshot(store, "filters")
        redis_server.kill()
        off = await memory.get(store, "filters", "2001")
        assert (off.value, off.stale, off.known) == ("off", True, True) and off.error
        unset = await memory.get(store, "filters", "2003")
        assert (unset.value, unset.stale, unset.known) == (None, True, True)
        never = await memory.get(store, "filters", "2009")
        assert (never.value, never.stale, never.known) == (None, True, False)
        assert not await memory.snapshot(store, "filters")
        assert memory.recall("filters", "2002") == (True, "on")  # a failed snapshot forgets nothing
    finally:
        await store.close()


def test_bounded_and_namespace_snapshots_mark_removed_keys_unset() -> None:
    memory = LastKnown(max_entries=3)
    for key in "abcd":
        memory.remember("ns", key, key.upper())
    assert len(memory) == 3 and memory.recall("ns", "a") == (False, None)
    memory.remember_namespace("ns", {"d": "D2"})
    assert memory.recall("ns", "b") == (True, None)  # gone from the store: unset
    assert memory.recall("ns", "d") == (True, "D2")
