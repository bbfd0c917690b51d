import json
import logging

from autocom.logs import EventFormatter


def record(msg: str) -> logging.LogRecord:
    return logging.LogRecord("autocom.agi.session", logging.INFO, __file__, 1, msg, None, None)


def test_json_events_stay_one_json_object_per_line() -> None:
    line = EventFormatter().format(record('{"script": "rights", "caller": "a\\nb"}'))
    assert "\n" not in line
    event = json.loads(line)
    assert event["script"] == "rights" and event["caller"] == "a\nb"
    assert event["logger"] == "autocom.agi.session" and event["level"] == "INFO"


def test_text_messages_keep_the_text_format() -> None:
    line = EventFormatter().format(record("config reloaded"))
    assert line.endswith("INFO autocom.agi.session config reloaded")
    assert EventFormatter().format(record("{not json}")).endswith("{not json}")
