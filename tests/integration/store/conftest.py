"""The ``store`` fixture: one suite, every backend (SQLite file, real Redis, memory).

``open_sibling`` opens one more store on the same data (the same SQLite file,
the same redis-server and prefix: another connection, as another autocom
process or server would); for the memory store, which shares nothing, it
returns the same object.  Siblings are closed at the end of the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from autocom.store.base import StateStore
from autocom.store.memory_store import MemoryStore
from autocom.store.redis_store import RedisStore
from autocom.store.sqlite_store import SqliteStore
from tests.support.redis_server import RedisServer

TIMEOUT = 2.0

BACKENDS = ["sqlite", "redis", "redis-resp2", "memory"]

Opener = Callable[[], Awaitable[StateStore]]


@pytest.fixture(params=BACKENDS)
async def opener(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    redis_server_factory: Callable[..., RedisServer],
) -> AsyncIterator[Opener]:
    backend: str = request.param
    opened: list[StateStore] = []
    memory = MemoryStore()
    url = ""
    if backend == "redis":
        url = redis_server_factory().url
    elif backend == "redis-resp2":
        url = redis_server_factory().url + "?protocol=2"

    async def open_one() -> StateStore:
        store: StateStore
        if backend == "sqlite":
            path = tmp_path / "state" / "autocom.sqlite"
            store = await SqliteStore.open(path, op_timeout=TIMEOUT)
        elif url:
            store = await RedisStore.open(url, "t", op_timeout=TIMEOUT)
        else:
            return memory
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.close()
    await memory.close()


@pytest.fixture
async def store(opener: Opener) -> StateStore:
    return await opener()


@pytest.fixture
def open_sibling(opener: Opener) -> Opener:
    return opener
