"""Open the state store named in autocom.yaml."""

from __future__ import annotations

from autocom.loader import Config
from autocom.store.base import StateStore


async def open_store(config: Config) -> StateStore:
    state = config.settings.state
    if state.backend == "redis":
        from autocom.store.redis_store import RedisStore

        return await RedisStore.open(state.url, prefix=state.prefix, op_timeout=state.timeout)
    from autocom.store.sqlite_store import SqliteStore

    return await SqliteStore.open(config.resolve(state.path), op_timeout=state.timeout)
