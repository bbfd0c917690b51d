"""A fake Asterisk: the FastAGI client side over real TCP, for the server tests.

A FAKE, named as such: it plays what Asterisk 22 does on the wire (environment
block, one reply per command line, ``FAILURE`` ends the AGI) and, for the fault
cases the real Asterisk cannot be made to show, it sends garbage, half blocks,
silence, or closes in the middle of a reply.  The real-Asterisk tests live in
tests/e2e/.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.unit.agi.samples import env_with

Answer = Callable[[str], bytes | None]  # command line -> reply bytes (b"" closes, None: silence)


def asterisk_answer(variables: dict[str, str] | None = None) -> Answer:
    """Replies as Asterisk does for the common commands (GET/SET VARIABLE, NOOP...)."""
    store = dict(variables or {})

    def answer(line: str) -> bytes | None:
        words = _split(line)
        verb = " ".join(w for w in words[:2])
        if verb == "GET VARIABLE":
            value = store.get(words[2])
            return b"200 result=0\n" if value is None else f"200 result=1 ({value})\n".encode()
        if verb == "SET VARIABLE":
            store[words[2]] = words[3]
            return b"200 result=1\n"
        if words[0] in ("NOOP", "ANSWER"):
            return b"200 result=0\n"
        if words[0] == "VERBOSE":
            return b"200 result=1\n"
        return b"510 Invalid or unknown command\n"

    answer.store = store  # type: ignore[attr-defined]
    return answer


def _split(line: str) -> list[str]:
    """Split like Asterisk's parse_args (quotes, backslash escapes)."""
    words: list[str] = []
    cur: list[str] | None = None
    quoted = escaped = False
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if cur is None:
                cur = []
                words.append("")
            escaped = False
        elif ch in " \t" and not quoted and not escaped:
            if cur is not None:
                words[-1] = "".join(cur)
            cur = None
        elif ch == "\\" and not escaped:
            escaped = True
        else:
            if cur is None:
                cur = []
                words.append("")
            cur.append(ch)
            escaped = False
    if cur is not None:
        words[-1] = "".join(cur)
    return words


@dataclass
class CallResult:
    status: str  # SUCCESS | FAILURE | HANGUP-like "closed by us"
    commands: list[str] = field(default_factory=list)
    failure_line: str = ""


async def fake_call(
    port: int,
    script: str = "rights",
    answer: Answer | None = None,
    *,
    env: bytes | None = None,
    before_reply: bytes = b"",
    wait_s: float = 10.0,
    sock: socket.socket | None = None,
) -> CallResult:
    """One AGI() call as Asterisk makes it; returns what AGISTATUS would be.
    ``sock``: a socket already connected to ``port`` (``port`` is then unused)."""
    answer = answer or asterisk_answer()
    if sock is None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    else:
        reader, writer = await asyncio.open_connection(sock=sock)
    result = CallResult("SUCCESS")
    try:
        block = env if env is not None else env_with(network_script=script)
        writer.write(block)
        while True:
            line = await asyncio.wait_for(reader.readline(), wait_s)
            if not line:
                return result
            text = line.decode("utf-8", "surrogateescape").rstrip("\n")
            if text.lower().startswith("failure"):
                result.status = "FAILURE"
                result.failure_line = text
                return result
            result.commands.append(text)
            reply = answer(text)
            if reply is None:
                continue
            if reply == b"":
                return result
            writer.write(before_reply + reply)
            before_reply = b""
            if not reply.endswith(b"\n"):  # a reply cut in the middle: close now
                await writer.drain()
                return result
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    async with asyncio.timeout(10):
        return await reader.read()
