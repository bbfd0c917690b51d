"""open_store(config): the backend autocom.yaml names, with its settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocom.config.settings import Settings, StateSettings
from autocom.loader import Config
from autocom.site.model import Site
from autocom.store.factory import open_store
from autocom.store.redis_store import RedisStore
from autocom.store.sqlite_store import SqliteStore
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration


def config(tmp_path: Path, state: StateSettings) -> Config:
    return Config(path=tmp_path / "autocom.yaml", settings=Settings(state=state), site=Site())


async def test_sqlite_by_default_relative_to_autocom_yaml(tmp_path: Path) -> None:
    store = await open_store(config(tmp_path, StateSettings(timeout=0.7)))
    try:
        assert isinstance(store, SqliteStore)
        assert store.path == tmp_path / "var" / "autocom.sqlite"
        assert store.timeout == 0.7
        await store.set("ns", "k", "v")
        assert (tmp_path / "var" / "autocom.sqlite").is_file()
    finally:
        await store.close()


async def test_sqlite_absolute_path(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "state.db"
    store = await open_store(config(tmp_path / "etc", StateSettings(path=str(path))))
    try:
        assert isinstance(store, SqliteStore)
        assert store.path == path
    finally:
        await store.close()


async def test_redis_with_url_prefix_timeout(tmp_path: Path, redis_server: RedisServer) -> None:
    state = StateSettings(backend="redis", url=redis_server.url, prefix="site1", timeout=0.5)
    store = await open_store(config(tmp_path, state))
    try:
        assert isinstance(store, RedisStore)
        assert store.timeout == 0.5
        await store.set("forwards", "1001", "1002")
        assert redis_server.command("GET", "site1:forwards:1001").strip() == b"1002"
    finally:
        await store.close()
