"""ARI client on aiohttp: REST calls with timeouts, and the events websocket.

- :class:`AriClient` does REST calls.  Every request has a timeout; network
  failures become :class:`AriConnectionError` / :class:`AriTimeout`, error
  statuses become the :class:`AriHttpError` subclass for that status.  The user
  and password travel in a Basic ``Authorization`` header, never in a URL.
- :class:`AriEventLink` keeps the ``/ari/events?app=NAME`` websocket open:
  opening it registers the Stasis application; when Asterisk restarts (or the
  link drops) it reconnects with exponential backoff and calls ``on_connect``
  again so the owner can resync (``GET /channels``) before the next event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp

from autocom.ari.errors import (
    AriConnectionError,
    AriError,
    AriProtocolError,
    AriTimeout,
    http_error,
)
from autocom.ari.events import Channel, DeviceState, Event, Playback, parse_event
from autocom.tasks import cancel_and_wait

if TYPE_CHECKING:
    from autocom.config.settings import AriSettings

log = logging.getLogger("autocom.ari")

DEVICE_STATES = frozenset(
    {"NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD"}
)

Params = Mapping[str, str | int | bool]


def _segment(value: str) -> str:
    """One path segment, percent-encoded (ids come from Asterisk or from rule files)."""
    if not value:
        raise ValueError("an empty ARI id")
    return quote(value, safe=":@")


def _query(params: Params | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


class AriClient:
    """REST side of ARI. ``url`` is Asterisk's HTTP server, e.g. http://127.0.0.1:8088.

    Use as ``async with AriClient(...) as ari:`` or call :meth:`close`.
    """

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        timeout: float = 5.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.base = url.rstrip("/") + "/ari"
        if ":" in user:
            raise ValueError("an ARI user name cannot contain ':' (RFC 7617)")
        # The credentials go in a header only: never in a URL, so never in a log line.
        self.headers = {"Authorization": aiohttp.encode_basic_auth(user, password)}
        self.timeout = timeout
        self._session = session
        self._own_session = session is None

    @classmethod
    def from_settings(cls, settings: AriSettings) -> AriClient:
        """A client for autocom.yaml's ``ari:`` section."""
        return cls(settings.url, settings.user, settings.password, timeout=settings.timeout)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------ raw request

    async def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        body: Any = None,
        *,
        limit_s: float | None = None,
    ) -> Any:
        """One REST call; returns the decoded JSON body (None for 204)."""
        url = self.base + path
        limit = aiohttp.ClientTimeout(total=limit_s or self.timeout)
        try:
            async with self.session.request(
                method,
                url,
                params=_query(params),
                json=body,
                headers=self.headers,
                timeout=limit,
            ) as resp:
                text = await resp.text()
                if resp.status >= 400:
                    raise http_error(method, path, resp.status, _message(text, resp.reason))
                if resp.status == 204 or not text.strip():
                    return None
                try:
                    return json.loads(text)
                except ValueError:
                    raise AriProtocolError(f"ARI {method} {path}: reply is not JSON") from None
        except TimeoutError:
            raise AriTimeout(f"ARI {method} {path}: no reply within {limit.total} s") from None
        except aiohttp.ClientError as exc:
            raise AriConnectionError(f"ARI {method} {path}: {exc}") from exc

    # ------------------------------------------------------------ asterisk

    async def asterisk_info(self) -> dict[str, Any]:
        data = await self.request("GET", "/asterisk/info")
        return data if isinstance(data, dict) else {}

    async def ping(self) -> dict[str, Any]:
        data = await self.request("GET", "/asterisk/ping")
        return data if isinstance(data, dict) else {}

    async def set_global_variable(self, name: str, value: str) -> None:
        """POST /asterisk/variable: a global variable, or a writable function (DEVICE_STATE())."""
        await self.request("POST", "/asterisk/variable", {"variable": name, "value": value})

    async def application(self, name: str) -> dict[str, Any]:
        data = await self.request("GET", f"/applications/{_segment(name)}")
        return data if isinstance(data, dict) else {}

    # ------------------------------------------------------------ channels

    async def channels(self) -> list[Channel]:
        data = await self.request("GET", "/channels")
        if not isinstance(data, list):
            raise AriProtocolError("ARI GET /channels: expected a list")
        return [Channel.from_json(c) for c in data if isinstance(c, dict)]

    async def channel(self, channel_id: str) -> Channel:
        data = await self.request("GET", f"/channels/{_segment(channel_id)}")
        if not isinstance(data, dict):
            raise AriProtocolError("ARI GET /channels/{id}: expected an object")
        return Channel.from_json(data)

    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{_segment(channel_id)}/answer")

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self.request("DELETE", f"/channels/{_segment(channel_id)}", {"reason": reason})

    async def play(
        self,
        channel_id: str,
        media: Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
    ) -> Playback:
        """Play media URIs (sound:x, digits:123, characters:abc, ...) in order."""
        if not media or any("," in m or not m for m in media):
            raise ValueError(f"media URIs must be non-empty and without commas: {media!r}")
        params: dict[str, str] = {"media": ",".join(media)}
        if lang:
            params["lang"] = lang
        path = f"/channels/{_segment(channel_id)}/play"
        if playback_id:
            path += f"/{_segment(playback_id)}"
        data = await self.request("POST", path, params)
        if not isinstance(data, dict):
            raise AriProtocolError(f"ARI POST {path}: expected a playback")
        return Playback.from_json(data)

    async def stop_playback(self, playback_id: str) -> None:
        await self.request("DELETE", f"/playbacks/{_segment(playback_id)}")

    async def continue_in_dialplan(
        self, channel_id: str, context: str, extension: str, priority: int = 1
    ) -> None:
        await self.request(
            "POST",
            f"/channels/{_segment(channel_id)}/continue",
            {"context": context, "extension": extension, "priority": priority},
        )

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        await self.request(
            "POST",
            f"/channels/{_segment(channel_id)}/variable",
            {"variable": name, "value": value},
        )

    async def get_variable(self, channel_id: str, name: str) -> str:
        data = await self.request(
            "GET", f"/channels/{_segment(channel_id)}/variable", {"variable": name}
        )
        return str(data.get("value", "")) if isinstance(data, dict) else ""

    async def originate(
        self,
        endpoint: str,
        *,
        context: str | None = None,
        extension: str | None = None,
        priority: int = 1,
        app: str | None = None,
        app_args: str | None = None,
        caller_id: str | None = None,
        timeout_s: int = 30,
        channel_id: str | None = None,
    ) -> Channel:
        """POST /channels: call ``endpoint`` into the dialplan or into a Stasis app."""
        params: dict[str, str | int] = {"endpoint": endpoint, "timeout": timeout_s}
        if app is not None:
            params["app"] = app
            if app_args is not None:
                params["appArgs"] = app_args
        else:
            if context is None or extension is None:
                raise ValueError("originate needs app=, or context= and extension=")
            params.update(context=context, extension=extension, priority=priority)
        if caller_id is not None:
            params["callerId"] = caller_id
        if channel_id is not None:
            params["channelId"] = channel_id
        data = await self.request("POST", "/channels", params)
        if not isinstance(data, dict):
            raise AriProtocolError("ARI POST /channels: expected a channel")
        return Channel.from_json(data)

    # ------------------------------------------------------------ device states

    async def device_states(self) -> list[DeviceState]:
        data = await self.request("GET", "/deviceStates")
        if not isinstance(data, list):
            raise AriProtocolError("ARI GET /deviceStates: expected a list")
        return [DeviceState.from_json(d) for d in data if isinstance(d, dict)]

    async def device_state(self, name: str) -> DeviceState:
        data = await self.request("GET", f"/deviceStates/{_segment(name)}")
        if not isinstance(data, dict):
            raise AriProtocolError("ARI GET /deviceStates/{name}: expected an object")
        return DeviceState.from_json(data)

    async def set_device_state(self, name: str, state: str) -> None:
        """PUT /deviceStates/Stasis:x (ARI answers 409 for any other device: see device_states)."""
        if state not in DEVICE_STATES:
            raise ValueError(f"device state {state!r}: use one of {sorted(DEVICE_STATES)}")
        await self.request("PUT", f"/deviceStates/{_segment(name)}", {"deviceState": state})


