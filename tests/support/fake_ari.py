"""FakeAri: a fake Asterisk ARI on a real aiohttp server, for the client's unit tests.

It is a FAKE, used for what the real Asterisk cannot show on demand: a 500, a
reply that is not JSON, a slow reply, a garbage event, a websocket that drops
and comes back on the same port.  The behaviour the client relies on in normal
operation is checked against the real Asterisk in tests/e2e (test_ari.py,
test_ivr.py, the lamp tests).  It serves the real api-docs JSON (tests/unit/ari/api-docs) under
/ari/api-docs/, checks the Basic auth header, keeps a channel table, registers
the Stasis app when a websocket opens, and records every request.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

API_DOCS = Path(__file__).resolve().parent.parent / "unit" / "ari" / "api-docs"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    authorization: str
    raw_path: str = ""


Override = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeAri:
    user: str = "autocom"
    password: str = "s3cret:with colon"
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    device_states: dict[str, str] = field(default_factory=dict)
    apps: dict[str, int] = field(default_factory=dict)  # app -> websocket connects
    overrides: dict[tuple[str, str], Override] = field(default_factory=dict)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    ws_queries: list[dict[str, str]] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/ari/api-docs/{name}", self._api_docs)
        app.router.add_get("/ari/events", self._events)
        app.router.add_get("/ari/asterisk/info", self._info)
        app.router.add_post("/ari/asterisk/variable", self._set_global)
        app.router.add_get("/ari/channels", self._channels)
        app.router.add_get("/ari/channels/{id}", self._channel)
        app.router.add_delete("/ari/channels/{id}", self._hangup)
        app.router.add_post("/ari/channels/{id}/answer", self._in_stasis)
        app.router.add_post("/ari/channels/{id}/continue", self._in_stasis)
        app.router.add_post("/ari/channels/{id}/variable", self._in_stasis)
        app.router.add_post("/ari/channels/{id}/play", self._play)
        app.router.add_post("/ari/channels/{id}/play/{pb}", self._play)
        app.router.add_delete("/ari/playbacks/{id}", self._no_content)
        app.router.add_get("/ari/deviceStates/{name}", self._get_state)
        app.router.add_put("/ari/deviceStates/{name}", self._put_state)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Stop like a crashed Asterisk: websockets closed, port closed."""
        for ws in list(self.sockets):
            await ws.close()
        self.sockets.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------ control

    async def push(self, event: dict[str, Any]) -> None:
        """Send an event to every open websocket."""
        for ws in list(self.sockets):
            await ws.send_str(json.dumps(event))

    async def push_raw(self, text: str) -> None:
        for ws in list(self.sockets):
            await ws.send_str(text)

    def add_channel(self, channel_id: str, name: str = "PJSIP/2001-00000001") -> dict[str, Any]:
        chan = {
            "id": channel_id,
            "name": name,
            "state": "Up",
            "caller": {"name": "Alice", "number": "2001"},
            "connected": {"name": "", "number": ""},
            "accountcode": "",
            "dialplan": {"context": "default", "exten": "s", "priority": 1},
            "creationtime": "2026-11-23T18:00:00.000+0100",
            "language": "fr",
        }
        self.channels[channel_id] = chan
        return chan

    # ------------------------------------------------------------ handlers

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        self.requests.append(
            Recorded(request.method, request.path, dict(request.query), auth, request.raw_path)
        )
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode(
            "ascii"
        )
        if auth != expected:
            return web.json_response({"message": "Authentication required"}, status=401)
        override = self.overrides.get((request.method, request.path))
        if override is not None:
            return await override(request)
        return await handler(request)

    async def _api_docs(self, request: web.Request) -> web.StreamResponse:
        path = API_DOCS / request.match_info["name"]
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.Response(text=path.read_text(), content_type="application/json")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        app_name = request.query.get("app", "")
        if not app_name:
            return web.json_response({"message": "Missing parameter app"}, status=400)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws_queries.append(dict(request.query))
        self.apps[app_name] = self.apps.get(app_name, 0) + 1
        self.sockets.append(ws)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.ERROR:
                    break
        finally:
            if ws in self.sockets:
                self.sockets.remove(ws)
        return ws

    async def _info(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"system": {"version": "22.10.1", "entity_id": "fake"}})

    async def _channels(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(list(self.channels.values()))

    def _known(self, request: web.Request) -> dict[str, Any]:
        chan = self.channels.get(request.match_info["id"])
        if chan is None:
            raise web.HTTPNotFound(
                text=json.dumps({"message": "Channel not found"}), content_type="application/json"
            )
        return chan

    async def _channel(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._known(request))

    async def _hangup(self, request: web.Request) -> web.StreamResponse:
        self._known(request)
        del self.channels[request.match_info["id"]]
        return web.Response(status=204)

    async def _in_stasis(self, request: web.Request) -> web.StreamResponse:
        self._known(request)
        return web.Response(status=204)

    async def _play(self, request: web.Request) -> web.StreamResponse:
        self._known(request)
        pb_id = request.match_info.get("pb") or request.query.get("playbackId", "pb-1")
        return web.json_response(
            {
                "id": pb_id,
                "media_uri": request.query.get("media", ""),
                "target_uri": f"channel:{request.match_info['id']}",
                "language": request.query.get("lang", "en"),
                "state": "queued",
            },
            status=201,
        )

    async def _no_content(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    async def _get_state(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        return web.json_response({"name": name, "state": self.device_states.get(name, "UNKNOWN")})

    async def _put_state(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if not name.startswith("Stasis:"):  # as Asterisk 22: Custom: included
            return web.json_response({"message": "Uncontrolled device specified"}, status=409)
        self.device_states[name] = request.query["deviceState"]
        return web.Response(status=204)

    async def _set_global(self, request: web.Request) -> web.StreamResponse:
        """Only DEVICE_STATE(x) is modelled: it sets device x, as in Asterisk."""
        variable = request.query["variable"]
        if variable.startswith("DEVICE_STATE(") and variable.endswith(")"):
            self.device_states[variable[len("DEVICE_STATE(") : -1]] = request.query["value"]
            return web.Response(status=204)
        return web.json_response({"message": f"not modelled: {variable}"}, status=400)


def slow(seconds: float) -> Override:
    """An override that answers after ``seconds`` (to test request timeouts)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.Response(status=204)

    return handler
