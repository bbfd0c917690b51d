"""The phones' listener and the admin listener (issue 14, items 1, 4 and 6).

autocom runs in the test's loop (autocom.app.running, free ports); clients are
raw sockets and aiohttp on 127.0.0.x.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from autocom.app import Server, running
from autocom.config.errors import ConfigError
from autocom.loader import load_config
from tests.integration.framework.test_app import SITE, GreetFeature, _until
from tests.support.redis_server import RedisServer

HTTP = "http: {port: 0, header_timeout: 0.3, body_timeout: 0.3, max_per_address: 4}\n"


def write_config(folder: Path, extra: str = "") -> Path:
    (folder / "autocom.yaml").write_text(
        f"site: site.yaml\nrules:\n  greet: greet.yaml\nreload_interval: 0.05\n"
        f"reload_settle: 0\n{HTTP}{extra or 'state: {path: state.sqlite}'}\n",
        encoding="utf-8",
    )
    (folder / "site.yaml").write_text(SITE, encoding="utf-8")
    (folder / "greet.yaml").write_text("word: bonjour\n", encoding="utf-8")
    return folder / "autocom.yaml"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    async with running(write_config(tmp_path), [GreetFeature()], agi_port=0) as srv:
        yield srv


async def get(port: int | None, path: str, **kwargs: object) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}{path}", **kwargs) as resp,  # type: ignore[arg-type]
    ):
        return resp.status, await resp.text()


async def test_admin_pages_are_not_on_the_phone_listener(server: Server) -> None:
    assert server.admin_port not in (None, server.http_port)
    for path in ("/metrics", "/healthz", "/livez", "/readyz", "/status"):
        assert (await get(server.http_port, path))[0] == 404, path
    for path in ("/metrics", "/healthz", "/livez", "/readyz"):
        assert (await get(server.admin_port, path))[0] == 200, path


async def test_admin_credentials(tmp_path: Path) -> None:
    config = write_config(tmp_path, "admin: {user: ops, password: s3cret}\n")
    async with running(config, [GreetFeature()], agi_port=0) as srv:
        status, _ = await get(srv.admin_port, "/metrics")
        assert status == 401
        bad = {"Authorization": aiohttp.encode_basic_auth("ops", "wrong")}
        assert (await get(srv.admin_port, "/metrics", headers=bad))[0] == 401
        good = {"Authorization": aiohttp.encode_basic_auth("ops", "s3cret")}
        status, text = await get(srv.admin_port, "/metrics", headers=good)
        assert status == 200 and "autocom_agi_active_sessions" in text


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "admin.example.org", "::"])
def test_admin_off_loopback_needs_credentials(tmp_path: Path, host: str) -> None:
    config = write_config(tmp_path, f"admin:\n  host: '{host}'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config, [GreetFeature()])
    (issue,) = caught.value.issues
    assert f"{config}:" in str(issue) and "set admin.user and admin.password" in str(issue)
    write_config(tmp_path, f"admin:\n  host: '{host}'\n  user: ops\n  password: x\n")
    assert load_config(config, [GreetFeature()]).settings.admin.host == host


async def test_readiness_fails_while_a_rule_file_is_broken(tmp_path: Path, server: Server) -> None:
    holder = server.ctx.config
    folder = holder.current.path.parent
    assert (await get(server.admin_port, "/readyz"))[0] == 200
    (folder / "greet.yaml").write_text("", encoding="utf-8")  # emptied: refused
    await _until(lambda: holder.failed_reloads == 1)
    status, body = await get(server.admin_port, "/readyz")
    assert status == 503 and "greet.yaml:1" in body and "the rule file is empty" in body
    assert (await get(server.admin_port, "/livez"))[0] == 200  # alive: do not restart it
    (folder / "greet.yaml").write_text("word: salut\n", encoding="utf-8")
    await _until(lambda: holder.reloads == 1)
    assert (await get(server.admin_port, "/readyz"))[0] == 200


async def test_readiness_fails_while_the_store_is_down(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "redis") as redis:
        state = f"state: {{backend: redis, url: '{redis.url}', timeout: 0.3}}\n"
        config = write_config(tmp_path, state)
        async with running(config, [GreetFeature()], agi_port=0, watch=False) as srv:
            assert (await get(srv.admin_port, "/readyz"))[0] == 200
            redis.kill()
            status, body = await get(srv.admin_port, "/readyz")
            assert status == 503 and "state store unavailable" in body
            assert (await get(srv.admin_port, "/livez"))[0] == 200
            redis.start()
            await _until_async(lambda: _ready(srv))


async def test_half_sent_requests_time_out(server: Server) -> None:
    """Headers that never end, a body that never comes: 408 and closed, in time."""
    port = server.http_port
    assert port is not None
    loop = asyncio.get_running_loop()
    for partial in (b"", b"GET /directory/yealink HTTP/1.1\r\nHost: x\r\n",
                    b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"):  # fmt: skip
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = loop.time()
        writer.write(partial)
        reply = await asyncio.wait_for(reader.read(), 5)  # until the server closes
        if b"Content-Length" in partial:  # aiohttp may answer before the body: no 408 after it
            assert b"408" not in reply
        else:
            assert reply.startswith(b"HTTP/1.1 408"), (partial, reply)
        assert loop.time() - started < 2
        writer.close()
    # a complete request on a kept-alive connection is served as usual
    assert (await get(port, "/nothing-here"))[0] == 404


async def test_connection_caps(tmp_path: Path) -> None:
    extra = "http: {port: 0, max_connections: 6, max_per_address: 4, header_timeout: 30}\n"
    config = write_config(tmp_path, "")
    config.write_text(config.read_text().replace(HTTP, extra), encoding="utf-8")
    async with running(config, [GreetFeature()], agi_port=0) as srv:
        port = srv.http_port
        held = [await _half_open(port, "127.0.0.1") for _ in range(4)]
        assert await _reset(port, "127.0.0.1")  # the 5th from one address
        held += [await _half_open(port, "127.0.0.3") for _ in range(2)]
        assert await _reset(port, "127.0.0.4")  # the 7th in all
        # the FastAGI side and the admin listener are untouched
        assert (await get(srv.admin_port, "/livez"))[0] == 200
        for writer in held:
            writer.close()
        await _until(lambda: srv.guards["http"].open == 0)
        assert srv.guards["http"].refused == 2
        assert (await get(port, "/nothing-here"))[0] == 404


async def _half_open(port: int | None, source: str) -> asyncio.StreamWriter:
    _, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(b"GET / HTTP/1.1\r\n")
    await writer.drain()
    return writer


async def _reset(port: int | None, source: str) -> bool:
    """True when the server closes a new connection at once without a reply."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = await asyncio.wait_for(reader.read(), 5)
        return data == b""
    except ConnectionResetError:
        return True
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _ready(srv: Server) -> bool:
    return (await get(srv.admin_port, "/readyz"))[0] == 200


async def _until_async(cond: object, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await cond():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.1)


async def test_autocom_status_reads_the_admin_listener_with_its_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from apps.ivr import IvrFeature
    from autocom.cli import main

    feats = [GreetFeature(), IvrFeature()]
    config = write_config(tmp_path, "admin: {port: 0, user: ops, password: s3cret}\n")
    text = config.read_text()
    config.write_text(text.replace("  greet: greet.yaml\n", "  greet: greet.yaml\n  ivr:\n"))
    async with running(config, feats, agi_port=0) as srv:  # /status: the IVR's page
        status, _ = await get(srv.admin_port, "/status")
        assert status == 401
        url = f"http://127.0.0.1:{srv.admin_port}/status"
        code = await asyncio.to_thread(main, ["-c", str(config), "status", "--url", url], feats)
    assert code == 0, capsys.readouterr().err
    assert "fastagi" in capsys.readouterr().out
