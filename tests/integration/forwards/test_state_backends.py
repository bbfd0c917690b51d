"""Forward and speed-dial state on both real backends: SQLite file and redis-server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from apps.forwards import state as fwd_state
from apps.forwards.engine import Forward
from apps.speed_dial import state as sd_state
from apps.speed_dial.engine import PersonalEntry
from autocom.store.base import StateStore
from autocom.store.redis_store import RedisStore
from autocom.store.sqlite_store import SqliteStore
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.integration

Opener = Callable[[], Awaitable[StateStore]]


@pytest.fixture(params=["sqlite", "redis"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """A function opening a new connection to the same backend (a 'restart')."""
    if request.param == "sqlite":
        path = tmp_path / "state.sqlite"

        async def sqlite() -> StateStore:
            return await SqliteStore.open(path)

        return sqlite
    url: str = request.getfixturevalue("redis_url")

    async def redis() -> StateStore:
        return await RedisStore.open(url, prefix="t")

    return redis


async def test_forwards_round_trip_and_restart(open_store: Opener) -> None:
    store: StateStore = await open_store()
    await fwd_state.save(
        store, "2001", {"unconditional": Forward("2002"), "busy": Forward("00612345678", False)}
    )
    await fwd_state.save(store, "20011", {"noanswer": Forward("2003")})
    await store.set("forwards", "2001:bogus", "x")
    await store.close()
    again: StateStore = await open_store()
    try:
        assert await fwd_state.load(again, "2001") == {
            "unconditional": Forward("2002"),
            "busy": Forward("00612345678", False),
        }
        assert await fwd_state.load_type(again, "2001", "busy") == {
            "busy": Forward("00612345678", False)
        }
        assert await fwd_state.load_type(again, "2001", "noanswer") == {}
        assert set(await fwd_state.load_all(again)) == {"2001", "20011"}
        assert await fwd_state.clear(again, "2001") == 2
        assert await fwd_state.load(again, "2001") == {}
        assert await fwd_state.load(again, "20011") == {"noanswer": Forward("2003")}
    finally:
        await again.close()


async def test_personal_speed_dials_round_trip_and_restart(
    open_store: Opener,
) -> None:
    store: StateStore = await open_store()
    await sd_state.apply(
        store, "2002", {"07": PersonalEntry("00612345678", "Maison"), "08": PersonalEntry("2003")}
    )
    await sd_state.apply(store, "2002", {"08": None})
    await store.close()
    again: StateStore = await open_store()
    try:
        assert await sd_state.load(again, "2002") == {"07": PersonalEntry("00612345678", "Maison")}
        assert await sd_state.load_slot(again, "2002", "07") == {
            "07": PersonalEntry("00612345678", "Maison")
        }
        assert await sd_state.load_slot(again, "2002", "08") == {}
        assert await sd_state.load_all(again) == {
            "2002": {"07": PersonalEntry("00612345678", "Maison")}
        }
    finally:
        await again.close()


def _scans(server: RedisServer) -> int:
    """How many SCAN commands redis-server has run (INFO commandstats)."""
    for line in server.command("INFO", "commandstats").decode().splitlines():
        if line.startswith("cmdstat_scan:"):
            return int(line.split("calls=", 1)[1].split(",", 1)[0])
    return 0


async def test_call_path_loads_read_single_keys_on_redis(redis_server: RedisServer) -> None:
    """*2x codes and ring-time checks never SCAN the shared Redis (a walk of every key)."""
    store = await RedisStore.open(redis_server.url, prefix="t")
    try:
        await fwd_state.save(store, "2001", {"busy": Forward("2002")})
        await sd_state.apply(store, "2001", {"07": PersonalEntry("2003")})
        before = _scans(redis_server)
        assert await fwd_state.load(store, "2001") == {"busy": Forward("2002")}
        assert await fwd_state.load_type(store, "2001", "busy") == {"busy": Forward("2002")}
        assert await sd_state.load_slot(store, "2001", "07") == {"07": PersonalEntry("2003")}
        assert _scans(redis_server) == before
        assert await fwd_state.load_all(store)  # the CLI's listing does SCAN: the probe works
        assert _scans(redis_server) > before
    finally:
        await store.close()
