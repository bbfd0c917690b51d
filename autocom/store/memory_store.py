"""MemoryStore: a StateStore held in a dict, for pure tests only.

Not a backend: nothing is written anywhere, nothing is shared between
processes, and ``open_store`` never returns it.  It behaves like the real
backends in everything else (namespaces, prefixes, ttl expiry, closed state),
which the shared suite in tests/integration/store checks, so a feature's
unit tests can hand it to a hook instead of opening a file or a Redis.
``clock`` (seconds, default ``time.monotonic``) can be replaced to test expiry
without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from autocom.store.base import (
    StoreClosed,
    check_args,
    check_entry,
    check_key,
    check_text,
    next_count,
)


class MemoryStore:
    """In-process StateStore for tests; see the module docstring."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._data: dict[tuple[str, str], tuple[str, float | None]] = {}
        self._closed = False

    def _live(self, namespace: str, key: str) -> str | None:
        entry = self._data.get((namespace, key))
        if entry is None:
            return None
        value, expires_at = entry
        if expires_at is not None and expires_at <= self.clock():
            del self._data[(namespace, key)]
            return None
        return value

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("memory store is closed")

    async def get(self, namespace: str, key: str) -> str | None:
        check_key(namespace, key)
        self._check_open()
        return self._live(namespace, key)

    async def set(self, namespace: str, key: str, value: str, ttl: float | None = None) -> None:
        check_entry(namespace, key, value, ttl)
        self._check_open()
        self._data[(namespace, key)] = (value, None if ttl is None else self.clock() + ttl)

    async def incr(self, namespace: str, key: str, ttl: float | None = None) -> int:
        check_args(namespace, ttl)
        check_text("key", key)
        self._check_open()
        current = self._live(namespace, key)
        count = next_count(namespace, key, current)
        created = None if ttl is None else self.clock() + ttl
        expires_at = created if current is None else self._data[(namespace, key)][1]
        self._data[(namespace, key)] = (str(count), expires_at)
        return count

    async def delete(self, namespace: str, key: str) -> bool:
        check_key(namespace, key)
        self._check_open()
        existed = self._live(namespace, key) is not None
        self._data.pop((namespace, key), None)
        return existed

    async def items(self, namespace: str, prefix: str = "") -> dict[str, str]:
        check_key(namespace, prefix, "prefix")
        self._check_open()
        found: dict[str, str] = {}
        for ns, key in list(self._data):
            if ns == namespace and key.startswith(prefix):
                value = self._live(ns, key)
                if value is not None:
                    found[key] = value
        return found

    async def ping(self) -> bool:
        return not self._closed

    async def close(self) -> None:
        self._closed = True
