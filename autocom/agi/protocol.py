"""The FastAGI wire format, sans-IO: bytes in, events out; words in, bytes out.

No sockets and no asyncio here (a test checks the imports).  Three pieces:

- ``EnvironmentParser``: the block Asterisk sends first (``agi_network: yes``,
  ``agi_network_script: ...``, ``agi_request: ...``, ..., ``agi_arg_N: ...``, blank
  line) becomes an ``AgiEnvironment``.
- ``format_command(verb, *args)``: one command line, every argument in double
  quotes with ``\\`` and ``"`` escaped, as Asterisk's ``parse_args`` reads it back.
  A value that would start a second command (CR, LF, NUL) is refused.
- ``ReplyParser``: reply lines become ``Reply`` events, an inline ``HANGUP`` line a
  ``HangupNotice``.

Text is decoded as UTF-8 with ``surrogateescape``: bytes that are not UTF-8 (a
Latin-1 caller name) survive a round trip through ``format_command`` unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, NamedTuple
from urllib.parse import parse_qsl

from autocom.agi.errors import AgiArgumentError, AgiProtocolError

__all__ = [
    "MAX_COMMAND_BYTES",
    "MAX_COMMAND_WORDS",
    "AgiEnvironment",
    "EnvironmentParser",
    "Event",
    "HangupNotice",
    "Reply",
    "ReplyParser",
    "format_command",
]

# Asterisk 22 reads a command into an 8192-byte buffer (LF and the C string's NUL
# included) and splits it into at most MAX_ARGS (128) words, one slot being the
# NULL terminator of argv.
MAX_COMMAND_BYTES: Final = 8191
MAX_COMMAND_WORDS: Final = 127

_ENCODING: Final = "utf-8"
_ERRORS: Final = "surrogateescape"


# --------------------------------------------------------------------------- environment


def _lookup(text: str, needle: str) -> str | None:
    """The value after the first ``needle`` (``"\\nagi_<key>: "``) in ``text``, or None."""
    at = text.find(needle)
    if at < 0:
        return None
    at += len(needle)
    return text[at : text.index("\n", at)]


_ARG_NEEDLES: Final = tuple(f"\nagi_arg_{n}: " for n in range(1, MAX_COMMAND_WORDS + 1))


class _Line:
    """A field of ``AgiEnvironment``, read from the block when asked for: the
    value as sent, ``''`` when Asterisk did not send the line."""

    __slots__ = ("needle",)

    def __init__(self, key: str) -> None:
        self.needle = "\nagi_" + key + ": "

    def __get__(self, env: AgiEnvironment, owner: object = None) -> str:
        value = _lookup(env._text, self.needle)
        return "" if value is None else value


class _CallerLine:
    """As ``_Line``, but ``None`` when Asterisk sent ``unknown`` (no caller ID) or nothing."""

    __slots__ = ("needle",)

    def __init__(self, key: str) -> None:
        self.needle = "\nagi_" + key + ": "

    def __get__(self, env: AgiEnvironment, owner: object = None) -> str | None:
        value = _lookup(env._text, self.needle)
        return None if value == "unknown" else value


class AgiEnvironment:
    """What Asterisk told us about the call, values as sent (strings, maybe empty).

    Built once per call from the block's text and read lazily: ``script`` is
    found at once (routing needs it), every other field is looked up in the text
    when asked for (a hook reads a handful of the 25 lines; splitting them all
    into a dict cost more than the rest of a short session).  ``raw`` is that
    dict, built on first use.  Its public attributes are read-only.
    """

    __slots__ = ("_args", "_query", "_query_string", "_raw", "_script", "_text", "_uniqueid")

    def __init__(self, text: str) -> None:
        """``text``: the ``agi_<key>: <value>`` lines, each ending with LF, no blank line."""
        self._text = "\n" + text  # every line, the first too, is then "\nagi_<key>: <value>"
        self._query: Mapping[str, str] | None = None
        self._args: tuple[str, ...] | None = None
        self._raw: Mapping[str, str] | None = None
        self._uniqueid: str | None = None
        network_script = _lookup(self._text, "\nagi_network_script: ")
        if network_script is None:
            # Not a FastAGI block (or no script in the URL): take the request's path.
            request = _lookup(self._text, "\nagi_request: ") or ""
            _, sep, path = request.partition("://")
            network_script = path.partition("/")[2] if sep else request
        self._script, _, self._query_string = network_script.partition("?")

    @property
    def script(self) -> str:
        """The script's name: agi_network_script before '?' (what routing matches)."""
        return self._script

    def get(self, key: str) -> str | None:
        """The value of line ``agi_<key>`` as sent (the first one if sent twice), or None."""
        return _lookup(self._text, "\nagi_" + key + ": ")

    @property
    def query(self) -> Mapping[str, str]:
        """The part of the script after '?', parsed (keyword arguments)."""
        query = self._query
        if query is None:
            query_string = self._query_string
            query = (
                MappingProxyType(dict(parse_qsl(query_string, keep_blank_values=True)))
                if query_string
                else _EMPTY
            )
            self._query = query
        return query

    @property
    def uniqueid(self) -> str:
        """agi_uniqueid (``''`` when not sent): kept once read, as the hook's audit line
        and the session's line both name the call by it."""
        uniqueid = self._uniqueid
        if uniqueid is None:
            uniqueid = self._uniqueid = _lookup(self._text, "\nagi_uniqueid: ") or ""
        return uniqueid

    @property
    def args(self) -> tuple[str, ...]:
        """agi_arg_1..N (positional arguments)."""
        args = self._args
        if args is None:
            found: list[str] = []
            text = self._text
            needle = _ARG_NEEDLES[0]
            at = text.find(needle)
            while at >= 0:
                at += len(needle)
                end = text.index("\n", at)
                found.append(text[at:end])
                n = len(found)
                needle = _ARG_NEEDLES[n] if n < len(_ARG_NEEDLES) else f"\nagi_arg_{n + 1}: "
                # Asterisk sends agi_arg_N+1 on the next line: look there first
                at = end if text.startswith(needle, end) else text.find(needle, end)
            args = tuple(found)
            self._args = args
        return args

    @property
    def raw(self) -> Mapping[str, str]:
        """Every line, keys without ``agi_`` (the first one counts if a key comes twice).

        Raises ``AgiProtocolError`` for a line that is not ``agi_<key>: <value>``
        (``EnvironmentParser`` checks only the first line; this is where every line
        is split).
        """
        raw = self._raw
        if raw is None:
            lines: dict[str, str] = {}
            for line in self._text[1:-1].split("\n"):
                key, sep, value = line[4:].partition(": ")
                if line[:4] != "agi_" or not sep:
                    raise AgiProtocolError(f"not an AGI environment line: {line[:80]!r}")
                lines.setdefault(key, value)
            raw = MappingProxyType(lines)
            self._raw = raw
        return raw

    request = _Line("request")
    channel = _Line("channel")
    language = _Line("language")
    type = _Line("type")
    version = _Line("version")
    callerid = _CallerLine("callerid")  # None when Asterisk sent 'unknown'
    calleridname = _CallerLine("calleridname")  # None when Asterisk sent 'unknown'
    callingpres = _Line("callingpres")
    callingani2 = _Line("callingani2")
    callington = _Line("callington")
    callingtns = _Line("callingtns")
    dnid = _Line("dnid")
    rdnis = _Line("rdnis")
    context = _Line("context")
    extension = _Line("extension")
    priority = _Line("priority")
    enhanced = _Line("enhanced")
    accountcode = _Line("accountcode")
    threadid = _Line("threadid")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AgiEnvironment):
            return NotImplemented
        return self._text == other._text

    def __hash__(self) -> int:
        return hash(self._text)

    def __repr__(self) -> str:
        return (
            f"AgiEnvironment(script={self.script!r}, uniqueid={self.uniqueid!r}, "
            f"channel={self.channel!r})"
        )


