"""An asyncio AMI link that stays up: login, every event to a callback, reconnect.

``AmiLink(...).run()`` connects, logs in, calls ``on_connect`` (e.g. to catch up
from a backlog what happened while the link was down) and hands each event to
``on_event`` until the connection drops; then it waits (``retry_min`` doubling up
to ``retry_max`` seconds) and starts again, until cancelled.  ``action()`` sends
one action on the current connection and waits for its response.  Every wait is
bounded: connect, login and each action have a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from autocom.ami.protocol import AmiMessage, AmiParser, AmiProtocolError, Banner, format_action

log = logging.getLogger("autocom.ami")

READ_SIZE = 65536


class AmiError(RuntimeError):
    """Asterisk refused an action or login, or the link is down."""


@dataclass(frozen=True)
class AmiAccess:
    host: str
    port: int
    user: str
    secret: str
    timeout: float = 5.0  # seconds for connect, login and each action


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.parser = AmiParser()
        self.pending: dict[str, asyncio.Future[AmiMessage]] = {}

    def fail_pending(self) -> None:
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(AmiError("AMI connection closed"))
        self.pending.clear()


class AmiLink:
    def __init__(
        self,
        access: AmiAccess,
        on_event: Callable[[AmiMessage], None],
        *,
        on_connect: Callable[[], Awaitable[None]] | None = None,
        retry_min: float = 0.5,
        retry_max: float = 30.0,
    ) -> None:
        self.access = access
        self._on_event = on_event
        self._on_connect = on_connect
        self._retry_min = retry_min
        self._retry_max = retry_max
        self._ids = itertools.count(1)
        self._conn: _Connection | None = None
        self.connected = asyncio.Event()
        self.connections = 0  # successful logins so far

    async def run(self) -> None:
        """Stay connected until cancelled."""
        delay = self._retry_min
        while True:
            try:
                await self._session()
                delay = self._retry_min  # it was up: retry soon
            except (OSError, TimeoutError, AmiError, AmiProtocolError) as exc:
                log.warning("AMI %s:%s: %s", self.access.host, self.access.port, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._retry_max)

    async def _session(self) -> None:
        a = self.access
        reader, writer = await asyncio.wait_for(asyncio.open_connection(a.host, a.port), a.timeout)
        conn = _Connection(reader, writer)
        reading = asyncio.create_task(self._read(conn))
        try:
            self._conn = conn
            reply = await self.action("Login", Username=a.user, Secret=a.secret)
            if reply.get("Response") != "Success":
                raise AmiError(f"AMI login refused: {reply.get('Message', '')}")
            self.connections += 1
            self.connected.set()
            log.info("AMI connected to %s:%s", a.host, a.port)
            if self._on_connect is not None:
                await self._on_connect()
            await reading
        finally:
            self.connected.clear()
            self._conn = None
            conn.fail_pending()
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reading
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read(self, conn: _Connection) -> None:
        while True:
            data = await conn.reader.read(READ_SIZE)
            if not data:
                raise AmiError("AMI connection closed by Asterisk")
            conn.parser.feed(data)
            for message in conn.parser.events():
                if isinstance(message, Banner):
                    continue
                if message.is_event:
                    self._on_event(message)
                    continue
                fut = conn.pending.pop(message.get("ActionID", ""), None)
                if fut is not None and not fut.done():
                    fut.set_result(message)

    async def action(self, name: str, **fields: str) -> AmiMessage:
        """Send one action and return its response (``Response: Error`` raises AmiError)."""
        conn = self._conn
        if conn is None:
            raise AmiError("AMI link is down")
        action_id = f"autocom-{next(self._ids)}"
        fut: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
        conn.pending[action_id] = fut
        conn.writer.write(format_action(name, fields, action_id))
        try:
            await conn.writer.drain()
            reply = await asyncio.wait_for(fut, self.access.timeout)
        except TimeoutError:
            raise AmiError(f"no reply to AMI {name} in {self.access.timeout} s") from None
        finally:
            conn.pending.pop(action_id, None)
        if reply.get("Response") == "Error" and name != "Login":
            raise AmiError(f"AMI {name} failed: {reply.get('Message', '')}")
        return reply
