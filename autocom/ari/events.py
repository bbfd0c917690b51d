"""ARI models and events as frozen dataclasses, parsed from Asterisk's JSON.

Sans-IO: no aiohttp, no asyncio.  ``parse_event(text)`` turns one websocket
message into a typed event; event types we do not model become
:class:`UnknownEvent` with the raw JSON, so a newer Asterisk never breaks us.
Field names follow the ARI Swagger models (rest-api/events.json, channels.json,
playbacks.json); the unit tests check them against those files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from autocom.ari.errors import AriProtocolError

MAX_EVENT_BYTES = 1024 * 1024


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value if isinstance(value, str) else str(value)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return 0


def _obj(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class CallerId:
    name: str = ""
    number: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CallerId:
        return cls(_str(data, "name"), _str(data, "number"))


@dataclass(frozen=True)
class DialplanCep:
    """Where the channel is in the dialplan (context, extension, priority)."""

    context: str = ""
    exten: str = ""
    priority: int = 0
    app_name: str = ""
    app_data: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DialplanCep:
        return cls(
            _str(data, "context"),
            _str(data, "exten"),
            _int(data, "priority"),
            _str(data, "app_name"),
            _str(data, "app_data"),
        )


@dataclass(frozen=True)
class Channel:
    id: str
    name: str = ""
    state: str = ""  # Down, Rsrved, OffHook, Dialing, Ring, Ringing, Up, Busy, ...
    caller: CallerId = CallerId()
    connected: CallerId = CallerId()
    accountcode: str = ""
    dialplan: DialplanCep = DialplanCep()
    creationtime: str = ""
    language: str = ""
    channelvars: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Channel:
        if not isinstance(data.get("id"), str):
            raise AriProtocolError("a channel without an id")
        raw_vars = _obj(data, "channelvars")
        return cls(
            id=data["id"],
            name=_str(data, "name"),
            state=_str(data, "state"),
            caller=CallerId.from_json(_obj(data, "caller")),
            connected=CallerId.from_json(_obj(data, "connected")),
            accountcode=_str(data, "accountcode"),
            dialplan=DialplanCep.from_json(_obj(data, "dialplan")),
            creationtime=_str(data, "creationtime"),
            language=_str(data, "language"),
            channelvars={str(k): str(v) for k, v in raw_vars.items()},
        )


@dataclass(frozen=True)
class Playback:
    id: str
    media_uri: str = ""
    target_uri: str = ""
    language: str = ""
    state: str = ""  # queued, playing, continuing, done, failed

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Playback:
        if not isinstance(data.get("id"), str):
            raise AriProtocolError("a playback without an id")
        return cls(
            id=data["id"],
            media_uri=_str(data, "media_uri"),
            target_uri=_str(data, "target_uri"),
            language=_str(data, "language"),
            state=_str(data, "state"),
        )

    @property
    def channel_id(self) -> str | None:
        """The channel it plays on, from target_uri 'channel:<id>'."""
        kind, _, ident = self.target_uri.partition(":")
        return ident if kind == "channel" and ident else None


@dataclass(frozen=True)
class DeviceState:
    name: str
    state: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeviceState:
        return cls(_str(data, "name"), _str(data, "state"))


# ---------------------------------------------------------------- events


@dataclass(frozen=True, kw_only=True)
class Event:
    """Common to every ARI event."""

    type: str
    application: str = ""
    timestamp: str = ""
    asterisk_id: str = ""


@dataclass(frozen=True, kw_only=True)
class ChannelEvent(Event):
    """An event about one channel."""

    channel: Channel


@dataclass(frozen=True, kw_only=True)
class StasisStart(ChannelEvent):
    args: tuple[str, ...] = ()
    replace_channel: Channel | None = None


@dataclass(frozen=True, kw_only=True)
class StasisEnd(ChannelEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ChannelDtmfReceived(ChannelEvent):
    digit: str
    duration_ms: int = 0


@dataclass(frozen=True, kw_only=True)
class ChannelHangupRequest(ChannelEvent):
    cause: int = 0
    soft: bool = False


@dataclass(frozen=True, kw_only=True)
class ChannelDestroyed(ChannelEvent):
    cause: int = 0
    cause_txt: str = ""


@dataclass(frozen=True, kw_only=True)
class ChannelStateChange(ChannelEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ChannelVarset(Event):
    variable: str
    value: str
    channel: Channel | None = None  # absent for global variables


@dataclass(frozen=True, kw_only=True)
class PlaybackEvent(Event):
    playback: Playback


@dataclass(frozen=True, kw_only=True)
class PlaybackStarted(PlaybackEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class PlaybackContinuing(PlaybackEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class PlaybackFinished(PlaybackEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class DeviceStateChanged(Event):
    device_state: DeviceState


@dataclass(frozen=True, kw_only=True)
class ApplicationReplaced(Event):
    """Another websocket registered our application name: we no longer get its events."""


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(Event):
    """An event type we do not model; ``data`` is Asterisk's JSON as received."""

    data: Mapping[str, Any] = field(default_factory=dict)