_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})


# The end of the block: a regular expression finds it in half the time of
# bytes.find (whose two-byte search stops at every line's LF).
_BLANK_LINE: Final = re.compile(b"\n\n")


class EnvironmentParser:
    """Feed bytes; ``feed`` returns the ``AgiEnvironment`` once the blank line came.

    Checked at once: the block begins with an ``agi_<key>: `` line (anything else,
    an HTTP request or a port typo, is refused on its first bytes), no line is
    longer than ``max_line`` bytes and the block is at most ``max_bytes``: each
    raises ``AgiProtocolError``.  The other lines are read when asked for
    (``AgiEnvironment``: a lookup skips a line that is not ``agi_<key>: <value>``,
    ``raw`` refuses it).  LF line ends, as Asterisk sends them.  Bytes after the
    blank line (an early ``HANGUP``) are kept in ``rest``.
    """

    __slots__ = ("_buf", "_done", "max_bytes", "max_line", "rest")

    def __init__(self, max_line: int = 16384, max_bytes: int = 65536) -> None:
        self.max_line = max_line
        self.max_bytes = max_bytes
        self._buf: bytes | bytearray = b""
        self._done = False
        self.rest = b""

    @property
    def started(self) -> bool:
        """True once any byte arrived (a half block, for timeouts and logs)."""
        return bool(self._buf) or self._done

    def feed(self, data: bytes) -> AgiEnvironment | None:
        if self._done:
            raise RuntimeError("EnvironmentParser: the environment is already complete")
        old = len(self._buf)
        if old:
            buf = self._buf
            if isinstance(buf, bytes):
                buf = self._buf = bytearray(buf)
            buf += data
        else:
            buf = data
        if buf[:1] == b"\n":
            raise AgiProtocolError("empty environment block")
        # Search only where the blank line can be: the new data and one byte before it.
        blank = _BLANK_LINE.search(buf, old - 1 if old else 0)
        end = -1 if blank is None else blank.start()
        if end < 0:
            self._check_partial(buf, old)
            if not old:
                self._buf = data
            return None
        self._done = True
        self._buf = b""
        self.rest = bytes(buf[end + 2 :])
        if end > self.max_bytes:
            raise AgiProtocolError(f"environment block longer than {self.max_bytes} bytes")
        if end > self.max_line:  # a block shorter than max_line has no line over it
            longest = max(map(len, buf[:end].split(b"\n")))
            if longest > self.max_line:
                raise AgiProtocolError(f"environment line longer than {self.max_line} bytes")
        first = buf.find(b"\n")
        if buf[:4] != b"agi_" or buf.find(b": ", 4, first) < 0:
            raise AgiProtocolError(f"not an AGI environment line: {_show(bytes(buf[:first]))}")
        return AgiEnvironment(buf[: end + 1].decode(_ENCODING, _ERRORS))  # lines with their LF

    def _check_partial(self, buf: bytes | bytearray, old: int) -> None:
        """Bounds and early garbage detection on an incomplete block."""
        if buf[:4] != b"agi_"[: len(buf)]:
            raise AgiProtocolError(f"not an AGI environment line: {_show(bytes(buf[:80]))}")
        if len(buf) > self.max_bytes:
            raise AgiProtocolError(f"environment block longer than {self.max_bytes} bytes")
        last = buf.rfind(b"\n")
        if len(buf) - last - 1 > self.max_line:
            raise AgiProtocolError(
                f"environment line longer than {self.max_line} bytes (no LF seen)"
            )
        if last >= old:
            # check the lines this chunk completed
            start = buf.rfind(b"\n", 0, old) + 1
            if max(map(len, bytes(buf[start:last]).split(b"\n"))) > self.max_line:
                raise AgiProtocolError(f"environment line longer than {self.max_line} bytes")


