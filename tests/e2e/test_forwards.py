"""Forwards end to end: feature codes, ring-time checks, fallback, restarts.

The example site (examples/): 2002 Bernard (staff), 2003 Petit (staff, two
devices), 5001 a hallway phone (class lobby: never forwards outside).  "0"
takes a line; the trunk sinks report the number without it.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from apps import features
from apps.forwards import state
from apps.forwards.engine import Forward
from autocom.clock import Clock
from tests.e2e.conftest import ConfigDir, Pbx
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

TZ = "Europe/Paris"
DAY = datetime(2026, 11, 24, 10, 0)  # a Tuesday, office hours
NIGHT = datetime(2026, 11, 24, 22, 0)


async def test_star21_internal_then_the_call_follows(pbx: Pbx, autocom_config: ConfigDir) -> None:
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)) as srv:
        code = await pbx.driver.call("*212003", "personnel", caller="2002")
        assert "call-fwd-unconditional" in code.played and "activated" in code.played
        assert await state.load(srv.ctx.store, "2002") == {"unconditional": Forward("2003")}
        lamps = await pbx.driver.command("devstate list")
        assert "Custom:autocom-fwd-unc-2002" in lamps
        line = next(x for x in lamps.splitlines() if "Custom:autocom-fwd-unc-2002" in x)
        assert "INUSE" in line and "NOT_INUSE" not in line
        call = await pbx.driver.call("2002", "personnel", caller="2004")
        assert sorted(call.rang) == ["petit-desk", "petit-soft"]
        # *21 alone turns it off; the call rings 2002 again
        await pbx.driver.call("*21", "personnel", caller="2002")
        assert await state.load(srv.ctx.store, "2002") == {"unconditional": Forward("2003", False)}
        call = await pbx.driver.call("2002", "personnel", caller="2004")
        assert call.rang == ["bernard-desk"]
        lamps = await pbx.driver.command("devstate list")
        line = next(x for x in lamps.splitlines() if "Custom:autocom-fwd-unc-2002" in x)
        assert "NOT_INUSE" in line


async def test_star21_international_refused_for_a_restricted_user(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)) as srv:
        result = await pbx.driver.call("*21000441234567890", "couloirs", caller="5001")
        assert "cannot-complete-as-dialed" in result.played
        assert await state.load(srv.ctx.store, "5001") == {}


async def test_mobile_forward_rings_in_the_day_and_falls_back_at_night(
    pbx: Pbx, autocom_config: ConfigDir
) -> None:
    clock = Clock(TZ, pinned=DAY)
    async with pbx.autocom(autocom_config.path, clock=clock) as srv:
        code = await pbx.driver.call("*2100612345678", "personnel", caller="2002")
        assert "activated" in code.played
        day = await pbx.driver.call("2002", "personnel", caller="2004")
        assert day.dialed == ["0612345678"]
        assert day.rang == []
        clock.pin(NIGHT)
        night = await pbx.driver.call("2002", "personnel", caller="2004")
        assert night.dialed == []
        assert night.rang == ["bernard-desk"]
        # the forward is kept: it is only not followed at night
        assert (await state.load(srv.ctx.store, "2002"))["unconditional"].enabled


async def test_noanswer_forward_and_loop(pbx: Pbx, autocom_config: ConfigDir) -> None:
    async with pbx.autocom(autocom_config.path, clock=Clock(TZ, pinned=DAY)):
        await pbx.driver.call("*212003", "personnel", caller="2002")
        await pbx.driver.call("*212002", "personnel", caller="2003")
        # 2002 -> 2003 -> 2002: a loop; the call rings 2003 (where it stands)
        loop = await pbx.driver.call("2002", "personnel", caller="2004")
        assert sorted(loop.rang) == ["petit-desk", "petit-soft"]


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_forward_state_survives_a_restart(
    pbx: Pbx, autocom_config: ConfigDir, backend: str, redis_url: str
) -> None:
    config = autocom_config.use_backend(backend, redis_url)
    async with pbx.autocom(config, clock=Clock(TZ, pinned=DAY)):
        await pbx.driver.call("*212003", "personnel", caller="2002")
    async with pbx.autocom(config, features=features(), clock=Clock(TZ, pinned=DAY)):
        call = await pbx.driver.call("2002", "personnel", caller="2004")
        assert sorted(call.rang) == ["petit-desk", "petit-soft"]


async def test_redis_killed_between_calls_the_forward_is_still_followed(
    pbx: Pbx, autocom_config: ConfigDir, redis_server: RedisServer
) -> None:
    """Issue 14: Redis dies; a forward set before is still followed (not dropped), a
    change is refused, and the dialplan sees AUTOCOM_DEGRADED=store."""
    config = autocom_config.use_backend("redis", redis_server.url)
    async with pbx.autocom(config, clock=Clock(TZ, pinned=DAY)) as srv:
        code = await pbx.driver.call("*212003", "personnel", caller="2002")
        assert "activated" in code.played
        redis_server.kill()
        call = await pbx.driver.call("2002", "personnel", caller="2004")
        assert sorted(call.rang) == ["petit-desk", "petit-soft"]
        off = await pbx.driver.call("*21", "personnel", caller="2002")
        assert "cannot-complete-as-dialed" in off.played
        call = await pbx.driver.call("2002", "personnel", caller="2004")
        assert sorted(call.rang) == ["petit-desk", "petit-soft"]
        text = srv.ctx.metrics.render()
        # each call: 2002's and 2003's ring checks; and the refused code
        assert 'autocom_degraded_decisions_total{feature="forwards",reason="store"} 5.0' in text
