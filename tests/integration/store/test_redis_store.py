"""What only the Redis backend shows: a dead or hung Redis, sharing, key layout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from autocom.store.base import StoreError, StoreUnavailable
from autocom.store.redis_store import RedisStore, glob_escape, safe_url
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration

TIMEOUT = 1.0


async def elapsed_unavailable(call: Awaitable[Any]) -> tuple[float, str]:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        await call
    return time.monotonic() - started, str(info.value)


async def test_stopped_redis_fails_promptly_then_recovers(redis_server: RedisServer) -> None:
    store = await RedisStore.open(redis_server.url, "t", op_timeout=TIMEOUT)
    try:
        await store.set("forwards", "1001", "0612345670")
        redis_server.stop()
        calls: list[Callable[[], Awaitable[Any]]] = [
            lambda: store.get("forwards", "1001"),
            lambda: store.set("forwards", "1001", "x"),
            lambda: store.delete("forwards", "1001"),
            lambda: store.items("forwards"),
            lambda: store.incr("count", "1001", ttl=60),
        ]
        for call in calls:
            elapsed, message = await elapsed_unavailable(call())
            assert elapsed < 0.5  # a refused connection is known at once
            assert f"redis at redis://127.0.0.1:{redis_server.port}/0" in message
        assert await store.ping() is False
        redis_server.start()  # same port, empty (no append-only file)
        assert await store.ping() is True
        await store.set("forwards", "1001", "back")
        assert await store.get("forwards", "1001") == "back"
    finally:
        await store.close()


async def test_killed_redis_then_restart_first_call_works(redis_server: RedisServer) -> None:
    store = await RedisStore.open(redis_server.url, "t", op_timeout=TIMEOUT)
    try:
        # several pooled connections, all broken by the kill
        await asyncio.gather(*(store.set("ns", str(i), "v") for i in range(8)))
        redis_server.kill()
        redis_server.start()
        # a broken pooled connection is retried once: no error after a restart
        await store.set("ns", "k", "v")
        assert await store.get("ns", "k") == "v"
        assert await store.items("ns") == {"k": "v"}
        redis_server.kill()
        redis_server.start()
        assert await store.incr("ns", "n") == 1  # the first call after a restart, too
    finally:
        await store.close()


async def test_hung_redis_times_out_without_hanging(redis_server: RedisServer) -> None:
    store = await RedisStore.open(redis_server.url, "t", op_timeout=0.5)
    try:
        await store.set("ns", "k", "v")
        redis_server.pause()  # accepts connections, answers nothing
        calls = (
            store.get("ns", "k"),
            store.set("ns", "k", "w"),
            store.items("ns"),
            store.incr("ns", "n", ttl=60),
        )
        for call in calls:
            elapsed, message = await elapsed_unavailable(call)
            assert 0.4 < elapsed < 1.2
            assert "no answer within 0.5s" in message
        started = time.monotonic()
        assert await store.ping() is False
        assert time.monotonic() - started < 1.2
        redis_server.resume()
        assert await store.get("ns", "k") == "v"
    finally:
        await store.close()


async def test_open_against_a_dead_redis_is_unavailable(redis_server: RedisServer) -> None:
    url = redis_server.url
    redis_server.stop()
    elapsed, message = await elapsed_unavailable(RedisStore.open(url, "t", op_timeout=TIMEOUT))
    assert elapsed < 0.5
    assert url in message


async def test_open_against_a_hung_redis_is_unavailable(redis_server: RedisServer) -> None:
    redis_server.pause()
    try:
        elapsed, _ = await elapsed_unavailable(
            RedisStore.open(redis_server.url, "t", op_timeout=0.3)
        )
        assert elapsed < 1.0
    finally:
        redis_server.resume()


async def test_two_servers_share_state(redis_server: RedisServer) -> None:
    """Two autocom servers (two stores, two pools) on one Redis see each other's writes."""
    one = await RedisStore.open(redis_server.url, "site", op_timeout=TIMEOUT)
    two = await RedisStore.open(redis_server.url, "site", op_timeout=TIMEOUT)
    try:
        await one.set("forwards", "1001", "0612345670")
        assert await two.get("forwards", "1001") == "0612345670"
        await two.set("speeddial", "12", "0388000000")
        assert await one.items("speeddial") == {"12": "0388000000"}
        await one.set("dircache", "q", "result", ttl=0.2)
        assert await two.get("dircache", "q") == "result"
        await asyncio.sleep(0.3)
        assert await two.get("dircache", "q") is None
        assert await two.delete("forwards", "1001") is True
        assert await one.get("forwards", "1001") is None
    finally:
        await one.close()
        await two.close()


async def test_prefixes_keep_sites_apart_even_with_glob_characters(
    redis_server: RedisServer,
) -> None:
    stores = {
        prefix: await RedisStore.open(redis_server.url, prefix, op_timeout=TIMEOUT)
        for prefix in ["s*", "sx", "s?", "s[x]", "s\\"]
    }
    try:
        for prefix, store in stores.items():
            await store.set("forwards", "1001", prefix)
            await store.set("forwards", "*", prefix + " star")
        for prefix, store in stores.items():
            assert await store.items("forwards") == {"1001": prefix, "*": prefix + " star"}
            assert await store.items("forwards", "*") == {"*": prefix + " star"}
            assert await store.get("forwards", "1001") == prefix
    finally:
        for store in stores.values():
            await store.close()


