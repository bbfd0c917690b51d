"""The ARI client against a real Asterisk 22: api-docs, auth, device states, errors, status."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from apps import features
from apps.ivr.cli import render
from autocom.app import running
from autocom.ari.client import AriClient
from autocom.ari.device_states import DeviceStates
from autocom.ari.errors import AriConflict, AriNotFound, AriUnauthorized
from tests.e2e.asterisk import AsteriskInstance
from tests.e2e.conftest import private_asterisk
from tests.e2e.test_ivr import write_config

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def asterisk(asterisk_root: Path) -> Iterator[AsteriskInstance]:
    with private_asterisk(asterisk_root) as instance:
        yield instance


@pytest.fixture
async def ari(asterisk: AsteriskInstance) -> AsyncIterator[AriClient]:
    url = f"http://{asterisk.host}:{asterisk.http_port}"
    async with AriClient(url, asterisk.ari_user, asterisk.ari_password) as client:
        yield client


async def test_api_docs_and_info(ari: AriClient) -> None:
    docs = await ari.request("GET", "/api-docs/resources.json")
    assert docs["swaggerVersion"] == "1.1"
    info = await ari.asterisk_info()
    assert info["system"]["version"].startswith("22.")


async def test_wrong_password(asterisk: AsteriskInstance) -> None:
    url = f"http://{asterisk.host}:{asterisk.http_port}"
    async with AriClient(url, asterisk.ari_user, "wrong") as bad:
        with pytest.raises(AriUnauthorized):
            await bad.channels()


async def test_errors_are_typed(ari: AriClient) -> None:
    with pytest.raises(AriNotFound) as info:
        await ari.answer("no-such-channel")
    assert "404" in str(info.value)


async def test_custom_device_state_round_trip(ari: AriClient) -> None:
    lamps = DeviceStates(ari)
    await lamps.set("bsfilter-2001", "INUSE")
    assert await lamps.get("bsfilter-2001") == "INUSE"
    await lamps.set("bsfilter-2001", "NOT_INUSE")
    assert await lamps.get("bsfilter-2001") == "NOT_INUSE"
    names = {d.name for d in await ari.device_states()}
    assert "Stasis:bsfilter-2001" in names
    with pytest.raises(AriConflict):  # ARI controls Stasis: devices only
        await ari.set_device_state("Custom:bsfilter-2001", "INUSE")


async def test_status_route_lists_links_and_calls(
    tmp_path: Path, asterisk: AsteriskInstance
) -> None:
    config = write_config(tmp_path, asterisk)
    async with running(config, features(), agi_port=0, http_port=0, watch=False) as srv:
        feature = srv.ctx.features["ivr"]
        link = getattr(feature, "link", None)
        assert link is not None
        await link.wait_connected(10)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{srv.admin_port}/status") as resp,
        ):
            data = await resp.json()
    assert data["links"]["ari"]["status"] == "up"
    assert data["links"]["store"]["status"] == "up"
    assert data["links"]["fastagi"]["status"] == "up"
    assert data["calls"] == []
    text = render(data)
    assert "0 active calls" in text and "ari" in text
