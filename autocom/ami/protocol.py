"""The AMI wire format with no I/O: bytes in, messages out; an action in, bytes out.

AMI is line based: the server first sends one banner line
(``Asterisk Call Manager/<version>``), then messages, each a block of
``Key: Value`` lines ended by an empty line (CRLF CRLF).  A key may repeat
(``Output``, ``Variable``); ``AmiMessage`` keeps every pair in order and maps
each key to its first value.  Every line and every message is bounded: a peer
that never ends one gets ``AmiProtocolError`` instead of unbounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

MAX_LINE = 64 * 1024  # bytes in one line
MAX_MESSAGE = 1024 * 1024  # bytes in one message
BANNER_PREFIX = b"Asterisk Call Manager/"


class AmiProtocolError(ValueError):
    """The peer sent something that is not AMI (bad banner, line too long...)."""


class AmiMessage(dict[str, str]):
    """One AMI message: the first value of each key; ``all(key)`` for repeated keys."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        self.pairs = pairs
        for key, value in pairs:
            self.setdefault(key, value)

    def all(self, key: str) -> list[str]:
        return [v for k, v in self.pairs if k == key]

    @property
    def is_event(self) -> bool:
        return "Event" in self


@dataclass(frozen=True)
class Banner:
    """The server's first line, e.g. version ``11.0.0``."""

    version: str


def parse_block(block: str) -> AmiMessage:
    """One message's text (without its final empty line) as an ``AmiMessage``."""
    pairs: list[tuple[str, str]] = []
    for line in block.split("\r\n"):
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:  # a bare line (old-style command output)
            pairs.append(("Output", line))
            continue
        pairs.append((key.strip(), value[1:] if value.startswith(" ") else value))
    return AmiMessage(pairs)


class AmiParser:
    """Feed bytes as they come; iterate ``events()`` for the banner then messages."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._banner_seen = False

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def events(self) -> Iterator[Banner | AmiMessage]:
        while True:
            event = self._next()
            if event is None:
                return
            yield event

    def _next(self) -> Banner | AmiMessage | None:
        if not self._banner_seen:
            end = self._buffer.find(b"\r\n")
            if end < 0:
                self._check_pending(MAX_LINE)
                return None
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 2]
            if not line.startswith(BANNER_PREFIX):
                raise AmiProtocolError(f"not an AMI server: {line[:80]!r}")
            self._banner_seen = True
            return Banner(line[len(BANNER_PREFIX) :].decode("ascii", "replace"))
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            self._check_pending(MAX_MESSAGE)
            return None
        block = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        if any(len(line) > MAX_LINE for line in block.split(b"\r\n")):
            raise AmiProtocolError(f"an AMI line is longer than {MAX_LINE} bytes")
        return parse_block(block.decode("utf-8", "replace"))

    def _check_pending(self, limit: int) -> None:
        if len(self._buffer) > limit:
            raise AmiProtocolError(f"no end of AMI message within {limit} bytes")


def format_action(name: str, fields: Mapping[str, str], action_id: str) -> bytes:
    """One action as bytes; a value holding CR or LF is refused (it would inject lines)."""
    lines = [f"Action: {_clean(name)}", f"ActionID: {_clean(action_id)}"]
    lines.extend(f"{_clean(key)}: {_clean(value)}" for key, value in fields.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _clean(value: str) -> str:
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"AMI fields cannot hold line breaks or NUL: {value!r}")
    return value
