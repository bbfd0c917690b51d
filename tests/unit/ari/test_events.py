"""Typed ARI events, checked against Asterisk 22's own Swagger models (api-docs/)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from autocom.ari import events as ev
from autocom.ari.errors import AriProtocolError

DOCS = Path(__file__).parent / "api-docs"


def _models() -> dict[str, Any]:
    models: dict[str, Any] = {}
    for name in ("events", "channels", "playbacks", "deviceStates", "applications"):
        models.update(json.loads((DOCS / f"{name}.json").read_text())["models"])
    return models


MODELS = _models()


def sample(model: str, depth: int = 0) -> Any:
    """A value for every property of a Swagger model, as Asterisk would send it."""
    out: dict[str, Any] = {}
    spec = MODELS[model]
    for prop, desc in spec["properties"].items():
        kind = desc["type"]
        if kind == "string":
            out[prop] = f"{prop}-value"
        elif kind in ("int", "long"):
            out[prop] = 7
        elif kind == "boolean":
            out[prop] = True
        elif kind == "Date":
            out[prop] = "2026-11-23T18:00:00.000+0100"
        elif kind == "object":
            out[prop] = {"X": "1"}
        elif kind.startswith("List["):
            out[prop] = ["a", "b"] if kind == "List[string]" else []
        elif kind in MODELS and depth < 2:
            out[prop] = sample(kind, depth + 1)
    return out


def sample_event(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = sample(kind)
    data.update(type=kind, application="autocom-ivr", timestamp="2026-11-23T18:00:00.000+0100")
    data["asterisk_id"] = "08:00:27:aa:bb:cc"
    return data


CLASSES = {
    "StasisStart": ev.StasisStart,
    "StasisEnd": ev.StasisEnd,
    "ChannelDtmfReceived": ev.ChannelDtmfReceived,
    "ChannelHangupRequest": ev.ChannelHangupRequest,
    "ChannelDestroyed": ev.ChannelDestroyed,
    "ChannelStateChange": ev.ChannelStateChange,
    "ChannelVarset": ev.ChannelVarset,
    "PlaybackStarted": ev.PlaybackStarted,
    "PlaybackContinuing": ev.PlaybackContinuing,
    "PlaybackFinished": ev.PlaybackFinished,
    "DeviceStateChanged": ev.DeviceStateChanged,
    "ApplicationReplaced": ev.ApplicationReplaced,
}


SWAGGER_EVENTS = sorted(MODELS["Event"]["subTypes"])


@pytest.mark.parametrize("kind", SWAGGER_EVENTS)
def test_every_swagger_event_parses_to_its_class_or_stays_generic(kind: str) -> None:
    """Each of Asterisk 22's event types parses: to our class of that name when we
    model it, else to UnknownEvent keeping the JSON as sent."""
    data = sample_event(kind)
    event = ev.parse_event(json.dumps(data))
    if kind in CLASSES:
        assert type(event) is CLASSES[kind]
    else:
        assert isinstance(event, ev.UnknownEvent)
        assert event.data == data
    assert event.type == kind


def _expected(value: Any, sample_value: Any) -> bool:
    """Does a parsed field hold the sample's value (not a default)?"""
    if dataclasses.is_dataclass(value):
        return all(
            _expected(getattr(value, f.name), sample_value[f.name])
            for f in dataclasses.fields(value)
            if f.name in sample_value
        )
    if isinstance(value, tuple):
        return list(value) == sample_value
    return bool(value == sample_value)


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_every_field_is_read_from_the_event(kind: str) -> None:
    """A field the parser forgot keeps its default and fails here: every field that
    Swagger names holds the sample's value, nested objects (channel, playback) too."""
    data = sample_event(kind)
    event = ev.parse_event(json.dumps(data))
    for f in dataclasses.fields(event):
        if f.name in data:
            assert _expected(getattr(event, f.name), data[f.name]), f.name


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_event_fields_exist_in_swagger(kind: str) -> None:
    swagger = set(MODELS[kind]["properties"]) | set(MODELS["Event"]["properties"])
    swagger |= set(MODELS["Message"]["properties"])
    ours = {f.name for f in dataclasses.fields(CLASSES[kind])}
    assert ours <= swagger, ours - swagger


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_sample_from_swagger_parses(kind: str) -> None:
    event = ev.parse_event(json.dumps(sample_event(kind)))
    assert type(event) is CLASSES[kind]
    assert event.type == kind
    assert event.application == "autocom-ivr"
    assert event.asterisk_id == "08:00:27:aa:bb:cc"


def test_channel_fields_exist_in_swagger() -> None:
    for cls, model in ((ev.Channel, "Channel"), (ev.Playback, "Playback")):
        ours = {f.name for f in dataclasses.fields(cls)}
        assert ours <= set(MODELS[model]["properties"])


def test_stasis_start_details() -> None:
    data = sample_event("StasisStart")
    data["args"] = ["main", "x,y"]
    event = ev.parse_event(json.dumps(data))
    assert isinstance(event, ev.StasisStart)
    assert event.args == ("main", "x,y")
    assert event.channel.id == "id-value"
    assert event.channel.caller == ev.CallerId("name-value", "number-value")
    assert event.channel.dialplan.priority == 7
    assert event.channel.channelvars == {"X": "1"}
    assert event.replace_channel is not None


def test_dtmf_and_playback() -> None:
    dtmf = ev.parse_event(
        b'{"type":"ChannelDtmfReceived","digit":"5","duration_ms":120,'
        b'"channel":{"id":"c1","name":"Local/x"}}'
    )
    assert isinstance(dtmf, ev.ChannelDtmfReceived)
    assert (dtmf.digit, dtmf.duration_ms, dtmf.channel.id) == ("5", 120, "c1")
    done = ev.parse_event(
        '{"type":"PlaybackFinished","playback":{"id":"p1","target_uri":"channel:c1",'
        '"state":"done","media_uri":"sound:hello"}}'
    )
    assert isinstance(done, ev.PlaybackFinished)
    assert done.playback.channel_id == "c1"
    assert ev.Playback("p2", target_uri="bridge:b1").channel_id is None


def test_unknown_event_kept_generic() -> None:
    event = ev.parse_event('{"type":"ChannelTalkingStarted","channel":{"id":"c1"},"x":1}')
    assert isinstance(event, ev.UnknownEvent)
    assert event.type == "ChannelTalkingStarted"
    assert event.data["x"] == 1


def test_events_are_frozen() -> None:
    event = ev.parse_event('{"type":"StasisEnd","channel":{"id":"c1"}}')
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.type = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        '{"no": "type"}',
        '{"type": ""}',
        '{"type": "StasisStart", "channel": {"name": "no id"}}',
        '{"type": "PlaybackStarted", "playback": {}}',
        b"\xff\xfe",
    ],
)
def test_garbage_is_a_protocol_error(text: str | bytes) -> None:
    with pytest.raises(AriProtocolError):
        ev.parse_event(text)


def test_oversized_event_refused() -> None:
    with pytest.raises(AriProtocolError):
        ev.parse_event('{"type":"X","pad":"' + "a" * ev.MAX_EVENT_BYTES + '"}')


def test_wrongly_typed_fields_do_not_crash() -> None:
    event = ev.parse_event(
        '{"type":"ChannelDtmfReceived","digit":5,"duration_ms":"abc",'
        '"channel":{"id":"c1","caller":"nope","channelvars":[1]}}'
    )
    assert isinstance(event, ev.ChannelDtmfReceived)
    assert event.digit == "5"
    assert event.duration_ms == 0
    assert event.channel.caller == ev.CallerId()
