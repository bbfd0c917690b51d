"""Logging for `autocom serve`: events are one JSON object per line.

An event is logged as an ``Event`` (a dict): ``log.info(Event(event="rights",
caller=...))``.  Its text (``record.getMessage()``, what any handler prints) is
the JSON object; ``EventFormatter`` prints it with the time, level and logger
added, in one JSON dump.  Any other message is printed as ``time level logger
message`` text.
"""

from __future__ import annotations

import json
import logging
import sys
import time

import orjson

__all__ = ["Event", "EventFormatter", "setup_logging"]


def _json(value: dict[str, object]) -> str:
    """One line of JSON (UTF-8 text, control characters escaped); str() for the rest."""
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:  # what orjson refuses (an int over 64 bits, a key not a str)
        return json.dumps(value, ensure_ascii=False, default=str)


class Event(dict[str, object]):
    """A log message that is an event: its text is one JSON object (no line break)."""

    __slots__ = ()

    def __str__(self) -> str:
        return _json(self)


class EventFormatter(logging.Formatter):
    """``Event`` messages as one JSON object with ``ts``, ``level`` and ``logger``
    added; any other message as ``time level logger message`` text."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self._second: tuple[int, str] = (-1, "")  # the last second stamped, and its text

    def format(self, record: logging.LogRecord) -> str:
        event = record.msg
        if isinstance(event, Event) and not record.args and not record.exc_info:
            head = {"ts": self._stamp(record.created), "level": record.levelname}
            head["logger"] = record.name
            return _json({**head, **event})
        return super().format(record)

    def _stamp(self, created: float) -> str:
        """ISO 8601 UTC to the millisecond (2026-11-23T20:40:01.234+00:00)."""
        second = int(created)
        last, text = self._second
        if second != last:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = (second, text)
        return f"{text}.{int((created - second) * 1000):03d}+00:00"


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr, INFO (DEBUG when verbose), events as JSON lines."""
    # What our lines never show is not gathered for each record (the logging
    # HOWTO's "Optimization" section): the caller's file and line, the thread,
    # the process.  A session line costs about half as much without them.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(EventFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
