"""Logging for `autocom serve`: events are one JSON object per line.

An event is logged as an ``Event`` (a dict): ``log.info(Event(event="rights",
caller=...))``.  Its text (``record.getMessage()``, what any handler prints) is
the JSON object; ``EventFormatter`` prints it with the time, level and logger
added, in one JSON dump.  Any other message is printed as ``time level logger
message`` text.

On the served path (a session line and an audit line per call) an event goes
through ``log_event(logger, event)``: when the only handler is `autocom serve`'s
``BatchHandler``, the line is formatted and queued straight away, without a
``LogRecord`` and the handler chain, in UTF-8 (orjson's bytes: on a UTF-8 text
stream such as sys.stderr they go to its byte stream, neither decoded nor encoded
again); otherwise (a test's capture handler, a site's extra handler) it is an
ordinary ``logger.log(level, Event(event))``.
``BatchHandler`` writes INFO lines in batches, at most ``FLUSH_DELAY`` (0.1 s)
after they were logged (one write for all the sessions served meanwhile), and
WARNING and above at once.
"""

from __future__ import annotations

import asyncio
import codecs
import io
import json
import logging
import sys
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import BinaryIO, TextIO, cast

import orjson

__all__ = [
    "BatchHandler",
    "Event",
    "EventFormatter",
    "JsonFormatter",
    "log_event",
    "setup_logging",
]


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
        self._second: tuple[int | None, bytes] = (None, b"")  # the last second stamped, its text
        # the times known to have the last stamp (low <= t <= high), and it
        self._millisecond: tuple[float, float, bytes] = (1.0, 0.0, b"")
        # (logger, level) -> '","level":"<level>","logger":"<logger>"' as JSON
        self._heads: dict[tuple[str, str], bytes] = {}

    def format(self, record: logging.LogRecord) -> str:
        event = record.msg
        if isinstance(event, Event) and not record.args and not record.exc_info:
            return self.event_line(record.name, record.levelname, record.created, event)
        return super().format(record)

    def event_line(
        self, logger: str, level: str, created: float, event: Mapping[str, object]
    ) -> str:
        """An event's line: ``ts``, ``level`` and ``logger``, then the event's fields."""
        data = self.event_bytes(logger, level, created, event)
        if data is not None:
            return data.decode()
        return _json({"ts": self._stamp(created), "level": level, "logger": logger, **event})

    def event_bytes(
        self, logger: str, level: str, created: float, event: Mapping[str, object]
    ) -> bytes | None:
        """The event's line in UTF-8 (what the text stream would write); None when it
        takes the slower way (a field named ts, level or logger; what orjson refuses)."""
        if "ts" in event or "level" in event or "logger" in event:
            return None
        try:
            body = orjson.dumps(event, default=str)
        except TypeError:
            return None
        # the same text as one dump of the merged dict, without building it
        head = self._heads.get((logger, level)) or self._head(logger, level)
        low, high, stamp = self._millisecond  # self._stamp_bytes(created), inline
        if not low <= created <= high:
            stamp = self._new_stamp(created)
        if body == b"{}":
            return b"".join((b'{"ts":"', stamp, head, b"}"))
        return b"".join((b'{"ts":"', stamp, head, b",", body[1:]))

    def _head(self, logger: str, level: str) -> bytes:
        """What follows the time stamp, up to the event's fields."""
        text = orjson.dumps({"level": level, "logger": logger})
        head = self._heads[(logger, level)] = b'",' + text[1:-1]
        return head

    def _stamp(self, created: float) -> str:
        """ISO 8601 UTC to the millisecond (2026-11-23T20:40:01.234+00:00)."""
        return self._stamp_bytes(created).decode()

    def _stamp_bytes(self, created: float) -> bytes:
        low, high, stamp = self._millisecond
        if low <= created <= high:  # the millisecond stamped last (several lines a
            return stamp  # millisecond under load)
        return self._new_stamp(created)

    def _new_stamp(self, created: float) -> bytes:
        second = int(created)
        millis = int((created - second) * 1000)
        last, text = self._second
        if second != last:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)).encode()
            self._second = (second, text)
        if not 0 <= millis < 1000:  # before 1970: as the format gives it, not kept
            return b"%s.%03d+00:00" % (text, millis)
        stamp = text + _MILLIS[millis]
        # Kept for the later times of this millisecond: the stamp's (second, millis)
        # never decreases as the time grows (int() and the product with 1000 do not),
        # so every time from ``created`` to one near the millisecond's end that still
        # gives (second, millis) gives it too (that one checked: the float sum may
        # fall in the next millisecond).
        high = second + (millis + 0.999) / 1000
        if int(high) != second or int((high - second) * 1000) != millis or high < created:
            high = created
        self._millisecond = (created, high, stamp)
        return stamp


