import asyncio
import io
import json
import logging
import math
import random
import re
import threading
import time
from pathlib import Path

import orjson
import pytest

from autocom.logs import BatchHandler, Event, EventFormatter, log_event


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


class Stream(io.StringIO):
    """A stream that counts its writes and sets ``wrote`` on each."""

    writes = 0
    wrote: asyncio.Event | None = None

    def write(self, text: str) -> int:
        self.writes += 1
        if self.wrote is not None:
            self.wrote.set()
        return super().write(text)


def batch_handler(delay: float = 0.1, max_chars: int = 65536) -> tuple[BatchHandler, Stream]:
    stream = Stream()
    handler = BatchHandler(stream, delay, max_chars)
    handler.setFormatter(EventFormatter())
    return handler, stream


def test_served_lines_are_written_in_one_batch_warnings_at_once() -> None:
    handler, stream = batch_handler(delay=0.05)
    session = logging.getLogger("autocom.agi.session")
    seen: list[str] = []

    async def served() -> None:
        stream.wrote = asyncio.Event()
        log_event(session, {"script": "rights", "n": 1})
        await asyncio.sleep(0)  # another turn of the loop: still kept
        log_event(session, Event(script="rights", n=2))
        logging.getLogger("autocom.x").info("text line")
        seen.append(stream.getvalue())
        await stream.wrote.wait()  # the delay passed: the three lines, one write
        seen.append(stream.getvalue())
        log_event(session, {"n": 3})
        log_event(session, {"n": 4, "outcome": "timeout"}, logging.WARNING)
        seen.append(stream.getvalue())  # a warning goes at once, after what was kept

    with Root(handler):
        asyncio.run(served())
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
    assert stream.writes == 2


def test_kept_lines_are_written_once_they_fill_the_batch() -> None:
    handler, stream = batch_handler(delay=3600, max_chars=300)
    session = logging.getLogger("autocom.agi.session")
    counts: list[int] = []

    async def served() -> None:
        for n in range(5):  # about 110 characters each
            log_event(session, {"script": "rights", "n": n})
            counts.append(len(stream.getvalue().splitlines()))

    with Root(handler):
        asyncio.run(served())
    assert counts == [0, 0, 3, 3, 3]  # the third line passed 300 characters
    handler.flush()  # at exit, logging.shutdown() flushes: nothing is lost
    assert [json.loads(line)["n"] for line in stream.getvalue().splitlines()] == [0, 1, 2, 3, 4]


def test_lines_kept_when_the_loop_ends_are_written_with_the_next_or_at_exit() -> None:
    handler, stream = batch_handler(delay=3600)
    audit = logging.getLogger("autocom.audit.rights")

    async def served(n: int) -> None:
        log_event(audit, {"n": n})

    def numbers() -> list[int]:
        return [json.loads(line)["n"] for line in stream.getvalue().splitlines()]

    with Root(handler):
        asyncio.run(served(1))
        assert stream.getvalue() == ""  # the loop ended before the timer
        log_event(audit, {"n": 2})  # no loop: at once, after what was kept
        assert numbers() == [1, 2]
        asyncio.run(served(3))
        asyncio.run(served(4))  # another loop: what the first one kept goes first
        assert numbers() == [1, 2, 3, 4]
        asyncio.run(served(5))
        handler.close()  # logging.shutdown() at exit: flush, then close
    assert numbers() == [1, 2, 3, 4, 5]


def test_without_a_running_loop_a_line_is_written_at_once() -> None:
    handler, stream = batch_handler()
    with Root(handler):
        log_event(logging.getLogger("autocom.audit.rights"), {"decision": "allow"})
    assert json.loads(stream.getvalue())["decision"] == "allow"


def test_another_handler_gets_the_event_as_a_record() -> None:
    """A test's capture or a site's extra handler sees the event as an ordinary record."""
    handler, stream = batch_handler()
    records: list[logging.LogRecord] = []
    capture = logging.Handler()
    capture.emit = records.append  # type: ignore[method-assign]
    with Root(handler, capture):
        log_event(logging.getLogger("autocom.audit.rights"), {"decision": "deny"})
    (rec,) = records
    assert isinstance(rec.msg, Event) and rec.msg == {"decision": "deny"}
    assert json.loads(stream.getvalue())["decision"] == "deny"


def test_below_the_level_nothing_is_built() -> None:
    handler, stream = batch_handler()
    with Root(handler) as root:
        root.setLevel(logging.WARNING)
        log_event(logging.getLogger("autocom.agi.session"), {"n": 1})
        handler.flush()
    assert stream.getvalue() == ""


def test_a_line_from_another_thread_is_written_at_once_after_the_kept_ones() -> None:
    handler, stream = batch_handler(delay=3600)
    audit = logging.getLogger("autocom.audit.rights")
    seen: list[str] = []

    async def served() -> None:
        log_event(audit, {"n": 1})  # kept: this thread runs the loop
        log_event(audit, {"n": 2})
        seen.append(stream.getvalue())
        await asyncio.to_thread(log_event, audit, {"n": 3})  # no loop in that thread
        seen.append(stream.getvalue())

    with Root(handler):
        asyncio.run(served())
    assert seen[0] == ""
    assert [json.loads(line)["n"] for line in seen[1].splitlines()] == [1, 2, 3]


def _stamp_as_formatted(created: float) -> str:
    """The time stamp as the format defines it (no cache), the test's oracle."""
    second = int(created)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return f"{text}.{int((created - second) * 1000):03d}+00:00"


