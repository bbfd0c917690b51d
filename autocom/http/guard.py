"""A guard in front of aiohttp's protocol: connection caps and read timeouts.

aiohttp bounds the size of a request but not the time a client takes to send
it, and it accepts every connection.  Any device on the phones' subnets could
then hold hundreds of half-sent requests open, each a file descriptor of the
process that also serves FastAGI.  ``GuardedProtocol`` wraps each connection:

- at most ``max_connections`` open at once, ``max_per_address`` from one
  address: a connection over a cap is reset at once (it never reaches aiohttp);
- a request's headers must arrive within ``header_timeout`` of its first byte
  (or of the connection, for the first request), its body within
  ``body_timeout`` of the headers' end; else the connection closes (with a
  ``408`` when the headers never ended).
  Between requests aiohttp's keep-alive timeout applies.

``RequestScanner`` is the sans-IO part: it follows the request framing
(headers, Content-Length or chunked body) just enough to know the phase.
"""

from __future__ import annotations

import asyncio
import logging
import re
import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, cast

__all__ = ["FileBudget", "Guard", "GuardedProtocol", "Limits", "RequestScanner", "file_budget"]

log = logging.getLogger("autocom.http")

Phase = Literal["idle", "headers", "body"]
MAX_HEADER_BYTES = 64 * 1024  # aiohttp refuses lines over 8 KB; a block over this is hostile
_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d{1,18})[ \t]*\r?$", re.I | re.M)
_CHUNKED = re.compile(rb"^transfer-encoding[ \t]*:.*chunked", re.I | re.M)
_TIMEOUT_REPLY = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


@dataclass(frozen=True)
class Limits:
    max_connections: int
    max_per_address: int
    header_timeout: float
    body_timeout: float


@dataclass
class RequestScanner:
    """Which part of a request the client is sending (sans-IO)."""

    phase: Phase = "headers"  # a new connection owes its first request's headers
    _head: bytearray = field(default_factory=bytearray)
    _left: int = 0  # body bytes still due (Content-Length)
    _chunked: bool = False
    _tail: bytes = b""  # the last bytes of a chunked body, to find its end

    def feed(self, data: bytes) -> Phase:
        """Consume ``data``; the phase after it.  ValueError for a hostile header block."""
        view = memoryview(data)
        while view:
            if self.phase == "idle":
                self.phase = "headers"
            view = self._headers(view) if self.phase == "headers" else self._body(view)
        return self.phase

    def _headers(self, view: memoryview) -> memoryview:
        start = max(0, len(self._head) - 3)
        self._head += view
        end = self._head.find(b"\r\n\r\n", start)
        if end < 0:
            if len(self._head) > MAX_HEADER_BYTES:
                raise ValueError("request headers too large")
            return memoryview(b"")
        head = bytes(self._head[: end + 4])
        rest = memoryview(bytes(self._head[end + 4 :]))
        self._head.clear()
        length = _LENGTH.search(head)
        self._chunked = _CHUNKED.search(head) is not None
        self._left = int(length.group(1)) if length and not self._chunked else 0
        self._tail = b""
        self.phase = "body" if self._chunked or self._left else "idle"
        return rest

    def _body(self, view: memoryview) -> memoryview:
        if not self._chunked:
            used = min(self._left, len(view))
            self._left -= used
            if self._left == 0:
                self.phase = "idle"
            return view[used:]
        window = self._tail + bytes(view)
        end = window.find(b"0\r\n\r\n")
        if end < 0:
            self._tail = window[-4:]
            return memoryview(b"")
        self.phase = "idle"
        consumed = end + 5 - len(self._tail)
        return view[consumed:]


class Guard:
    """The counts of one listener's connections."""

    def __init__(self, limits: Limits, name: str) -> None:
        self.limits = limits
        self.name = name
        self.open = 0
        self.per_address: dict[str, int] = {}
        self.refused = 0
        self.timed_out = 0
        self._last_warning = -60.0

    def admit(self, address: str, now: float) -> bool:
        limits = self.limits
        if self.open >= limits.max_connections:
            why = f"{limits.max_connections} connections open"
        elif self.per_address.get(address, 0) >= limits.max_per_address:
            why = f"{limits.max_per_address} connections open from {address}"
        else:
            self.open += 1
            self.per_address[address] = self.per_address.get(address, 0) + 1
            return True
        self.refused += 1
        if now - self._last_warning >= 10.0:  # one line per 10 s, not one per connection
            self._last_warning = now
            log.warning("%s: refusing connections (%s; %d so far)", self.name, why, self.refused)
        return False

    def release(self, address: str) -> None:
        self.open -= 1
        left = self.per_address.get(address, 1) - 1
        if left > 0:
            self.per_address[address] = left
        else:
            self.per_address.pop(address, None)


class GuardedProtocol(asyncio.Protocol):
    """One HTTP connection: admitted by the guard, timed, then handed to aiohttp."""

    def __init__(
        self,
        factory: Callable[[], asyncio.BaseProtocol],
        guard: Guard,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._factory = factory
        self._guard = guard
        self._loop = loop
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.Transport | None = None
        self._address = ""
        self._scanner = RequestScanner()
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self._address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if not self._guard.admit(self._address, self._loop.time()):
            self._transport.abort()  # a reset: the descriptor is free at once
            return
        self._inner = cast(asyncio.Protocol, self._factory())
        self._arm(self._guard.limits.header_timeout)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        inner = self._inner
        if inner is None:
            return
        before = self._scanner.phase
        try:
            phase = self._scanner.feed(data)
        except ValueError:
            self._expire()
            return
        if phase != before or before == "idle":
            limits = self._guard.limits
            if phase == "headers":
                self._arm(limits.header_timeout)
            elif phase == "body":
                self._arm(limits.body_timeout)
            else:
                self._disarm()
        inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        inner = self._inner
        if inner is not None:
            self._inner = None
            self._guard.release(self._address)
            inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self._loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        self._guard.timed_out += 1
        if self._scanner.phase == "headers":  # aiohttp has no request to answer yet
            transport.write(_TIMEOUT_REPLY)
        transport.close()  # a body cut short: aiohttp may have answered already


@dataclass(frozen=True)
class FileBudget:
    """How the process's file descriptors are shared out (see ``file_budget``)."""

    limit: int  # RLIMIT_NOFILE's soft limit once raised
    agi_sessions: int  # FastAGI sessions that fit
    http_connections: int  # phone connections that fit after FastAGI's share


RESERVED_FILES = 128  # listeners, state store, ARI, LDAP, log and rule files, admin


def file_budget(agi_sessions: int, http_connections: int, admin_connections: int) -> FileBudget:
    """Raise the soft file limit to the hard one (as far as needed), then share it:
    FastAGI first, then the admin listener and a reserve, the phones last, so
    that running out of descriptors refuses HTTP, never a call."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = agi_sessions + http_connections + admin_connections + RESERVED_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if target > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    limit = wanted if soft == resource.RLIM_INFINITY else soft
    agi = min(agi_sessions, max(1, limit - admin_connections - RESERVED_FILES - 1))
    http = min(http_connections, max(1, limit - agi - admin_connections - RESERVED_FILES))
    if agi < agi_sessions or http < http_connections:
        log.warning(
            "file limit %d (hard %s): serving at most %d FastAGI sessions and %d phone "
            "connections instead of %d and %d; raise it (LimitNOFILE=%d in the systemd unit)",
            limit,
            hard,
            agi,
            http,
            agi_sessions,
            http_connections,
            wanted,
        )
    return FileBudget(limit, agi, http)