def _show(line: bytes, limit: int = 80) -> str:
    text = repr(line[:limit])
    return text + ("..." if len(line) > limit else "")


# --------------------------------------------------------------------------- commands


_VERB_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ ")


def format_command(verb: str, *args: str) -> bytes:
    """``format_command("STREAM FILE", "beep", "#")`` -> ``b'STREAM FILE "beep" "#"\\n'``.

    ``verb`` is the command's words, sent unquoted (upper-case letters and single
    spaces only); every argument is sent in double quotes with ``\\`` and ``"``
    escaped, so Asterisk reads back exactly ``args``.  Raises ``AgiArgumentError``
    for a CR, LF or NUL in any argument, for a line over ``MAX_COMMAND_BYTES`` or
    more than ``MAX_COMMAND_WORDS`` words.
    """
    words = _KNOWN_VERBS.get(verb)
    if words is None:
        words = _verb_words(verb)
    if not args:
        return (verb + "\n").encode()
    words += len(args)
    if words > MAX_COMMAND_WORDS:
        raise AgiArgumentError(f"{verb}: {words} words, Asterisk reads at most {MAX_COMMAND_WORDS}")
    try:
        probe = "".join(args)
    except TypeError:
        raise _refused(verb, args) from None
    if "\n" in probe or "\r" in probe or "\0" in probe:
        raise _refused(verb, args)
    if "\\" in probe or '"' in probe:
        args = tuple(a.replace("\\", "\\\\").replace('"', '\\"') for a in args)
    line = (verb + ' "' + '" "'.join(args) + '"\n').encode(_ENCODING, _ERRORS)
    if len(line) > MAX_COMMAND_BYTES:
        raise AgiArgumentError(
            f"{verb}: command of {len(line)} bytes, Asterisk's buffer takes "
            f"{MAX_COMMAND_BYTES} (LF included)"
        )
    return line


