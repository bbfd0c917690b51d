"""The shared state store: Redis through redis.asyncio, for several autocom servers.

- Keys are ``<prefix>:<namespace>:<key>`` with string values; a ttl is ``SET ... PX``.
- ``items()`` walks ``SCAN MATCH`` (never ``KEYS``, which blocks Redis) with the
  prefix, namespace and key prefix escaped for glob characters, then ``MGET``.
- Every operation is bounded by ``timeout`` (socket connect/read timeouts plus an
  overall deadline); a refused connection, a timeout, a Redis that is loading or
  read-only gives ``StoreUnavailable`` naming the server (never its password).
- A connection broken since its last use (Redis restarted) is retried once at
  once, so the first call after a restart works.
- RESP3 (redis-py's default) and RESP2 (``?protocol=2`` in the URL, or
  ``protocol=2``, for old servers and proxies) both work.
- ``incr`` is ``SET key 0 NX PX ttl`` then ``INCR key`` in one MULTI/EXEC
  transaction: one round trip, atomic, and the ttl is set only by the call
  that creates the key (INCR keeps a key's ttl).
- Durability is Redis's: a write that returned is in Redis's memory; configure
  ``appendonly yes`` (and ``appendfsync always`` or ``everysec``) on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from autocom.store.base import (
    StoreClosed,
    StoreError,
    StoreUnavailable,
    check_args,
    check_entry,
    check_key,
    check_text,
    not_a_counter,
)

T = TypeVar("T")

GLOB_SPECIALS = frozenset("*?[]\\")
SCAN_COUNT = 1000
MGET_BATCH = 500


def glob_escape(text: str) -> str:
    """``text`` as a Redis glob pattern matching itself only."""
    return "".join("\\" + c if c in GLOB_SPECIALS else c for c in text)


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


class RedisStore:
    """A StateStore on a Redis server; open it with ``await RedisStore.open(url)``."""

    def __init__(self, client: Redis, url: str, prefix: str, timeout: float) -> None:
        self._client = client
        self.url = safe_url(url)
        self.prefix = prefix
        self.timeout = timeout
        self._closed = False

    @classmethod
    async def open(
        cls,
        url: str,
        prefix: str = "autocom",
        op_timeout: float = 1.0,
        *,
        protocol: int | None = None,
        max_connections: int = 64,
    ) -> RedisStore:
        """Connect to ``url`` and check that Redis answers.

        ``op_timeout`` (seconds) bounds every operation, this first PING included.
        Raises StoreUnavailable if Redis does not answer in time: the
        server starts without the shared state rather than with a hidden fault.
        ``protocol`` (2 or 3) overrides redis-py's default (3) unless the URL
        says ``?protocol=``.  At most ``max_connections`` sockets are opened;
        more concurrent callers wait for one (within ``op_timeout``).
        """
        timeout = op_timeout
        if not prefix or ":" in prefix:
            raise ValueError(
                f"bad redis key prefix {prefix!r}: write a non-empty name without ':',"
                " e.g. autocom-site1"
            )
        check_text("prefix", prefix)
        kwargs: dict[str, Any] = {
            "max_connections": max_connections,
            "timeout": timeout,  # waiting for a free connection
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 1),
            "decode_responses": True,
            "client_name": f"autocom-{prefix}",
        }
        if protocol is not None:
            kwargs["protocol"] = protocol
        try:
            pool = BlockingConnectionPool.from_url(url, **kwargs)
        except ValueError as exc:
            raise StoreError(f"bad redis url {safe_url(url)}: {exc}") from exc
        store = cls(Redis(connection_pool=pool), url, prefix, timeout)
        try:
            await store._run("ping", store._client.ping())
        except StoreError:
            await store.close()
            raise
        return store

    def _key(self, namespace: str, key: str) -> str:
        return f"{self.prefix}:{namespace}:{key}"

    # --- the StateStore operations -------------------------------------------------

    async def get(self, namespace: str, key: str) -> str | None:
        check_key(namespace, key)
        value = await self._run("get", self._client.get(self._key(namespace, key)))
        return None if value is None else str(value)

    async def set(self, namespace: str, key: str, value: str, ttl: float | None = None) -> None:
        check_entry(namespace, key, value, ttl)
        px = None if ttl is None else max(1, math.ceil(ttl * 1000))
        await self._run("set", self._client.set(self._key(namespace, key), value, px=px))

    async def incr(self, namespace: str, key: str, ttl: float | None = None) -> int:
        """Atomic count: ``MULTI; SET key 0 NX [PX ttl]; INCR key; EXEC``, one round trip.

        Not ``INCR`` + ``EXPIRE NX`` (Redis >= 7.0): that would put a ttl on a
        permanent key written by ``set``; ``SET NX PX`` sets it only when the
        key is created, as the other backends do, on any Redis.  Not a Lua
        script: nothing to load or reload (NOSCRIPT) and nothing for a proxy
        or a managed Redis that forbids EVAL to refuse.  Inside EXEC nothing
        runs in between, so the key cannot expire between the two commands.
        A value that is not an integer counter raises StoreError.
        """
        check_args(namespace, ttl)
        check_text("key", key)
        full = self._key(namespace, key)
        px = None if ttl is None else max(1, math.ceil(ttl * 1000))

        async def transaction() -> int:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.set(full, "0", nx=True, px=px)
                pipe.incr(full)
                results = await pipe.execute(raise_on_error=False)
            count = results[1]
            if isinstance(count, ResponseError) and (
                "not an integer" in str(count) or "overflow" in str(count)
            ):
                raise StoreError(f"redis at {self.url}: {not_a_counter(namespace, key, None)}")
            if isinstance(count, Exception):
                raise count
            return int(count)

        return await self._run("incr", transaction())

    async def delete(self, namespace: str, key: str) -> bool:
        check_key(namespace, key)
        removed = await self._run("delete", self._client.delete(self._key(namespace, key)))
        return int(removed) > 0

    async def items(self, namespace: str, prefix: str = "") -> dict[str, str]:
        """Every live key of the namespace starting with prefix (SCAN, then MGET).

        Bounded by ``timeout`` as a whole.  Keys written during the walk may or
        may not be seen (SCAN's guarantee); keys that expire during it are left out.
        """
        check_key(namespace, prefix, "prefix")
        return await self._run("items", self._items(namespace, prefix))

    async def _items(self, namespace: str, prefix: str) -> dict[str, str]:
        head = f"{self.prefix}:{namespace}:"
        pattern = glob_escape(head + prefix) + "*"
        keys: set[str] = set()
        cursor = 0
        while True:
            cursor, batch = await self._client.scan(cursor, match=pattern, count=SCAN_COUNT)
            keys.update(str(k) for k in batch)
            if int(cursor) == 0:
                break
        ordered = sorted(keys)
        found: dict[str, str] = {}
        for start in range(0, len(ordered), MGET_BATCH):
            chunk = ordered[start : start + MGET_BATCH]
            values = await self._client.mget(chunk)
            for full_key, value in zip(chunk, values, strict=True):
                if value is not None:
                    found[full_key[len(head) :]] = str(value)
        return found

    async def ping(self) -> bool:
        try:
            await self._run("ping", self._client.ping())
        except StoreError:
            return False
        return True

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # the sockets are dropped either way; nothing is buffered client-side
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            await asyncio.wait_for(self._client.aclose(close_connection_pool=True), self.timeout)

    # --- plumbing ----------------------------------------------------------------------

    async def _run(self, what: str, call: Awaitable[T]) -> T:
        if self._closed:
            if asyncio.iscoroutine(call):
                call.close()
            raise StoreClosed(f"redis store {self.url} ({self.prefix}) is closed")
        try:
            async with asyncio.timeout(self.timeout):
                return await call
        except TimeoutError:
            raise StoreUnavailable(
                f"redis at {self.url}: {what} got no answer within {self.timeout:g}s"
            ) from None
        except ResponseError as exc:
            message = str(exc)
            if message.startswith("WRONGTYPE"):
                raise StoreError(
                    f"redis at {self.url}: {what}: a key under {self.prefix}: is not a string"
                    f" ({message}); is another program using the prefix {self.prefix!r}?"
                ) from exc
            raise StoreUnavailable(f"redis at {self.url}: {what} refused: {message}") from exc
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(
                f"redis at {self.url}: {what} failed: {exc or type(exc).__name__}"
            ) from exc