def _common(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": _str(data, "type"),
        "application": _str(data, "application"),
        "timestamp": _str(data, "timestamp"),
        "asterisk_id": _str(data, "asterisk_id"),
    }


def _channel(data: Mapping[str, Any]) -> Channel:
    return Channel.from_json(_obj(data, "channel"))


def _stasis_start(d: Mapping[str, Any]) -> Event:
    args = d.get("args")
    replace = _obj(d, "replace_channel")
    return StasisStart(
        **_common(d),
        channel=_channel(d),
        args=tuple(str(a) for a in args) if isinstance(args, list) else (),
        replace_channel=Channel.from_json(replace) if replace else None,
    )


def _varset(d: Mapping[str, Any]) -> Event:
    chan = _obj(d, "channel")
    return ChannelVarset(
        **_common(d),
        variable=_str(d, "variable"),
        value=_str(d, "value"),
        channel=Channel.from_json(chan) if chan else None,
    )


_PARSERS: dict[str, Callable[[Mapping[str, Any]], Event]] = {
    "StasisStart": _stasis_start,
    "StasisEnd": lambda d: StasisEnd(**_common(d), channel=_channel(d)),
    "ChannelDtmfReceived": lambda d: ChannelDtmfReceived(
        **_common(d),
        channel=_channel(d),
        digit=_str(d, "digit"),
        duration_ms=_int(d, "duration_ms"),
    ),
    "ChannelHangupRequest": lambda d: ChannelHangupRequest(
        **_common(d), channel=_channel(d), cause=_int(d, "cause"), soft=d.get("soft") is True
    ),
    "ChannelDestroyed": lambda d: ChannelDestroyed(
        **_common(d), channel=_channel(d), cause=_int(d, "cause"), cause_txt=_str(d, "cause_txt")
    ),
    "ChannelStateChange": lambda d: ChannelStateChange(**_common(d), channel=_channel(d)),
    "ChannelVarset": _varset,
    "PlaybackStarted": lambda d: PlaybackStarted(
        **_common(d), playback=Playback.from_json(_obj(d, "playback"))
    ),
    "PlaybackContinuing": lambda d: PlaybackContinuing(
        **_common(d), playback=Playback.from_json(_obj(d, "playback"))
    ),
    "PlaybackFinished": lambda d: PlaybackFinished(
        **_common(d), playback=Playback.from_json(_obj(d, "playback"))
    ),
    "DeviceStateChanged": lambda d: DeviceStateChanged(
        **_common(d), device_state=DeviceState.from_json(_obj(d, "device_state"))
    ),
    "ApplicationReplaced": lambda d: ApplicationReplaced(**_common(d)),
}

MODELLED_EVENTS = frozenset(_PARSERS)


def event_from_json(data: Mapping[str, Any]) -> Event:
    """A typed event from a decoded JSON object."""
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        raise AriProtocolError("an ARI event without a type")
    parser = _PARSERS.get(kind)
    if parser is None:
        return UnknownEvent(**_common(data), data=dict(data))
    return parser(data)


def parse_event(message: str | bytes) -> Event:
    """One websocket text message -> a typed event; AriProtocolError if unreadable."""
    if len(message) > MAX_EVENT_BYTES:
        raise AriProtocolError(f"an ARI event larger than {MAX_EVENT_BYTES} bytes")
    try:
        data = json.loads(message)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AriProtocolError(f"an ARI event that is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AriProtocolError("an ARI event that is not a JSON object")
    return event_from_json(data)
