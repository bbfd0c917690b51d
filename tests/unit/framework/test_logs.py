import asyncio
import io
import json
import logging

import orjson
import pytest

from autocom.logs import Event, EventFormatter, TurnHandler, log_event


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


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"script": "rights", "caller": 'a\nb"}\r\x00\u2028', "when": None, "trace": ["x"]},
        {"level": "mine", "n": 1},  # a field named as the head's: the event's value
        {"big": 2**70},  # orjson refuses it: the slower dump
    ],
)
def test_an_event_line_is_one_dump_of_head_and_fields(event: dict[str, object]) -> None:
    formatter = EventFormatter()
    line = formatter.event_line("autocom.audit.rights", "INFO", 1764800000.25, event)
    head = {"ts": "2025-12-03T22:13:20.250+00:00", "level": "INFO"}
    merged = {**head, "logger": "autocom.audit.rights", **event}
    try:
        assert line == orjson.dumps(merged).decode()
    except TypeError:
        assert json.loads(line) == merged


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


class Root:
    """The root logger's handlers and level swapped for the block's, then put back."""

    def __init__(self, *handlers: logging.Handler) -> None:
        self.handlers = list(handlers)

    def __enter__(self) -> logging.Logger:
        root = logging.getLogger()
        self.saved = (root.handlers[:], root.level)
        root.handlers[:] = self.handlers
        root.setLevel(logging.INFO)
        return root

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.handlers[:], level = self.saved
        root.setLevel(level)


def turn_handler() -> tuple[TurnHandler, io.StringIO]:
    stream = io.StringIO()
    handler = TurnHandler(stream)
    handler.setFormatter(EventFormatter())
    return handler, stream


def test_served_lines_of_one_loop_turn_are_written_together_warnings_at_once() -> None:
    handler, stream = turn_handler()
    session = logging.getLogger("autocom.agi.session")
    seen: list[str] = []

    async def turn() -> None:
        log_event(session, {"script": "rights", "n": 1})
        log_event(session, Event(script="rights", n=2))
        logging.getLogger("autocom.x").info("text line")
        seen.append(stream.getvalue())  # nothing written yet: the turn goes on
        await asyncio.sleep(0)
        seen.append(stream.getvalue())  # the turn ended: the three lines, one write
        log_event(session, {"n": 3})
        log_event(session, {"n": 4, "outcome": "timeout"}, logging.WARNING)
        seen.append(stream.getvalue())  # a warning goes at once, after what was kept

    with Root(handler):
        asyncio.run(turn())
    assert seen[0] == ""
    first = seen[1].splitlines()
    assert [json.loads(line)["n"] for line in first[:2]] == [1, 2]
    assert json.loads(first[0]) == {
        "ts": json.loads(first[0])["ts"],
        "level": "INFO",
        "logger": "autocom.agi.session",
        "script": "rights",
        "n": 1,
    }
    assert first[2].endswith("INFO autocom.x text line")
    later = [json.loads(line) for line in seen[2].splitlines()[3:]]
    assert [(r["n"], r["level"]) for r in later] == [(3, "INFO"), (4, "WARNING")]


def test_without_a_running_loop_a_line_is_written_at_once() -> None:
    handler, stream = turn_handler()
    with Root(handler):
        log_event(logging.getLogger("autocom.audit.rights"), {"decision": "allow"})
    assert json.loads(stream.getvalue())["decision"] == "allow"


def test_another_handler_gets_the_event_as_a_record() -> None:
    """A test's capture or a site's extra handler sees the event as an ordinary record."""
    handler, stream = turn_handler()
    records: list[logging.LogRecord] = []
    capture = logging.Handler()
    capture.emit = records.append  # type: ignore[method-assign]
    with Root(handler, capture):
        log_event(logging.getLogger("autocom.audit.rights"), {"decision": "deny"})
    (rec,) = records
    assert isinstance(rec.msg, Event) and rec.msg == {"decision": "deny"}
    assert json.loads(stream.getvalue())["decision"] == "deny"


def test_below_the_level_nothing_is_built() -> None:
    handler, stream = turn_handler()
    with Root(handler) as root:
        root.setLevel(logging.WARNING)
        log_event(logging.getLogger("autocom.agi.session"), {"n": 1})
        handler.flush()
    assert stream.getvalue() == ""