def _verb_words(verb: str) -> int:
    """The word count of a verb not in _KNOWN_VERBS, checked."""
    if not verb or not _VERB_CHARS.issuperset(verb) or "  " in verb or verb.strip() != verb:
        raise AgiArgumentError(f"not an AGI command verb: {verb!r}")
    return verb.count(" ") + 1


def _refused(verb: str, args: tuple[object, ...]) -> AgiArgumentError:
    """The error for an argument that is not a str, or holds CR, LF or NUL."""
    texts: list[str] = []
    for arg in args:
        if not isinstance(arg, str):
            return AgiArgumentError(f"{verb}: argument {arg!r} is not a str")
        texts.append(arg)
    bad = next(a for a in texts if "\n" in a or "\r" in a or "\0" in a)
    return AgiArgumentError(
        f"{verb}: argument {bad[:40]!r} holds CR, LF or NUL; Asterisk would "
        "run the rest as a new command"
    )


# The commands of Asterisk 22 and their word counts (validated once, here).
_KNOWN_VERBS: Final = {
    verb: verb.count(" ") + 1
    for verb in (
        "ANSWER",
        "ASYNCAGI BREAK",
        "CHANNEL STATUS",
        "CONTROL STREAM FILE",
        "DATABASE DEL",
        "DATABASE DELTREE",
        "DATABASE GET",
        "DATABASE PUT",
        "EXEC",
        "GET DATA",
        "GET FULL VARIABLE",
        "GET OPTION",
        "GET VARIABLE",
        "GOSUB",
        "HANGUP",
        "NOOP",
        "RECEIVE CHAR",
        "RECEIVE TEXT",
        "RECORD FILE",
        "SAY ALPHA",
        "SAY DATE",
        "SAY DATETIME",
        "SAY DIGITS",
        "SAY NUMBER",
        "SAY PHONETIC",
        "SAY TIME",
        "SEND IMAGE",
        "SEND TEXT",
        "SET AUTOHANGUP",
        "SET CALLERID",
        "SET CONTEXT",
        "SET EXTENSION",
        "SET MUSIC",
        "SET PRIORITY",
        "SET VARIABLE",
        "SPEECH ACTIVATE GRAMMAR",
        "SPEECH CREATE",
        "SPEECH DEACTIVATE GRAMMAR",
        "SPEECH DESTROY",
        "SPEECH LOAD GRAMMAR",
        "SPEECH RECOGNIZE",
        "SPEECH SET",
        "SPEECH UNLOAD GRAMMAR",
        "STREAM FILE",
        "TDD MODE",
        "VERBOSE",
        "WAIT FOR DIGIT",
    )
}