_MILLIS = tuple(b".%03d+00:00" % millis for millis in range(1000))  # a stamp's last part


class JsonFormatter(EventFormatter):
    """Every record as one JSON object, whatever its message and origin."""

    def format(self, record: logging.LogRecord) -> str:
        head: dict[str, object] = {"ts": self._stamp(record.created), "level": record.levelname}
        head["logger"] = record.name
        event = record.msg
        if isinstance(event, Event) and not record.args and not record.exc_info:
            return self.event_line(record.name, record.levelname, record.created, event)
        if isinstance(event, Event) and not record.args:
            body: dict[str, object] = {**head, **event}
        else:
            body = {**head, "message": record.getMessage()}
        if record.exc_info:
            body["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            body["stack"] = self.formatStack(record.stack_info)
        return _json(body)


FLUSH_DELAY = 0.1  # seconds an INFO line may wait in BatchHandler before it is written
FLUSH_CHARS = 65536  # characters (bytes of UTF-8 lines) kept at most before a write


class BatchHandler(logging.StreamHandler[TextIO]):
    """A stream handler that writes INFO lines in batches, WARNING and above at once.

    In a thread running an asyncio loop, a line below WARNING is kept, and written
    with the others kept at most ``delay`` seconds after the first of them (a timer
    on that loop), or as soon as ``max_chars`` are kept: under load, the lines of
    many sessions cost one write.  WARNING and above, and any line from a thread
    without a running loop, are written at once, after the lines kept before them,
    so the order is kept.  ``flush()`` (called by ``logging.shutdown`` at exit) and
    ``close()`` write what is kept.  A process killed outright (SIGKILL, a crash of
    the interpreter) loses the INFO lines of its last ``delay`` seconds.

    A line is text, or UTF-8 bytes (``log_event``'s).  On an io.TextIOWrapper in
    UTF-8 (sys.stderr, a file opened in text mode) a batch goes to its byte stream,
    after what was written to it as text; on any other stream, as text."""

    def __init__(
        self,
        stream: TextIO | None = None,
        delay: float = FLUSH_DELAY,
        max_chars: int = FLUSH_CHARS,
    ) -> None:
        super().__init__(stream)
        self.delay = delay
        self.max_chars = max_chars
        self._lines: list[str | bytes] = []  # text, or UTF-8 (log_event's lines)
        self._texts = 0  # how many of them are text
        self._kept = 0  # characters (bytes for UTF-8 lines) in _lines
        self._flush_on: asyncio.AbstractEventLoop | None = None  # the loop whose timer is set
        self._flush_thread = 0  # the thread that runs it

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self.queue(line, record.levelno >= logging.WARNING)

    def queue(self, line: str | bytes, now: bool = False) -> None:
        """Write ``line`` (text, or UTF-8) within ``delay`` seconds (``now``: at once,
        with what is kept)."""
        lock = self.lock
        assert lock is not None  # created by Handler.__init__
        lock.acquire()  # not ``with``: its __exit__ call costs more than the lock
        try:
            self._lines.append(line)
            if isinstance(line, str):
                self._texts += 1
            self._kept += len(line)
            if now or self._kept >= self.max_chars:
                self._write()
                return
            flush_on = self._flush_on
            if (
                flush_on is None
                or self._flush_thread != threading.get_ident()
                or not flush_on.is_running()
            ):
                self._keep()
        finally:
            lock.release()

    def _keep(self) -> None:
        """The line just kept is not on the thread running the loop whose timer is
        set (the usual case, checked by ``queue`` without asking asyncio: its
        get_running_loop() costs a getpid() system call): write it, or set a timer."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._write()  # no loop in this thread: nothing would flush later
            return
        flush_on = self._flush_on
        if flush_on is loop:
            return  # its timer is set
        if flush_on is not None:
            self._write()  # kept for another loop (closed?): do not wait for it
        self._flush_on = loop
        self._flush_thread = threading.get_ident()
        loop.call_later(self.delay, self._timer)

    def _timer(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._flush_on = None  # the next line kept sets a new timer
            if self._lines:
                self._write()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._lines:
                self._write()
            else:
                super().flush()

    def close(self) -> None:
        self.flush()
        super().close()

    def _write(self) -> None:
        lines, self._lines = self._lines, []
        texts, self._texts = self._texts, 0
        self._kept = 0
        stream = self.stream
        if getattr(stream, "closed", False):
            return  # nowhere to write (a test's capture, ended): not an error at exit
        try:
            binary = _utf8_buffer(stream)
            if binary is None:  # the UTF-8 lines as text
                text = cast(list[str], lines) if texts == len(lines) else _as_text(lines)
                text.append("")  # the last line's LF, without copying the text once more
                stream.write("\n".join(text))
                super().flush()
                return
            # the text lines as the stream would encode them
            data = _as_utf8(lines, stream.errors) if texts else cast(list[bytes], lines)
            data.append(b"")
            stream.flush()  # what was written to it as text goes first
            binary.write(b"\n".join(data))
            binary.flush()
        except Exception:
            first = lines[0]
            shown = first if isinstance(first, str) else first.decode(errors="replace")
            self.handleError(logging.makeLogRecord({"msg": shown[:200]}))


def _utf8_buffer(stream: TextIO) -> BinaryIO | None:
    """The byte stream under ``stream`` when UTF-8 bytes written to it are what the
    text stream would write: an io.TextIOWrapper (not a subclass: pytest's capture)
    in UTF-8, as Python opens sys.stderr on POSIX or a file in text mode with the
    default newline (a wrapper made with newline="\\r\\n" would translate; serve's
    handler writes to sys.stderr).  None for any other stream (StringIO...)."""
    if type(stream) is not io.TextIOWrapper:
        return None
    try:
        utf8 = codecs.lookup(stream.encoding).name == "utf-8"
    except LookupError:
        return None
    return stream.buffer if utf8 else None


def _as_text(lines: list[str | bytes]) -> list[str]:
    return [x if isinstance(x, str) else x.decode() for x in lines]


def _as_utf8(lines: list[str | bytes], errors: str | None) -> list[bytes]:
    return [x if isinstance(x, bytes) else x.encode("utf-8", errors or "strict") for x in lines]


def log_event(
    logger: logging.Logger, event: Mapping[str, object], level: int = logging.INFO
) -> None:
    """Log ``event`` as one JSON line: ``logger.log(level, Event(event))``, or the
    same line without a LogRecord when `autocom serve`'s BatchHandler alone prints it:
    when nothing else (a filter, another handler, a propagation stop) would see the
    record.  The loggers are looked at on each call (inline: two calls a session),
    so a handler or a filter added since (a test's capture) is seen."""
    if not logger.isEnabledFor(level):
        return
    node = logger  # up to the first logger with handlers, a filter or no propagation
    while not node.handlers and not node.filters and node.propagate and node.parent is not None:
        node = node.parent
    handlers = node.handlers
    handler = handlers[0] if len(handlers) == 1 else None
    formatter = handler.formatter if handler is not None else None
    if (
        node.parent is not None  # the root's handler, only
        or node.filters
        or type(handler) is not BatchHandler
        or handler.filters
        or level < handler.level
        or not isinstance(formatter, EventFormatter)
    ):
        logger.log(level, event if isinstance(event, Event) else Event(event))
        return
    name, level_name, created = logger.name, logging.getLevelName(level), time.time()
    line = formatter.event_bytes(name, level_name, created, event)  # UTF-8, as written
    handler.queue(
        line if line is not None else formatter.event_line(name, level_name, created, event),
        level >= logging.WARNING,
    )


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
    handler = BatchHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else EventFormatter())
    # warnings.warn(...) lines go through the same handler.  Off first: captureWarnings(True)
    # does nothing when it is already on, even if warnings.showwarning was replaced since.
    logging.captureWarnings(False)
    logging.captureWarnings(True)
    if json_lines:
        _route_uncaught_to_log()
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
