import json
import logging

from autocom.logs import Event, EventFormatter


def record(msg: object) -> logging.LogRecord:
    return logging.LogRecord("autocom.agi.session", logging.INFO, __file__, 1, msg, None, None)


def test_events_are_one_json_object_per_line() -> None:
    event = Event(script="rights", caller='a\nb"}\r\x00', when=None)
    line = EventFormatter().format(record(event))
    assert "\n" not in line and "\r" not in line
    assert json.loads(line) == {
        "ts": json.loads(line)["ts"],
        "level": "INFO",
        "logger": "autocom.agi.session",
        "script": "rights",
        "caller": 'a\nb"}\r\x00',
        "when": None,
    }
    # What any other handler prints (caplog, a syslog handler): the same object.
    assert json.loads(record(event).getMessage()) == event


def test_text_messages_keep_the_text_format() -> None:
    line = EventFormatter().format(record("config reloaded"))
    assert line.endswith("INFO autocom.agi.session config reloaded")
    assert (
        EventFormatter()
        .format(record('{"looks": "like json"}'))
        .endswith('INFO autocom.agi.session {"looks": "like json"}')
    )


def test_what_orjson_refuses_is_still_logged() -> None:
    event = Event(big=2**70, keys={1: "one"})
    assert json.loads(EventFormatter().format(record(event)))["big"] == 2**70
    assert json.loads(str(event)) == {"big": 2**70, "keys": {"1": "one"}}
