"""Open the state store named in autocom.yaml."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from autocom.config.settings import StateSettings
from autocom.loader import Config
from autocom.store.base import StateStore, StoreError


async def open_store(config: Config) -> StateStore:
    state = config.settings.state
    if state.backend == "redis":
        from autocom.store.redis_store import RedisStore

        if state.sentinels:
            return await _open_sentinel(state)
        return await RedisStore.open(
            state.url,
            prefix=state.prefix,
            op_timeout=state.timeout,
            wait_replicas=state.wait_replicas,
            wait_timeout=state.wait_timeout,
        )
    from autocom.store.sqlite_store import SqliteStore

    return await SqliteStore.open(config.resolve(state.path), op_timeout=state.timeout)


async def _open_sentinel(state: StateSettings) -> StateStore:
    """The master Sentinel names; the url gives only the database and ?protocol=."""
    from autocom.store.redis_store import RedisStore

    parts = urlsplit(state.url)
    db_text = parts.path.strip("/") or "0"
    protocol = parse_qs(parts.query).get("protocol", [""])[0]
    if not db_text.isdigit() or protocol not in ("", "2", "3"):
        raise StoreError(
            f"state.url {state.url!r}: with sentinels only /<db> and ?protocol=2|3 are read;"
            " write e.g. redis://sentinel/0"
        )
    addresses = [(h, int(p)) for h, _, p in (a.rpartition(":") for a in state.sentinels)]
    return await RedisStore.open_sentinel(
        addresses,
        state.master,
        prefix=state.prefix,
        op_timeout=state.timeout,
        password=state.password,
        sentinel_password=state.sentinel_password,
        db=int(db_text),
        protocol=int(protocol) if protocol else None,
        wait_replicas=state.wait_replicas,
        wait_timeout=state.wait_timeout,
    )
