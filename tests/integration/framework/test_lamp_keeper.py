"""The shared lamp keeper (autocom.ari.lamps) on the example config, against FakeAri.

FakeAri (tests/support/fake_ari.py) is a fake Asterisk ARI: it is used here for
what the real Asterisk cannot show on demand: going away and coming back on
the same port, and refusing one lamp with a 500.  The keeper setting real lamps
on the real Asterisk is checked in tests/e2e/test_forwards_lamps.py and
tests/e2e/test_boss_secretary.py.  The state store is a real SQLite file.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import shutil
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
from aiohttp import web

from apps import features
from apps.boss_secretary import lamps as filter_lamps
from apps.boss_secretary import state as filter_state
from apps.forwards import ForwardsFeature, state
from apps.forwards import lamps as forward_lamps
from apps.forwards.engine import Forward
from autocom.ari.client import AriClient
from autocom.ari.lamps import LampKeeper, push, start_lamps, stop_lamps
from autocom.clock import Clock
from autocom.context import AppContext
from autocom.loader import Config, load_config
from autocom.metrics import Metrics
from autocom.reload import ConfigHolder
from autocom.store.base import StateStore, StoreUnavailable
from autocom.store.factory import open_store
from tests.support.fake_ari import FakeAri

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
UNC_2002 = "Custom:autocom-fwd-unc-2002"


@pytest.fixture
async def fake() -> AsyncIterator[FakeAri]:
    server = FakeAri()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def config(tmp_path: Path, fake: FakeAri) -> Config:
    """examples/, its ari: pointed at the fake and its SQLite file in tmp_path."""
    folder = tmp_path / "config"
    shutil.copytree(EXAMPLES, folder)
    main = folder / "autocom.yaml"
    text = main.read_text()
    text, urls = re.subn(r"(?m)^  url: http://\S+", f"  url: {fake.url}", text)
    text, passwords = re.subn(r"(?m)^  password: .*$", f"  password: '{fake.password}'", text)
    assert (urls, passwords) == (1, 1), text
    text = text.replace("path: var/autocom.sqlite", f"path: {tmp_path / 'state.sqlite'}")
    main.write_text(text)
    return load_config(main, features())


@pytest.fixture
async def store(config: Config) -> AsyncIterator[StateStore]:
    opened = await open_store(config)
    yield opened
    await opened.close()


def keeper(config: Config, store: StateStore) -> LampKeeper:
    """The forwards' keeper, as the feature builds it, without its task."""
    assert config.settings.ari is not None
    return LampKeeper(
        "forwards",
        AriClient.from_settings(config.settings.ari),
        lambda: config,
        store,
        forward_lamps.wanted,
        forward_lamps.interval,
    )


def lamps_set(fake: FakeAri) -> list[str]:
    return [
        r.query["variable"]
        for r in fake.requests
        if (r.method, r.path) == ("POST", "/ari/asterisk/variable")
    ]


async def test_every_lamp_at_start_then_only_the_changed_ones(
    config: Config, store: StateStore, fake: FakeAri
) -> None:
    sync = keeper(config, store)
    try:
        users = len(config.site.users)
        assert await sync.sync_once() == 3 * users  # every lamp of every user
        assert fake.device_states[UNC_2002] == "NOT_INUSE"
        assert await sync.sync_once() == 0  # nothing changed: nothing sent
        assert len(lamps_set(fake)) == 3 * users
        await state.save(store, "2002", {"unconditional": Forward("2003")})
        assert await sync.sync_once() == 1
        assert lamps_set(fake)[-1] == f"DEVICE_STATE({UNC_2002})"
        assert fake.device_states[UNC_2002] == "INUSE"
        assert sync.syncs == 3
    finally:
        await sync.stop()


async def test_asterisk_unreachable_stops_the_round_and_the_next_sets_every_lamp(
    config: Config, store: StateStore, fake: FakeAri, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="autocom.ari.lamps")
    sync = keeper(config, store)
    try:
        total = await sync.sync_once()
        await fake.stop()  # Asterisk restarting: the port refuses connections
        await state.save(store, "2002", {"unconditional": Forward("2003")})
        assert await sync.sync_once() == 0
        assert await sync.sync_once() == 0
        assert sync.pushed == {}  # forgotten: Asterisk may come back with other states
        await fake.start()  # same port
        fake.device_states.clear()
        fake.requests.clear()
        assert await sync.sync_once() == total  # every lamp again, not only 2002's
        assert fake.device_states[UNC_2002] == "INUSE"
    finally:
        await sync.stop()
    said = [(r.levelno, r.getMessage()) for r in caplog.records if "lamp sync" in r.getMessage()]
    # the outage: one warning, its second round at debug level, one line when it ends
    assert [level for level, _ in said] == [logging.WARNING, logging.DEBUG, logging.INFO]
    assert "Asterisk unreachable" in said[0][1] and said[2][1].endswith("Asterisk answers again")


async def test_one_refused_lamp_does_not_stop_the_others(
    config: Config, store: StateStore, fake: FakeAri
) -> None:
    async def refuse_2002(request: web.Request) -> web.StreamResponse:
        variable = request.query["variable"]
        if "-2002)" in variable:
            return web.json_response({"message": "boom"}, status=500)
        fake.device_states[variable[len("DEVICE_STATE(") : -1]] = request.query["value"]
        return web.Response(status=204)

    fake.overrides[("POST", "/ari/asterisk/variable")] = refuse_2002
    sync = keeper(config, store)
    try:
        users = len(config.site.users)
        assert await sync.sync_once() == 3 * (users - 1)
        assert UNC_2002 not in sync.pushed and UNC_2002 not in fake.device_states
        del fake.overrides[("POST", "/ari/asterisk/variable")]
        assert await sync.sync_once() == 3  # only the three refused ones are tried again
        assert fake.device_states[UNC_2002] == "NOT_INUSE"
    finally:
        await sync.stop()


