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
- Redis Sentinel (``RedisStore.open_sentinel``): the master's address is asked of
  the Sentinels (redis.asyncio.sentinel) at each new connection; a connection to a
  dead or demoted master fails, is dropped, and the next one goes to the new master.
  With ``wait_replicas`` = N every write (set, incr, delete) is followed on the same
  connection, in the same round trip, by ``WAIT N <ms>``: the write returns only once
  N replicas have it, else StoreUnavailable ("not acknowledged"), so a failover
  cannot lose a write a caller was told succeeded.  ``failures`` counts each
  StoreUnavailable by operation (autocom_store_unavailable_total on /metrics).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import ConnectionPoolInterface
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
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


def _connection_kwargs(prefix: str, timeout: float, protocol: int | None) -> dict[str, Any]:
    """What every connection to a Redis server gets; ValueError for a bad prefix."""
    if not prefix or ":" in prefix:
        raise ValueError(
            f"bad redis key prefix {prefix!r}: write a non-empty name without ':',"
            " e.g. autocom-site1"
        )
    check_text("prefix", prefix)
    kwargs: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 1),
        "decode_responses": True,
        "client_name": f"autocom-{prefix}",
    }
    if protocol is not None:
        kwargs["protocol"] = protocol
    return kwargs


class RedisStore:
    """A StateStore on a Redis server; open it with ``await RedisStore.open(url)``."""

    def __init__(
        self,
        client: Redis,
        url: str,
        prefix: str,
        timeout: float,
        *,
        wait_replicas: int = 0,
        wait_timeout: float = 0.5,
        others: Sequence[Redis] = (),
    ) -> None:
        self._client = client
        self.url = safe_url(url)
        self.prefix = prefix
        self.timeout = timeout
        self.wait_replicas = wait_replicas
        self.wait_ms = max(1, math.ceil(wait_timeout * 1000))
        self.failures: collections.Counter[str] = collections.Counter()
        self._others = tuple(others)  # the Sentinel clients, closed with the store
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
        wait_replicas: int = 0,
        wait_timeout: float = 0.5,
    ) -> RedisStore:
        """Connect to ``url`` and check that Redis answers.

        ``op_timeout`` (seconds) bounds every operation, this first PING included.
        Raises StoreUnavailable if Redis does not answer in time: the
        server starts without the shared state rather than with a hidden fault.
        ``protocol`` (2 or 3) overrides redis-py's default (3) unless the URL
        says ``?protocol=``.  At most ``max_connections`` sockets are opened;
        more concurrent callers wait for one (within ``op_timeout``).
        """
        kwargs = _connection_kwargs(prefix, op_timeout, protocol)
        kwargs["max_connections"] = max_connections
        kwargs["timeout"] = op_timeout  # waiting for a free connection
        try:
            pool = BlockingConnectionPool.from_url(url, **kwargs)
        except ValueError as exc:
            raise StoreError(f"bad redis url {safe_url(url)}: {exc}") from exc
        store = cls(
            Redis(connection_pool=pool),
            url,
            prefix,
            op_timeout,
            wait_replicas=wait_replicas,
            wait_timeout=wait_timeout,
        )
        return await store._checked()

    @classmethod
    async def open_sentinel(
        cls,
        sentinels: Sequence[tuple[str, int]],
        master: str,
        prefix: str = "autocom",
        op_timeout: float = 1.0,
        *,
        password: str = "",
        sentinel_password: str = "",
        db: int = 0,
        protocol: int | None = None,
        wait_replicas: int = 0,
        wait_timeout: float = 0.5,
    ) -> RedisStore:
        """Connect to the master the Sentinels name for ``master`` and check it answers.

        Each operation asks the Sentinels again only when it needs a new connection
        (after a failure), so a failover costs the operations in flight and those
        made until the Sentinels have promoted a replica.
        """
        kwargs = _connection_kwargs(prefix, op_timeout, protocol)
        kwargs["db"] = db
        if password:
            kwargs["password"] = password
        own: dict[str, Any] = {
            "socket_timeout": op_timeout,
            "socket_connect_timeout": op_timeout,
            "decode_responses": True,
        }
        if sentinel_password:
            own["password"] = sentinel_password
        manager = Sentinel(sentinels, sentinel_kwargs=own, **kwargs)
        client = manager.master_for(master, redis_class=Redis)
        hosts = ",".join(f"{h}:{p}" for h, p in sentinels)
        store = cls(
            client,
            f"sentinel://{hosts}/{master}",
            prefix,
            op_timeout,
            wait_replicas=wait_replicas,
            wait_timeout=wait_timeout,
            others=manager.sentinels,
        )
        return await store._checked()

    async def _checked(self) -> RedisStore:
        try:
            await self._run("ping", self._client.ping())
        except StoreError:
            await self.close()
            raise
        return self

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
        full = self._key(namespace, key)
        if self.wait_replicas:
            command: tuple[Any, ...] = ("SET", full, value) + (() if px is None else ("PX", px))
            await self._run("set", self._replicated("set", [command]))
            return
        await self._run("set", self._client.set(full, value, px=px))

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
        if self.wait_replicas:
            create = ("SET", full, "0", "NX") + (() if px is None else ("PX", px))
            commands = [("MULTI",), create, ("INCR", full), ("EXEC",)]
            replies = await self._run("incr", self._replicated("incr", commands))
            return self._count(namespace, key, replies[-1][1])

        async def transaction() -> int:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.set(full, "0", nx=True, px=px)
                pipe.incr(full)
                results = await pipe.execute(raise_on_error=False)
            return self._count(namespace, key, results[1])

        return await self._run("incr", transaction())

    def _count(self, namespace: str, key: str, count: Any) -> int:
        if isinstance(count, ResponseError) and (
            "not an integer" in str(count) or "overflow" in str(count)
        ):
            raise StoreError(f"redis at {self.url}: {not_a_counter(namespace, key, None)}")
        if isinstance(count, Exception):
            raise count
        return int(count)

    async def delete(self, namespace: str, key: str) -> bool:
        check_key(namespace, key)
        full = self._key(namespace, key)
        if self.wait_replicas:
            replies = await self._run("delete", self._replicated("delete", [("DEL", full)]))
            return int(replies[0]) > 0
        removed = await self._run("delete", self._client.delete(full))
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
        for other in self._others:
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                await asyncio.wait_for(other.aclose(close_connection_pool=True), self.timeout)

    # --- plumbing ----------------------------------------------------------------------

    async def _replicated(self, what: str, commands: list[tuple[Any, ...]]) -> list[Any]:
        """``commands`` then ``WAIT wait_replicas wait_ms`` on one connection, in one round
        trip; the replies of ``commands``, or StoreUnavailable if too few replicas acked.

        MULTI/EXEC may be among the commands (incr): EXEC's reply is the list of the
        transaction's replies, errors included as values.
        """
        pool: ConnectionPoolInterface = self._client.connection_pool  # the typed interface
        conn = await pool.get_connection()
        try:
            await conn.send_packed_command(
                conn.pack_commands([*commands, ("WAIT", self.wait_replicas, self.wait_ms)])
            )
            replies = [await conn.read_response() for _ in range(len(commands) + 1)]
        except BaseException:
            await conn.disconnect()  # replies may be left unread: never reuse it
            raise
        finally:
            await pool.release(conn)
        acked = int(replies[-1])
        if acked < self.wait_replicas:
            raise StoreUnavailable(
                f"redis at {self.url}: {what} reached the master but {acked} of"
                f" {self.wait_replicas} replica(s) acknowledged it within {self.wait_ms} ms:"
                " not acknowledged (is a replica down or lagging?)"
            )
        return replies[:-1]

    async def _run(self, what: str, call: Awaitable[T]) -> T:
        try:
            return await self._bounded(what, call)
        except StoreUnavailable:
            self.failures[what] += 1
            raise

    async def _bounded(self, what: str, call: Awaitable[T]) -> T:
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
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # a cancel thrown in mid-command, turned into a connection error by
                # the client: the caller is being cancelled, not the store failing
                raise asyncio.CancelledError from exc
            raise StoreUnavailable(
                f"redis at {self.url}: {what} failed: {exc or type(exc).__name__}"
            ) from exc
