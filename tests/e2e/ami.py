"""A small asyncio AMI client for the tests: actions with replies, and every event kept.

``AmiClient.connect(host, port, user, secret)`` logs in; ``action(name, **fields)``
sends one action and returns its response; ``events`` is the list of every event seen
since login, in order, and ``wait_for(predicate, max_wait)`` waits for the next
matching one.  Messages are the product's ``autocom.ami.protocol.AmiMessage`` (a
dict of the first value of each key, with ``all(key)`` for repeated keys such as
``Output``), read by its ``parse_block``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable

from autocom.ami.protocol import AmiMessage, parse_block

__all__ = ["AmiClient", "AmiError", "AmiMessage"]

READ_LIMIT = 1 << 20


class AmiError(RuntimeError):
    """AMI refused an action or the connection was lost."""


class AmiClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[AmiMessage]] = {}
        self.events: list[AmiMessage] = []
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self.closed = False

    @classmethod
    async def connect(
        cls, host: str, port: int, user: str, secret: str, max_wait: float = 5
    ) -> AmiClient:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=READ_LIMIT), max_wait
        )
        banner = await asyncio.wait_for(reader.readline(), max_wait)
        if not banner.startswith(b"Asterisk Call Manager"):
            writer.close()
            raise AmiError(f"not an AMI server: {banner!r}")
        client = cls(reader, writer)
        client._task = asyncio.create_task(client._read_loop())
        reply = await client.action("Login", Username=user, Secret=secret, max_wait=max_wait)
        if reply.get("Response") != "Success":
            await client.close()
            raise AmiError(f"AMI login refused: {reply.get('Message')}")
        return client

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.action("Logoff", max_wait=1), 1)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()
        self.closed = True

    async def _read_loop(self) -> None:
        try:
            while True:
                block = await self._reader.readuntil(b"\r\n\r\n")
                msg = parse_block(block.decode("utf-8", "replace"))
                await self._dispatch(msg)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.closed = True
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(AmiError("AMI connection closed"))
            async with self._changed:
                self._changed.notify_all()

    async def _dispatch(self, msg: AmiMessage) -> None:
        if msg.is_event:
            self.events.append(msg)
            async with self._changed:
                self._changed.notify_all()
            return
        fut = self._pending.pop(msg.get("ActionID", ""), None)
        if fut is not None:
            fut.set_result(msg)

    async def action(
        self,
        name: str,
        *,
        max_wait: float = 10,
        variables: dict[str, str] | None = None,
        action_id: str | None = None,
        **fields: str,
    ) -> AmiMessage:
        """Send one action, return its response (raise AmiError on Response: Error)."""
        return await self.send_action(
            name, fields, variables=variables, action_id=action_id, max_wait=max_wait
        )

    async def send_action(
        self,
        name: str,
        fields: dict[str, str],
        *,
        variables: dict[str, str] | None = None,
        action_id: str | None = None,
        max_wait: float = 10,
    ) -> AmiMessage:
        """``action`` with the fields as a dict (for field names that are not identifiers)."""
        if self.closed:
            raise AmiError("AMI connection closed")
        action_id = action_id or f"ami-{next(self._ids)}"
        lines = [f"Action: {name}", f"ActionID: {action_id}"]
        for key, value in fields.items():
            lines.append(f"{key}: {_clean(value)}")
        for key, value in (variables or {}).items():
            lines.append(f"Variable: {key}={_clean(value)}")
        fut: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = fut
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self._writer.drain()
        try:
            reply = await asyncio.wait_for(fut, max_wait)
        except TimeoutError:
            self._pending.pop(action_id, None)
            raise AmiError(f"no reply to AMI action {name} in {max_wait} s") from None
        if reply.get("Response") == "Error":
            raise AmiError(f"AMI {name} failed: {reply.get('Message')}")
        return reply

    async def command(self, cli: str, max_wait: float = 10) -> str:
        """Run a CLI command, return its output."""
        reply = await self.action("Command", Command=cli, max_wait=max_wait)
        return "\n".join(reply.all("Output"))

    async def wait_for(
        self, predicate: Callable[[AmiMessage], bool], max_wait: float, start: int = 0
    ) -> AmiMessage:
        """The first event from index ``start`` on that matches; raise TimeoutError."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_wait
        index = start
        async with self._changed:
            while True:
                while index < len(self.events):
                    event = self.events[index]
                    index += 1
                    if predicate(event):
                        return event
                if self.closed:
                    raise AmiError("AMI connection closed")
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)


def _clean(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"AMI field values cannot hold line breaks: {value!r}")
    return value