async def test_store_unavailable_skips_the_round(
    config: Config, fake: FakeAri, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="autocom.ari.lamps")
    calls = 0

    async def wanted(config: Config, store: StateStore) -> Mapping[str, str]:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise StoreUnavailable("redis down")
        return {"Custom:bsfilter-2001": "INUSE"}

    assert config.settings.ari is not None
    store = await open_store(config)
    sync = LampKeeper(
        "test",
        AriClient.from_settings(config.settings.ari),
        lambda: config,
        store,
        wanted,
        lambda c: 1.0,
    )
    try:
        assert await sync.sync_once() == 0
        assert await sync.sync_once() == 0
        assert (sync.syncs, fake.device_states) == (0, {})
        assert await sync.sync_once() == 1
        assert fake.device_states == {"Custom:bsfilter-2001": "INUSE"}
    finally:
        await sync.stop()
        await store.close()
    said = [r for r in caplog.records if "lamp sync" in r.getMessage()]
    # the first round of the outage warns, the second at debug level, then its end
    assert [r.levelno for r in said] == [logging.WARNING, logging.DEBUG, logging.INFO]
    assert "redis down" in said[0].getMessage()


async def test_filter_lamps_follow_the_stored_state_or_the_default(
    config: Config, store: StateStore
) -> None:
    wanted = await filter_lamps.wanted(config, store)
    assert wanted[filter_state.lamp_device("2001")] == "INUSE"  # examples: filter on by default
    await filter_state.set_state(store, "2001", False)
    wanted = await filter_lamps.wanted(config, store)
    assert wanted[filter_state.lamp_device("2001")] == "NOT_INUSE"
    assert filter_lamps.interval(config) == 30.0
    assert forward_lamps.interval(config) == 10.0


async def test_the_declared_lamps_run_a_keeper_and_stop_ends_it(
    config: Config, store: StateStore, fake: FakeAri
) -> None:
    features_ = features()
    ctx = AppContext(ConfigHolder(config, features_), store, Clock("Europe/Paris"), Metrics())
    feature = ForwardsFeature()
    await feature.start(ctx)
    start_lamps(feature, ctx)  # as the server's lifespan does with lamp_spec()
    sync = feature.lamps
    assert sync is not None
    for _ in range(100):
        if sync.syncs:
            break
        await asyncio.sleep(0.02)
    assert sync.syncs == 1 and len(sync.pushed) == 3 * len(config.site.users)
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "autocom-forwards-lamps"]
    assert len(tasks) == 1
    await stop_lamps(feature)
    await feature.stop()
    assert feature.lamps is None and tasks[0].cancelled()


async def test_without_ari_no_keeper_and_the_cli_says_what_moves_the_lamp(
    config: Config, store: StateStore
) -> None:
    no_ari = config.settings.model_copy(update={"ari": None})
    bare = dataclasses.replace(config, settings=no_ari)
    ctx = AppContext(ConfigHolder(bare, features()), store, Clock("Europe/Paris"), Metrics())
    assert LampKeeper.start(ctx, "forwards", forward_lamps.wanted, forward_lamps.interval) is None
    assert await filter_lamps.push(None, {"2001": True}) == (
        "no ari: section in autocom.yaml: lamp not set; it follows at the next *37"
    )
    report = await forward_lamps.push(None, {UNC_2002: "INUSE", "Custom:x": "INUSE"})
    assert report.startswith("no ari: section in autocom.yaml: lamps not set; they follow")


async def test_push_reports_set_or_not_set(config: Config, fake: FakeAri) -> None:
    ari = config.settings.ari
    assert ari is not None
    assert await push(ari, {UNC_2002: "INUSE"}, without_ari="-") == "lamp set"
    assert fake.device_states[UNC_2002] == "INUSE"
    await fake.stop()
    report = await push(ari, {UNC_2002: "NOT_INUSE", "Custom:y": "INUSE"}, without_ari="-")
    assert report.startswith("lamps not set (")
    assert report.endswith("); the server's next lamp sync sets them")


async def test_daynight_lamp_follows_the_override_and_its_end(
    config: Config, store: StateStore
) -> None:
    """The example's service accueil: lit while its override is in force, out once
    the override ended at the slot's change (by the server's clock, not the wall's)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from apps.ivr import daynight, daynight_hooks

    now = datetime(2026, 11, 24, 16, 0, tzinfo=ZoneInfo("Europe/Paris"))
    lamp = "Custom:daynight-accueil"
    assert await daynight_hooks.wanted_lamps(config, store, now) == {lamp: "NOT_INUSE"}
    until = now + timedelta(hours=3)
    override = daynight.Override("night", now, until)
    await store.set(daynight.NAMESPACE, "accueil", override.encode())
    assert await daynight_hooks.wanted_lamps(config, store, now) == {lamp: "INUSE"}
    assert await daynight_hooks.wanted_lamps(config, store, until) == {lamp: "NOT_INUSE"}