# --------------------------------------------------------------------------- replies


class Reply(NamedTuple):
    """One reply: ``200 result=1 (value) endpos=3``, ``510 ...``, a whole 520 block.

    ``result`` is the text after ``result=`` (``None`` for 510/511/520; may be empty,
    as GET DATA's ``result= (timeout)``); ``data`` the text between the first ``(``
    and the LAST ``)`` (the value of GET VARIABLE, raw), or for 510/511/520 the
    message (520: the usage text); ``extra`` the ``key=value`` words after it.
    Immutable (a named tuple: built several times per call, it must be cheap).
    """

    code: int
    result: str | None
    data: str | None
    extra: Mapping[str, str]
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HangupNotice:
    """Asterisk's inline ``HANGUP`` line: the channel hung up (a note, not a reply)."""


HANGUP_NOTICE: Final = HangupNotice()

Event = Reply | HangupNotice


class ReplyParser:
    """Feed bytes, get ``Reply`` / ``HangupNotice`` events in order.

    Lines are bounded by ``max_line`` bytes and a multi-line 520 block by
    ``max_usage_lines``; anything that is not an AGI reply raises
    ``AgiProtocolError`` (and the parser stays broken: the stream cannot be
    trusted).  Call ``feed_eof()`` when the peer closed: it says whether a reply was
    cut in the middle.
    """

    __slots__ = ("_buf", "_error", "_usage", "max_line", "max_usage_lines")

    def __init__(self, max_line: int = 65536, max_usage_lines: int = 512) -> None:
        self.max_line = max_line
        self.max_usage_lines = max_usage_lines
        self._buf = b""
        self._usage: list[str] | None = None
        self._error: AgiProtocolError | None = None

    @property
    def mid_reply(self) -> bool:
        """True when part of a reply (a partial line, an open 520 block) is buffered."""
        return bool(self._buf) or self._usage is not None

    def feed(self, data: bytes) -> list[Event]:
        if self._error is not None:
            raise self._error
        try:
            if data[-1:] == b"\n" and not self._buf and self._usage is None:
                # The usual case in one match: a whole "200 result=N [(value)]" line.
                line = data[:-1].decode(_ENCODING, _ERRORS)
                match = _PLAIN_200.fullmatch(line)
                if match is not None and len(line) <= self.max_line:
                    result, value = match.groups()
                    return [_new_reply(Reply, (200, result, value, _EMPTY, (line,)))]
            return self._feed(data)
        except AgiProtocolError as exc:
            self._error = exc
            raise

    def feed_eof(self) -> bool:
        """The peer closed: returns True if it closed in the middle of a reply."""
        return self.mid_reply

    def _feed(self, data: bytes) -> list[Event]:
        buf = self._buf + data if self._buf else data
        events: list[Event] = []
        start = 0
        max_line = self.max_line
        while True:
            end = buf.find(b"\n", start)
            if end < 0:
                rest = buf[start:]
                if len(rest) > max_line:
                    raise AgiProtocolError(f"reply line longer than {max_line} bytes (no LF)")
                self._buf = rest
                return events
            if end - start > max_line:
                raise AgiProtocolError(f"reply line longer than {max_line} bytes")
            if end > start and buf[end - 1] == 13:  # tolerate CRLF
                line = buf[start : end - 1].decode(_ENCODING, _ERRORS)
            else:
                line = buf[start:end].decode(_ENCODING, _ERRORS)
            start = end + 1
            event = self._line(line)
            if event is not None:
                events.append(event)

    def _line(self, line: str) -> Event | None:
        usage = self._usage
        if usage is not None:
            usage.append(line)
            if line.startswith("520 "):
                self._usage = None
                text = "\n".join(usage[1:-1])
                return Reply(520, None, text, _EMPTY, tuple(usage))
            if len(usage) > self.max_usage_lines:
                raise AgiProtocolError(f"520 usage block longer than {self.max_usage_lines} lines")
            return None
        if line[:11] == "200 result=":  # the common case, straight to the result
            return _parse_result(200, line[4:], line)
        if line == "HANGUP":
            return HANGUP_NOTICE
        if len(line) < 3 or not (line[0] in _DIGITS and line[1] in _DIGITS and line[2] in _DIGITS):
            raise AgiProtocolError(f"not an AGI reply: {line[:80]!r}")
        code = int(line[:3])
        sep = line[3:4]
        if sep == "-":
            if code != 520:
                raise AgiProtocolError(f"multi-line reply with code {code}: {line[:80]!r}")
            self._usage = [line]
            return None
        if sep not in (" ", ""):
            raise AgiProtocolError(f"not an AGI reply: {line[:80]!r}")
        rest = line[4:]
        if not rest.startswith("result="):
            if code == 200 or code == 100:
                raise AgiProtocolError(f"{code} reply without result=: {line[:80]!r}")
            return Reply(code, None, rest, _EMPTY, (line,))
        return _parse_result(code, rest, line)