async def test_key_layout_ttl_and_scan_not_keys(redis_server: RedisServer) -> None:
    store = await RedisStore.open(redis_server.url, "autocom", op_timeout=TIMEOUT)
    try:
        await store.set("forwards", "1001", "0612345670")
        await store.set("dircache", "dupont", "[]", ttl=30)
        assert redis_server.command("GET", "autocom:forwards:1001").strip() == b"0612345670"
        assert redis_server.command("TTL", "autocom:forwards:1001").strip() == b"-1"
        assert 29_000 < int(redis_server.command("PTTL", "autocom:dircache:dupont")) <= 30_000
        await store.items("forwards")
        await store.items("forwards", "10")
        stats = redis_server.command("INFO", "commandstats").decode()
        assert "cmdstat_scan:" in stats
        assert "cmdstat_keys:" not in stats
        # incr: one MULTI/EXEC, the ttl in milliseconds set by the call that created the key
        assert await store.incr("rights_pin_lock", "count:2850", ttl=30) == 1
        assert await store.incr("rights_pin_lock", "count:2850", ttl=3000) == 2
        assert redis_server.command("GET", "autocom:rights_pin_lock:count:2850").strip() == b"2"
        assert (
            29_000
            < int(redis_server.command("PTTL", "autocom:rights_pin_lock:count:2850"))
            <= 30_000
        )
        stats = redis_server.command("INFO", "commandstats").decode()
        assert "cmdstat_multi:calls=2" in stats and "cmdstat_exec:calls=2" in stats
    finally:
        await store.close()


async def test_a_foreign_key_type_is_an_error_not_an_outage(redis_server: RedisServer) -> None:
    redis_server.command("RPUSH", "autocom:forwards:1001", "a list")
    store = await RedisStore.open(redis_server.url, "autocom", op_timeout=TIMEOUT)
    try:
        with pytest.raises(StoreError, match="not a string") as info:
            await store.get("forwards", "1001")
        assert not isinstance(info.value, StoreUnavailable)
        assert await store.items("forwards") == {}  # MGET gives nil for a list
        with pytest.raises(StoreError, match="not a string") as info:
            await store.incr("forwards", "1001")
        assert not isinstance(info.value, StoreUnavailable)
    finally:
        await store.close()


async def test_password_never_appears_in_messages(redis_server: RedisServer) -> None:
    redis_server.command("CONFIG", "SET", "requirepass", "s3cret-pw")
    good = f"redis://:s3cret-pw@127.0.0.1:{redis_server.port}/0"
    bad = f"redis://:wrong-pw@127.0.0.1:{redis_server.port}/0"
    _, message = await elapsed_unavailable(RedisStore.open(bad, "t", op_timeout=TIMEOUT))
    assert "wrong-pw" not in message
    assert ":***@127.0.0.1" in message
    store = await RedisStore.open(good, "t", op_timeout=TIMEOUT)
    try:
        await store.set("ns", "k", "v")
        redis_server.kill()
        _, message = await elapsed_unavailable(store.get("ns", "k"))
        assert "s3cret-pw" not in message
    finally:
        await store.close()


@pytest.mark.parametrize("protocol", [2, 3])
async def test_protocol_argument(redis_server: RedisServer, protocol: int) -> None:
    store = await RedisStore.open(redis_server.url, "t", op_timeout=TIMEOUT, protocol=protocol)
    try:
        await store.set("ns", "k", "v", ttl=10)
        assert await store.items("ns") == {"k": "v"}
        ours = [
            line
            for line in redis_server.command("CLIENT", "LIST").decode().splitlines()
            if " name=autocom-t " in line
        ]
        assert ours
        assert all(f"resp={protocol}" in line.split() for line in ours)
    finally:
        await store.close()


async def test_many_callers_share_a_bounded_pool(redis_server: RedisServer) -> None:
    store = await RedisStore.open(redis_server.url, "t", op_timeout=2.0, max_connections=4)
    try:
        await asyncio.gather(*(store.set("ns", str(i), str(i)) for i in range(300)))
        assert len(await store.items("ns")) == 300
        clients = redis_server.command("CLIENT", "LIST").decode().count("name=autocom-t ")
        assert clients <= 4
    finally:
        await store.close()


async def test_bad_prefix_and_url(redis_server: RedisServer) -> None:
    with pytest.raises(ValueError, match="prefix"):
        await RedisStore.open(redis_server.url, "a:b")
    with pytest.raises(ValueError, match="prefix"):
        await RedisStore.open(redis_server.url, "")
    with pytest.raises(StoreError, match="bad redis url"):
        await RedisStore.open("http://127.0.0.1:1/0", "t")


def test_glob_escape_and_safe_url() -> None:
    assert glob_escape("a*b?c[d]e\\f:g") == "a\\*b\\?c\\[d\\]e\\\\f:g"
    assert safe_url("redis://:pw@h:6379/0") == "redis://:***@h:6379/0"
    assert safe_url("redis://user:pw@h/1?protocol=2") == "redis://user:***@h/1?protocol=2"
    assert safe_url("redis://h:6379/0") == "redis://h:6379/0"


async def test_timeouts_do_not_leak_pool_connections(redis_server: RedisServer) -> None:
    store = await RedisStore.open(redis_server.url, "t", op_timeout=0.3, max_connections=2)
    try:
        redis_server.pause()
        results = await asyncio.gather(
            *(store.get("ns", str(i)) for i in range(10)), return_exceptions=True
        )
        assert all(isinstance(r, StoreUnavailable) for r in results)
        redis_server.resume()
        await asyncio.gather(*(store.set("ns", str(i), "v") for i in range(20)))
        assert len(await store.items("ns")) == 20
    finally:
        await store.close()