def _times() -> list[float]:
    rng = random.Random(21)
    now = 1764800000.0
    times = [now + 0.998]
    for _ in range(20000):  # forward by steps of 0-20 us: across milliseconds and seconds
        times.append(times[-1] + rng.random() * 2e-5)
    for _ in range(2000):  # on a millisecond's bound (as a float) and the floats either side
        bound = now + rng.randrange(0, 100000) / 1000
        times += [math.nextafter(bound, 0), bound, math.nextafter(bound, math.inf)]
    return [*times, 0.0, 0.0005, 1e-9, 2**33 + 0.9999999, -0.5, -1.25]


@pytest.mark.parametrize("order", ["as logged", "sorted", "backwards"])
def test_stamps_kept_for_a_millisecond_are_those_the_format_gives(order: str) -> None:
    """The stamp kept for the last millisecond is reused only for times that have it:
    across millisecond and second bounds, forward, backwards, before 1970."""
    times = _times()
    if order != "as logged":
        times.sort(reverse=order == "backwards")
    formatter, lines = EventFormatter(), EventFormatter()
    for created in times:
        stamp = _stamp_as_formatted(created)
        assert formatter._stamp(created) == stamp, created
        line = lines.event_line("autocom.audit.rights", "INFO", created, {"n": 1})
        assert line == f'{{"ts":"{stamp}","level":"INFO","logger":"autocom.audit.rights","n":1}}'


def test_a_handler_or_filter_added_after_the_first_line_sees_the_next_ones() -> None:
    """log_event looks at the handlers and filters at each call, not once."""
    handler, stream = batch_handler()
    session = logging.getLogger("autocom.agi.session")
    records: list[logging.LogRecord] = []
    capture = logging.Handler()
    capture.emit = records.append  # type: ignore[method-assign]
    with Root(handler) as root:
        log_event(session, {"n": 1})  # BatchHandler alone: no record
        root.addHandler(capture)
        log_event(session, {"n": 2})
        root.removeHandler(capture)
        log_event(session, {"n": 3})
        session.addFilter(lambda rec: rec.msg["n"] != 4)  # type: ignore[index]
        try:
            log_event(session, {"n": 4})  # filtered out, for every handler
            log_event(session, {"n": 5})
        finally:
            session.filters.clear()
        session.propagate = False  # nothing prints it (the last resort, WARNING and above)
        try:
            log_event(session, {"n": 6})
        finally:
            session.propagate = True
        log_event(session, {"n": 7})
    assert [rec.msg for rec in records] == [{"n": 2}]
    assert [json.loads(line)["n"] for line in stream.getvalue().splitlines()] == [1, 2, 3, 5, 7]


def test_lines_from_several_threads_are_each_written_once_in_their_order() -> None:
    """The loop thread keeps its lines while other threads write theirs at once:
    every line is written once, each thread's in the order it logged them."""
    handler, stream = batch_handler(delay=0.01, max_chars=2000)
    audit = logging.getLogger("autocom.audit.rights")

    def other(name: str) -> None:
        for n in range(300):
            log_event(audit, {"thread": name, "n": n})

    async def served() -> None:
        threads = [threading.Thread(target=other, args=(f"t{i}",)) for i in range(3)]
        for thread in threads:
            thread.start()
        for n in range(300):
            log_event(audit, {"thread": "loop", "n": n})
            if n % 50 == 0:
                await asyncio.sleep(0.001)
        for thread in threads:
            await asyncio.to_thread(thread.join)
        await asyncio.sleep(0.05)  # the last timer

    with Root(handler):
        asyncio.run(served())
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    for name in ("loop", "t0", "t1", "t2"):
        assert [line["n"] for line in lines if line["thread"] == name] == list(range(300))
    assert len(lines) == 1200


def _log_a_mix(handler: BatchHandler, direct: io.TextIOBase) -> None:
    """Event lines (UTF-8 on the served path), text lines and a line the program
    writes to the stream itself, in one loop and at once."""
    session = logging.getLogger("autocom.agi.session")

    async def served() -> None:
        log_event(session, {"group": "Accueil scolarité", "n": 1})
        logging.getLogger("autocom.x").info("text line, déjà")
        log_event(session, {"big": 2**70, "n": 2})  # orjson refuses it: a text line
        log_event(session, {"n": 3, "euro": "€"}, logging.WARNING)  # at once
        direct.write("written to the stream itself\n")
        log_event(session, {"n": 4, "odd": "\ud800"})  # a lone surrogate: json's text
        handler.flush()

    with Root(handler):
        asyncio.run(served())


@pytest.mark.parametrize(
    ("encoding", "errors"), [("utf-8", "backslashreplace"), ("latin-1", "backslashreplace")]
)
def test_a_text_file_gets_the_bytes_it_would_get_as_text(
    tmp_path: Path, encoding: str, errors: str
) -> None:
    """On a text file in UTF-8 (sys.stderr as Python opens it) the event lines go to
    its byte stream as they are; on any other stream as text: the same bytes either
    way, in the same order as a write to the stream itself."""
    reference, _ = batch_handler(delay=3600)  # a StringIO: everything as text
    _log_a_mix(reference, reference.stream)
    expected = reference.stream.getvalue()
    with (tmp_path / "serve.log").open("w", encoding=encoding, errors=errors) as stream:
        handler = BatchHandler(stream, delay=3600)
        handler.setFormatter(EventFormatter())
        _log_a_mix(handler, stream)
    written = (tmp_path / "serve.log").read_bytes()
    stamps = re.compile(rb"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d[.,]\d{3}")
    assert stamps.sub(b"T", written) == stamps.sub(b"T", expected.encode(encoding, errors))
    assert b"\xc3\xa9" in written if encoding == "utf-8" else b"scolarit\xe9" in written