_DIGITS: Final = frozenset("0123456789")
_new_reply: Final = tuple.__new__  # Reply(...) without the named tuple's Python __new__
# One line, nothing after the value (which runs to the LAST ')'); else the general path.
_PLAIN_200: Final = re.compile(r"200 result=(-?[0-9]*)(?: \((.*)\))?")


def _parse_result(code: int, rest: str, line: str) -> Reply:
    """``result=<r> [(<data>)] [key=value ...]`` after the code (no regex)."""
    space = rest.find(" ", 7)
    if space < 0:
        return _new_reply(Reply, (code, rest[7:], None, _EMPTY, (line,)))
    result = rest[7:space]
    tail = rest[space + 1 :].lstrip(" ")
    data: str | None = None
    if tail.startswith("("):
        close = tail.rfind(")")
        if close < 0:
            raise AgiProtocolError(f"reply data without closing ')': {line[:80]!r}")
        data = tail[1:close]
        tail = tail[close + 1 :]
    if not tail or "=" not in tail:
        return _new_reply(Reply, (code, result, data, _EMPTY, (line,)))
    return _new_reply(Reply, (code, result, data, _parse_extra(tail), (line,)))


def _parse_extra(tail: str) -> Mapping[str, str]:
    """``endpos=3 results=1 text0="two words"``: key=value words, quotes allowed."""
    extra: dict[str, str] = {}
    i = 0
    n = len(tail)
    while i < n:
        if tail[i] == " ":
            i += 1
            continue
        eq = tail.find("=", i)
        space = tail.find(" ", i)
        if eq < 0 or (0 <= space < eq):
            # a free word ("Gosub complete", "Trying..."): visible in Reply.lines
            i = n if space < 0 else space + 1
            continue
        key = tail[i:eq]
        j = eq + 1
        if j < n and tail[j] == '"':
            close = tail.find('"', j + 1)
            if close < 0:
                close = n
            extra[key] = tail[j + 1 : close]
            i = close + 1
        else:
            end = tail.find(" ", j)
            if end < 0:
                end = n
            extra[key] = tail[j:end]
            i = end
    return extra
