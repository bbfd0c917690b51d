"""The ``store`` fixture: one suite, every backend (SQLite file, real Redis, memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from autocom.store.base import StateStore
from autocom.store.memory_store import MemoryStore
from autocom.store.redis_store import RedisStore
from autocom.store.sqlite_store import SqliteStore
from tests.support.redis_server import RedisServer

TIMEOUT = 2.0

BACKENDS = ["sqlite", "redis", "redis-resp2", "memory"]


@pytest.fixture(params=BACKENDS)
async def store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    redis_server_factory: Callable[..., RedisServer],
) -> AsyncIterator[StateStore]:
    backend: str = request.param
    opened: StateStore
    if backend == "sqlite":
        opened = await SqliteStore.open(tmp_path / "state" / "autocom.sqlite", op_timeout=TIMEOUT)
    elif backend == "redis":
        opened = await RedisStore.open(redis_server_factory().url, "t", op_timeout=TIMEOUT)
    elif backend == "redis-resp2":
        url = redis_server_factory().url + "?protocol=2"
        opened = await RedisStore.open(url, "t", op_timeout=TIMEOUT)
    else:
        opened = MemoryStore()
    yield opened
    await opened.close()
