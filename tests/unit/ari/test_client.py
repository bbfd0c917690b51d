"""AriClient and AriEventLink against FakeAri, a real aiohttp server (see its docstring)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

from autocom.ari import events as ev
from autocom.ari.client import AriClient, AriEventLink, Backoff
from autocom.ari.device_states import DeviceStates
from autocom.ari.errors import (
    AriConflict,
    AriConnectionError,
    AriNotFound,
    AriProtocolError,
    AriServerError,
    AriTimeout,
    AriUnauthorized,
)
from tests.support.fake_ari import FakeAri, slow


@pytest.fixture
async def fake() -> AsyncIterator[FakeAri]:
    server = FakeAri()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeAri) -> AsyncIterator[AriClient]:
    async with AriClient(fake.url, fake.user, fake.password, timeout=2.0) as ari:
        yield ari


async def test_basic_auth_header_and_no_password_in_url(fake: FakeAri, client: AriClient) -> None:
    info = await client.asterisk_info()
    assert info["system"]["version"] == "22.10.1"
    rec = fake.requests[-1]
    assert (
        rec.authorization
        == "Basic " + base64.b64encode(f"{fake.user}:{fake.password}".encode()).decode()
    )
    assert fake.password not in rec.path and "s3cret" not in str(rec.query)


async def test_wrong_password_is_unauthorized(fake: FakeAri) -> None:
    async with AriClient(fake.url, fake.user, "wrong") as ari:
        with pytest.raises(AriUnauthorized) as info:
            await ari.channels()
    assert info.value.status == 401
    assert "Authentication required" in str(info.value)


async def test_api_docs_served_and_readable(client: AriClient) -> None:
    docs = await client.request("GET", "/api-docs/resources.json")
    assert docs["swaggerVersion"] == "1.1"
    assert any(a["path"].endswith("events.{format}") for a in docs["apis"])


async def test_channels_and_channel(fake: FakeAri, client: AriClient) -> None:
    fake.add_channel("1700000000.1")
    chans = await client.channels()
    assert [c.id for c in chans] == ["1700000000.1"]
    chan = await client.channel("1700000000.1")
    assert chan.caller.number == "2001"
    assert chan.dialplan.context == "default"


async def test_not_found_is_clear(client: AriClient) -> None:
    with pytest.raises(AriNotFound) as info:
        await client.answer("nope")
    assert info.value.status == 404
    assert str(info.value) == "ARI POST /channels/nope/answer: 404 Channel not found"


async def test_play_joins_media_and_sends_id(fake: FakeAri, client: AriClient) -> None:
    fake.add_channel("c1")
    pb = await client.play("c1", ["sound:hello", "digits:12"], playback_id="pb-9", lang="fr")
    assert pb == ev.Playback("pb-9", "sound:hello,digits:12", "channel:c1", "fr", "queued")
    rec = fake.requests[-1]
    assert rec.path == "/ari/channels/c1/play/pb-9"
    assert rec.query == {"media": "sound:hello,digits:12", "lang": "fr"}
    with pytest.raises(ValueError):
        await client.play("c1", ["sound:a,b"])


async def test_continue_hangup_variable(fake: FakeAri, client: AriClient) -> None:
    fake.add_channel("c1")
    await client.set_variable("c1", "AUTOCOM_IVR_TARGET", "2001")
    await client.continue_in_dialplan("c1", "autocom-ivr-route", "extension", 1)
    assert fake.requests[-1].query == {
        "context": "autocom-ivr-route",
        "extension": "extension",
        "priority": "1",
    }
    await client.hangup("c1")
    assert fake.requests[-1].method == "DELETE"
    assert "c1" not in fake.channels


async def test_ids_are_path_encoded(fake: FakeAri, client: AriClient) -> None:
    await client.set_device_state("Stasis:dnd/2001", "INUSE")
    # the slash is encoded: it stays inside the one path segment
    assert fake.requests[-1].raw_path.startswith("/ari/deviceStates/Stasis:dnd%2F2001?")
    await client.set_device_state("Stasis:bsfilter-2001", "BUSY")
    state = await client.device_state("Stasis:bsfilter-2001")
    assert state == ev.DeviceState("Stasis:bsfilter-2001", "BUSY")
    with pytest.raises(ValueError):
        await client.set_device_state("Stasis:x", "GREEN")
    with pytest.raises(AriConflict):
        await client.set_device_state("PJSIP:2001", "INUSE")
    with pytest.raises(AriConflict):  # as Asterisk 22: Custom: is not ARI's to PUT
        await client.set_device_state("Custom:bsfilter-2001", "INUSE")


async def test_custom_lamp_goes_through_device_state_function(
    fake: FakeAri, client: AriClient
) -> None:
    lamps = DeviceStates(client)
    await lamps.set_custom("bsfilter-2001", "INUSE")
    sent = fake.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/ari/asterisk/variable")
    assert sent.query == {"variable": "DEVICE_STATE(Custom:bsfilter-2001)", "value": "INUSE"}
    await lamps.set_custom("Custom:bsfilter-2001", "NOT_INUSE")  # the prefix may be given
    assert (await client.device_state("Custom:bsfilter-2001")).state == "NOT_INUSE"
    count = len(fake.requests)
    for name, state in (("bsfilter-2001", "GREEN"), ("x)=1,y", "INUSE"), ("", "INUSE")):
        with pytest.raises(ValueError):
            await lamps.set_custom(name, state)
    assert len(fake.requests) == count  # refused before anything is sent


async def test_server_error_and_not_json(fake: FakeAri, client: AriClient) -> None:
    async def boom(request: web.Request) -> web.StreamResponse:
        return web.Response(status=500, text="Internal Server Error")

    async def garbage(request: web.Request) -> web.StreamResponse:
        return web.Response(status=200, text="<html>")

    fake.overrides[("GET", "/ari/channels")] = boom
    with pytest.raises(AriServerError) as info:
        await client.channels()
    assert info.value.status == 500
    fake.overrides[("GET", "/ari/channels")] = garbage
    with pytest.raises(AriProtocolError):
        await client.channels()


async def test_every_request_has_a_timeout(fake: FakeAri) -> None:
    fake.overrides[("GET", "/ari/asterisk/info")] = slow(5)
    async with AriClient(fake.url, fake.user, fake.password, timeout=0.2) as ari:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(AriTimeout):
            await ari.asterisk_info()
        assert loop.time() - started < 2


async def test_connection_refused() -> None:
    async with AriClient("http://127.0.0.1:9", "u", "p", timeout=1) as ari:
        with pytest.raises(AriConnectionError):
            await ari.channels()


def test_backoff_grows_and_caps() -> None:
    b = Backoff(initial=0.5, maximum=4, factor=2, jitter=0.0)
    assert [b.delay(n) for n in range(6)] == [0.5, 1, 2, 4, 4, 4]
    j = Backoff(initial=1, maximum=10, jitter=0.1)
    assert j.delay(0, rand=lambda: 0.0) == pytest.approx(0.9)
    assert j.delay(0, rand=lambda: 1.0) == pytest.approx(1.1)


# ---------------------------------------------------------------- event link


async def _until(predicate: Callable[[], bool], within: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not predicate():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_link_registers_app_and_delivers_typed_events(
    fake: FakeAri, client: AriClient
) -> None:
    got: list[ev.Event] = []
    link = AriEventLink(client, "autocom-ivr", got.append)
    link.start()
    try:
        await link.wait_connected(3)
        assert fake.apps == {"autocom-ivr": 1}
        assert fake.ws_queries[-1] == {"app": "autocom-ivr", "subscribeAll": "false"}
        await fake.push_raw("garbage")
        await fake.push({"type": "StasisStart", "args": ["main"], "channel": {"id": "c1"}})
        await fake.push({"type": "ChannelDtmfReceived", "digit": "1", "channel": {"id": "c1"}})
        await _until(lambda: len(got) == 2)
        assert isinstance(got[0], ev.StasisStart) and got[0].args == ("main",)
        assert isinstance(got[1], ev.ChannelDtmfReceived) and got[1].digit == "1"
        assert link.bad_events == 1
    finally:
        await link.stop()
    assert not link.connected


async def test_link_reconnects_and_resyncs_after_restart(fake: FakeAri, client: AriClient) -> None:
    resyncs: list[list[str]] = []
    downs: list[int] = []

    async def on_connect() -> None:
        resyncs.append([c.id for c in await client.channels()])

    link = AriEventLink(
        client,
        "autocom-ivr",
        lambda e: None,
        on_connect=on_connect,
        on_disconnect=lambda: downs.append(1),
        backoff=Backoff(initial=0.05, maximum=0.2),
    )
    link.start()
    try:
        await link.wait_connected(3)
        assert resyncs == [[]]
        await fake.stop()  # Asterisk goes away...
        await _until(lambda: not link.connected)
        assert downs == [1]
        await asyncio.sleep(0.3)  # ...a few failed attempts...
        assert link.last_error
        fake.add_channel("c9")
        await fake.start()  # ...and comes back on the same port
        await link.wait_connected(5)
        assert link.connects == 2
        assert fake.apps["autocom-ivr"] == 2  # registered again by the new websocket
        assert resyncs == [[], ["c9"]]
    finally:
        await link.stop()


async def test_link_wrong_password_keeps_retrying_with_clear_error(fake: FakeAri) -> None:
    async with AriClient(fake.url, fake.user, "wrong", timeout=1) as ari:
        link = AriEventLink(ari, "autocom-ivr", lambda e: None, backoff=Backoff(0.05, 0.1))
        link.start()
        try:
            with pytest.raises(AriTimeout):
                await link.wait_connected(0.5)
            assert "401" in link.last_error
        finally:
            await link.stop()
