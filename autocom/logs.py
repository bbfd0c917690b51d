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
import threading
import time
from types import TracebackType

import orjson

__all__ = ["Event", "EventFormatter", "JsonFormatter", "setup_logging"]


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


class JsonFormatter(EventFormatter):
    """Every record as one JSON object, whatever its message and origin."""

    def format(self, record: logging.LogRecord) -> str:
        head: dict[str, object] = {"ts": self._stamp(record.created), "level": record.levelname}
        head["logger"] = record.name
        event = record.msg
        if isinstance(event, Event) and not record.args:
            body: dict[str, object] = {**head, **event}
        else:
            body = {**head, "message": record.getMessage()}
        if record.exc_info:
            body["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            body["stack"] = self.formatStack(record.stack_info)
        return _json(body)


def _route_uncaught_to_log() -> None:
    """Uncaught exceptions become log records (one JSON line each), not raw stderr."""
    crash = logging.getLogger("autocom.crash")

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        crash.critical("uncaught exception", exc_info=(kind, exc, tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            info = (args.exc_type, args.exc_value, args.exc_traceback)
            crash.error("uncaught exception in thread %s", args.thread, exc_info=info)

    def unraisable_hook(unraisable: sys.UnraisableHookArgs) -> None:
        value = unraisable.exc_value
        info = (unraisable.exc_type, value, unraisable.exc_traceback) if value else None
        crash.error("%s: %r", unraisable.err_msg or "exception ignored", unraisable.object,
                    exc_info=info)  # fmt: skip

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    sys.unraisablehook = unraisable_hook


def setup_logging(verbose: bool = False, json_lines: bool = False) -> None:
    """Log to stderr, INFO (DEBUG when verbose), events as JSON lines; every line
    JSON with ``json_lines``."""
    # What our lines never show is not gathered for each record (the logging
    # HOWTO's "Optimization" section): the caller's file and line, the thread,
    # the process.  A session line costs about half as much without them.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else EventFormatter())
    logging.captureWarnings(True)  # warnings.warn(...) lines go through the same handler
    if json_lines:
        _route_uncaught_to_log()
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