def _message(text: str, reason: str | None) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return (text.strip()[:200] or reason or "").strip()


# ---------------------------------------------------------------- events link


@dataclass(frozen=True)
class Backoff:
    """Delays between reconnect attempts: initial * factor**n, capped, with jitter."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.1  # +/- this fraction

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        base = min(self.maximum, self.initial * self.factor ** max(0, attempt))
        return max(0.0, base * (1 + self.jitter * (2 * rand() - 1)))


EventHandler = Callable[[Event], None]
ConnectHook = Callable[[], Awaitable[None]]


class AriEventLink:
    """Keeps the events websocket of one Stasis app open, reconnecting forever.

    ``handler`` is called for every event, in order, from the reading task; it
    must not block (queue work per channel).  ``on_connect`` runs after each
    (re)connection, before the first event is handed over: resync there.
    """

    def __init__(
        self,
        client: AriClient,
        app: str,
        handler: EventHandler,
        *,
        on_connect: ConnectHook | None = None,
        on_disconnect: Callable[[], None] | None = None,
        subscribe_all: bool = False,
        backoff: Backoff = Backoff(),
        heartbeat: float = 20.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.client = client
        self.app = app
        self.handler = handler
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.subscribe_all = subscribe_all
        self.backoff = backoff
        self.heartbeat = heartbeat
        self.connect_timeout = connect_timeout
        self.connected = False
        self.connects = 0  # successful connections so far
        self.last_error = ""
        self.bad_events = 0
        self._task: asyncio.Task[None] | None = None
        self._up = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"ari-events-{self.app}"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
        self._set_down()

    async def wait_connected(self, within: float) -> None:
        """Wait until the link is up (AriTimeout otherwise)."""
        try:
            await asyncio.wait_for(self._up.wait(), within)
        except TimeoutError:
            raise AriTimeout(
                f"ARI events link for {self.app!r} not up after {within} s: {self.last_error}"
            ) from None

    def _set_down(self) -> None:
        was_up = self.connected
        self.connected = False
        self._up.clear()
        if was_up and self.on_disconnect is not None:
            self.on_disconnect()

    async def _run(self) -> None:
        attempt = 0
        while True:  # until stop() cancels the task
            try:
                await self._session_once()
                attempt = 0  # we were connected: start the backoff again
                self.last_error = "websocket closed by Asterisk"
            except AriError as exc:
                self.last_error = str(exc)
            self._set_down()
            delay = self.backoff.delay(attempt)
            attempt += 1
            log.warning(
                "ARI events link %r down (%s); retrying in %.1f s", self.app, self.last_error, delay
            )
            await asyncio.sleep(delay)

    async def _session_once(self) -> None:
        url = self.client.base + "/events"
        params = {"app": self.app, "subscribeAll": "true" if self.subscribe_all else "false"}
        try:
            ws = await asyncio.wait_for(
                self.client.session.ws_connect(
                    url,
                    params=params,
                    headers=self.client.headers,
                    heartbeat=self.heartbeat,
                    autoping=True,
                ),
                self.connect_timeout,
            )
        except TimeoutError:
            raise AriTimeout(f"ARI events: no handshake within {self.connect_timeout} s") from None
        except aiohttp.WSServerHandshakeError as exc:
            raise http_error("GET", "/events", exc.status, exc.message) from exc
        except aiohttp.ClientError as exc:
            raise AriConnectionError(f"ARI events: {exc}") from exc
        async with ws:
            self.connected = True
            self.connects += 1
            log.info("ARI events link %r up (connection %d)", self.app, self.connects)
            if self.on_connect is not None:
                try:
                    await self.on_connect()
                except AriError as exc:
                    log.warning("ARI resync after connect failed: %s", exc)
            self._up.set()
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._dispatch(msg.data)
                elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                    break

    def _dispatch(self, text: str) -> None:
        try:
            event = parse_event(text)
        except AriProtocolError as exc:
            self.bad_events += 1
            log.warning("ARI events: dropped an unreadable event: %s", exc)
            return
        self.handler(event)
