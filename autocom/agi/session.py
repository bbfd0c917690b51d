"""An AGI session: one typed async method per AGI command of Asterisk 22.

The session writes one command, then reads until its reply came (an inline
``HANGUP`` on the way sets ``hung_up`` and the real reply is still read; GOSUB's
``100 Trying...`` is skipped).  What may happen next is decided by the
connection's transition table (autocom.agi.state), fed by this thin wrapper.
Commands are never pipelined: a lock serialises them, because Asterisk aborts a
playback that is written to.  Every reply is awaited with a timeout.

Results are typed: the digit pressed or None, ``endpos``, a timeout flag, a value
or None.  Errors (autocom.agi.errors): ``AgiHangup`` for 511 and for the ``-1``
results after which Asterisk ends the AGI; ``AgiCommandError`` for 510/520 and
documented failures; ``AgiTimeout``; ``AgiConnectionClosed``; ``AgiProtocolError``.
After a timeout or a protocol error the session is unusable (a late reply would
be read as the answer to the next command): every later command raises.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, NoReturn, Protocol

from autocom.agi.deadlines import Deadlines
from autocom.agi.errors import (
    AgiCommandError,
    AgiConnectionClosed,
    AgiError,
    AgiHangup,
    AgiProtocolError,
    AgiTimeout,
)
from autocom.agi.plan import Plan
from autocom.agi.protocol import (
    AgiEnvironment,
    Reply,
    ReplyParser,
    format_command,
)
from autocom.agi.state import (
    AFTER_REPLY,
    AFTER_SEND,
    CANCEL,
    CLOSED,
    EOF,
    GARBAGE,
    HANGUP,
    IDLE,
    PROVISIONAL,
    REPLY,
    SEND,
    TIMEOUT,
    ConnectionState,
)

__all__ = [
    "AgiSession",
    "DigitsResult",
    "PlaybackResult",
    "ReaderLike",
    "RecordResult",
    "SpeechResult",
    "WriterLike",
]


class ReaderLike(Protocol):
    """What the session reads from: ``asyncio.StreamReader`` fits."""

    async def read(self, n: int = -1) -> bytes: ...


class WriterLike(Protocol):
    """What the session writes to: ``asyncio.StreamWriter`` fits."""

    def write(self, data: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class PlaybackResult:
    """STREAM FILE / CONTROL STREAM FILE / GET OPTION."""

    digit: str | None  # the escape digit pressed, None if none
    endpos: int  # sample offset where playback stopped (CONTROL STREAM FILE: -1 = end)


@dataclass(frozen=True, slots=True)
class DigitsResult:
    """GET DATA: the digits keyed (maybe empty) and whether it ended on the timeout."""

    digits: str
    timed_out: bool


@dataclass(frozen=True, slots=True)
class RecordResult:
    """RECORD FILE: why it stopped ('dtmf', 'timeout'), the digit, where it ended."""

    reason: str
    digit: str | None
    endpos: int


@dataclass(frozen=True, slots=True)
class SpeechResult:
    """SPEECH RECOGNIZE: reason ('speech', 'digit', 'timeout', 'hangup') and details."""

    reason: str
    digit: str | None
    endpos: int | None
    results: tuple[tuple[int, str, str], ...]  # (score, text, grammar) per result
    extra: Mapping[str, str]


class AgiSession(ConnectionState):
    """Commands to one channel, over an established FastAGI connection.

    The connection's state (idle, awaiting a reply, hung up, closed, failed) is
    the ``ConnectionState`` this class extends (autocom.agi.state: ``state``,
    ``hung_up``, ``error``, ``handle``): this class only moves bytes, waits, and
    feeds the table what happened.  It extends the state rather than holding one:
    no second object per call (bench/agi_inproc.py counts every allocation).
    """

    __slots__ = (
        "_deadlines",
        "_locked",
        "_parser",
        "_plan",
        "_plan_at",
        "_plan_done",
        "_reader",
        "_reply",
        "_turns",
        "_waiter",
        "_writer",
        "commands_sent",
        "env",
        "first_reply_timeout",
        "reply_timeout",
    )

    def __init__(
        self,
        reader: ReaderLike | None,
        writer: WriterLike,
        env: AgiEnvironment,
        reply_timeout: float = 60.0,
        *,
        pending: bytes = b"",
        deadlines: Deadlines | None = None,
    ) -> None:
        """``reader``: where replies are read from; ``None`` for push mode, where the
        owner (the server's connection) calls ``data_received`` / ``eof_received``.
        ``pending``: bytes already read after the environment block (an early HANGUP).
        ``deadlines``: push mode's shared reply timer (required in push mode).
        """
        if reader is None and deadlines is None:
            raise TypeError("AgiSession: push mode (reader=None) needs deadlines")
        self._reader = reader
        self._writer = writer
        self.env = env  # what Asterisk told us about the call
        self.reply_timeout = reply_timeout
        # set by the server until the peer first speaks: the cap of a default wait
        self.first_reply_timeout: float | None = None
        self.state = IDLE  # ConnectionState.__init__, without the call (one per session)
        self.hung_up = False
        self.error: AgiError | None = None
        self.commands_sent = 0
        # The command lock (asyncio side, not the connection's state): held from
        # writing a command until its reply is taken; _turns: tasks waiting for it.
        self._locked = False
        self._turns: deque[asyncio.Future[None]] | None = None
        self._deadlines = deadlines
        self._parser = ReplyParser()
        self._reply: Reply | None = None  # the final reply received, not yet taken
        self._waiter: asyncio.Future[None] | None = None
        self._plan: Plan | None = None  # run_plan's commands, while it runs
        self._plan_at = 0  # the index of the command in flight
        self._plan_done: Callable[[AgiSession, AgiError | None], None] | None = None
        if pending:
            self.data_received(pending)

    # ------------------------------------------------------------------ input

    def data_received(self, data: bytes) -> None:
        """Bytes from Asterisk (push mode: the server's connection calls this)."""
        try:
            events = self._parser.feed(data)
            for event in events:
                if not isinstance(event, Reply):
                    self.handle(HANGUP)  # an inline HANGUP: the real reply still comes
                elif event.code == 100:
                    self.handle(PROVISIONAL)  # GOSUB's "100 Trying...": the 200 follows
                else:
                    state = AFTER_REPLY[self.state]  # handle(REPLY), inlined
                    self.state = self.handle(REPLY) if state is None else state
                    self._reply = event
        except AgiError as exc:  # garbage, or an input the state refuses (now in ERROR)
            if self.state < CLOSED:
                self.handle(GARBAGE, exc)
        if self._plan_done is not None:
            self._plan_step()
            return
        waiter = self._waiter
        if (
            waiter is not None
            and not waiter.done()
            and (self._reply is not None or self.state >= CLOSED)
        ):
            waiter.set_result(None)

    def eof_received(self) -> None:
        """The connection ended: Asterisk closed it, or the server did (push mode)."""
        self.handle(EOF)
        if self._deadlines is not None:
            self._deadlines.discard(self)
        if self._plan_done is not None:
            self._plan_step()
            return
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ------------------------------------------------------------------ plans

    def run_plan(self, plan: Plan, done: Callable[[AgiSession, AgiError | None], None]) -> None:
        """Push mode, without a task: send ``plan``'s commands one by one, each when
        the previous one's reply came (in ``data_received``), then call ``done(self, None)``;
        on the first error (a reply other than 200, a timeout, the connection ending,
        bytes that are not AGI) stop and call ``done(self, error)`` with what ``command``
        would raise.  ``done`` is called exactly once; an empty plan ends at once."""
        if self._reader is not None:
            raise TypeError("AgiSession.run_plan: push mode only (reader=None)")
        if self._locked or self._plan_done is not None:
            raise RuntimeError("AgiSession.run_plan: a command or a plan is running")
        self._locked = True  # a command of a task would wait for its turn: none runs
        self._plan, self._plan_at, self._plan_done = plan, 0, done
        if plan:
            self._plan_send()
        else:
            self._plan_end(None)

    def cancel_plan(self, error: AgiError) -> None:
        """Stop the running plan (shutdown): its reply may still come, never read."""
        if self._plan_done is not None:
            if self.state < CLOSED:
                self.handle(CANCEL, error)
            self._plan_end(error)

    def _plan_send(self) -> None:
        plan = self._plan
        assert plan is not None and self._deadlines is not None
        command = plan[self._plan_at]
        try:
            self._send(format_command(command.verb, *command.args))
        except AgiError as exc:
            self._plan_end(exc)
            return
        self._deadlines.add(self, self._default_wait())

    def _plan_step(self) -> None:
        """After input: the reply moves the plan on; an ended connection stops it."""
        plan = self._plan
        assert plan is not None
        reply = self._reply
        if reply is None:
            if self.state >= CLOSED:
                self._plan_end(self._ended(plan[self._plan_at].verb))
            return  # a HANGUP line or a 100: the reply still comes
        self._reply = None
        if reply.code != 200:
            try:
                self._refused(plan[self._plan_at].verb, reply)
            except AgiError as exc:
                self._plan_end(exc)
            return
        self._plan_at += 1
        if self._plan_at < len(plan):
            self._plan_send()
        else:
            self._plan_end(None)

    def _plan_end(self, error: AgiError | None) -> None:
        done = self._plan_done
        assert done is not None
        self._plan_done = None
        self._plan = None
        self._locked = False
        done(self, error)

    # ------------------------------------------------------------------ core

    def _send(self, line: bytes) -> None:
        """Write one command line (the state refuses it when closed, failed, or while
        another awaits its reply: handle() raises)."""
        state = AFTER_SEND[self.state]  # handle(SEND), inlined
        self.state = self.handle(SEND) if state is None else state
        self._writer.write(line)
        self.commands_sent += 1

    def _default_wait(self) -> float:
        """How long a command without a wait of its own waits for its reply."""
        if self.first_reply_timeout is not None:
            return min(self.reply_timeout, self.first_reply_timeout)  # a peer yet to speak
        return self.reply_timeout

    async def command(self, verb: str, *args: str, reply_timeout: float | None = None) -> Reply:
        """Send one command and return its final reply (510/511/520 raise).

        ``reply_timeout``: seconds to wait for the reply (default ``reply_timeout``).
        """
        line = format_command(verb, *args)
        if self._locked:
            await self._wait_turn()
        self._locked = True
        try:
            self._send(line)
            wait_s = self._default_wait() if reply_timeout is None else reply_timeout
            while (reply := self._reply) is None:
                try:
                    if self._reader is None:
                        deadlines = self._deadlines
                        assert deadlines is not None  # checked in __init__
                        # The deadline stays registered after the reply (expire() then
                        # finds the waiter done): the next command moves it, the end
                        # of the connection (eof_received) removes it.
                        waiter = self._waiter = deadlines.loop.create_future()
                        deadlines.add(self, wait_s)
                        await waiter
                    else:
                        await self._read(wait_s)
                except TimeoutError:
                    timeout = AgiTimeout(f"{verb}: no reply within {wait_s:g} s")
                    self.handle(TIMEOUT, timeout)
                    raise timeout from None
                except asyncio.CancelledError:
                    # Its reply may still come: it must never answer a later command.
                    cancelled = AgiError(f"{verb}: cancelled while waiting for its reply")
                    self.handle(CANCEL, cancelled)
                    raise
                if self._reply is None and self.state >= CLOSED:
                    raise self._ended(verb)
            self._reply = None
        finally:
            if self._turns:
                self._release()
            else:
                self._locked = False  # nobody waits for the turn (the usual case)
        if reply.code == 200:
            return reply
        return self._refused(verb, reply)

    async def _read(self, wait_s: float) -> None:
        """Pull mode: read what came (at most ``wait_s`` seconds) and feed it."""
        assert self._reader is not None
        async with asyncio.timeout(wait_s):
            data = await self._reader.read(65536)
        if data:
            self.data_received(data)
        else:
            self.handle(EOF)

    def _ended(self, verb: str) -> AgiError:
        """What the command ``verb`` raises when the connection ended before its reply."""
        if self.state is CLOSED:
            where = "in the middle of the reply" if self._parser.mid_reply else "before replying"
            return AgiConnectionClosed(f"{verb}: Asterisk closed the connection {where}")
        return self.error or AgiError(f"{verb}: the AGI connection failed")

    def _refused(self, verb: str, reply: Reply) -> NoReturn:
        """Raise for a final reply other than 200."""
        code = reply.code
        if code == 511:
            self.handle(HANGUP)
            raise AgiHangup(f"{verb}: {reply.data or '511 channel is dead'}")
        if code == 520:
            raise AgiCommandError(
                f"{verb}: invalid command syntax", code=520, command=verb, usage=reply.data or ""
            )
        raise AgiCommandError(
            f"{verb}: {code} {reply.data or reply.result or ''}".rstrip(), code=code, command=verb
        )

    async def _wait_turn(self) -> None:
        """Wait until the command in flight (and those queued before us) are done."""
        if self._turns is None:
            self._turns = deque()
        turn = asyncio.get_running_loop().create_future()
        self._turns.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # we were handed the turn: pass it on
            raise

    def _release(self) -> None:
        turns = self._turns
        while turns:
            turn = turns.popleft()
            if not turn.done():
                turn.set_result(None)  # hand over: the lock stays held
                return
        self._locked = False

    def expire(self) -> None:
        """The reply's deadline passed (called by ``Deadlines``)."""
        plan = self._plan
        if plan is not None and self._plan_done is not None:
            verb = plan[self._plan_at].verb
            timeout = AgiTimeout(f"{verb}: no reply within {self._default_wait():g} s")
            self.handle(TIMEOUT, timeout)
            self._plan_end(timeout)
            return
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(TimeoutError())

    @staticmethod
    def _int(verb: str, reply: Reply) -> int:
        try:
            return int(reply.result or "")
        except ValueError:
            raise AgiProtocolError(f"{verb}: result is not a number: {reply.lines[0]!r}") from None

    def _digit(self, verb: str, reply: Reply) -> str | None:
        """result = ASCII code of the digit, 0 for none, -1: hung up / failed."""
        code = self._int(verb, reply)
        if code > 0:
            return chr(code)
        if code == 0:
            return None
        raise AgiHangup(f"{verb}: result={code} (channel hung up or command failed)")

    def _endpos(self, verb: str, reply: Reply) -> int:
        try:
            return int(reply.extra.get("endpos", "0"))
        except ValueError:
            raise AgiProtocolError(f"{verb}: endpos is not a number: {reply.lines[0]!r}") from None

    async def _ok(self, verb: str, *args: str, reply_timeout: float | None = None) -> int:
        """A command whose -1 result means the channel is gone (Asterisk ends the AGI)."""
        reply = await self.command(verb, *args, reply_timeout=reply_timeout)
        result = self._int(verb, reply)
        if result == -1:
            raise AgiHangup(f"{verb}: result=-1 (channel hung up or command failed)")
        return result

    def _media_timeout(self, timeout_ms: int | None) -> float:
        """Reply timeout for a command that itself waits ``timeout_ms``."""
        if timeout_ms is None or timeout_ms < 0:
            return self.reply_timeout
        return self.reply_timeout + timeout_ms / 1000

    # ------------------------------------------------------------------ channel

    async def answer(self) -> None:
        await self._ok("ANSWER")

    async def asyncagi_break(self) -> None:
        await self.command("ASYNCAGI BREAK")

    async def channel_status(self, channel: str | None = None) -> int | None:
        """0 down/available ... 6 up (answered), 7 busy; None for an unknown channel."""
        args = () if channel is None else (channel,)
        result = self._int("CHANNEL STATUS", await self.command("CHANNEL STATUS", *args))
        return None if result < 0 else result

    async def hangup(self, channel: str | None = None) -> bool:
        """Hang up this channel (or the named one); False if no such channel."""
        args = () if channel is None else (channel,)
        return self._int("HANGUP", await self.command("HANGUP", *args)) == 1

    async def noop(self) -> None:
        await self.command("NOOP")

    async def set_autohangup(self, seconds: float) -> None:
        """Hang up the channel in ``seconds`` (0 cancels)."""
        await self.command("SET AUTOHANGUP", f"{seconds:g}")

    async def set_callerid(self, callerid: str) -> None:
        """Set the caller ID, e.g. ``'"Name" <1234>'`` (SET VARIABLE CALLERID(name) for a name)."""
        await self.command("SET CALLERID", callerid)

    async def set_context(self, context: str) -> None:
        await self.command("SET CONTEXT", context)

    async def set_extension(self, extension: str) -> None:
        await self.command("SET EXTENSION", extension)

    async def set_priority(self, priority: int | str) -> None:
        """A number or a label of the current extension."""
        await self.command("SET PRIORITY", str(priority))

    async def set_music(self, on: bool, music_class: str | None = None) -> None:
        args = ("on" if on else "off",) + (() if music_class is None else (music_class,))
        await self.command("SET MUSIC", *args)

    async def tdd_mode(self, mode: Literal["on", "off", "tdd", "mate"]) -> bool:
        """True if the channel took the mode, False if it is not TDD-capable."""
        return await self._ok("TDD MODE", mode) == 1

    # ------------------------------------------------------------------ variables

    async def get_variable(self, name: str) -> str | None:
        """The variable's raw value, None when unset (no ${} expansion)."""
        reply = await self.command("GET VARIABLE", name)
        if reply.result == "1":
            return reply.data if reply.data is not None else ""
        return None

    async def get_full_variable(self, expression: str, channel: str | None = None) -> str | None:
        """Evaluate ``expression`` with ${} EXPANSION: never put caller data in it."""
        args = (expression,) if channel is None else (expression, channel)
        reply = await self.command("GET FULL VARIABLE", *args)
        if reply.result == "1":
            return reply.data if reply.data is not None else ""
        return None

    async def set_variable(self, name: str, value: str) -> None:
        await self.command("SET VARIABLE", name, value)

    # ------------------------------------------------------------------ database

    async def database_get(self, family: str, key: str) -> str | None:
        reply = await self.command("DATABASE GET", family, key)
        if reply.result == "1":
            return reply.data if reply.data is not None else ""
        return None

    async def database_put(self, family: str, key: str, value: str) -> bool:
        return (await self.command("DATABASE PUT", family, key, value)).result == "1"

    async def database_del(self, family: str, key: str) -> bool:
        """True if the key existed and was deleted."""
        return (await self.command("DATABASE DEL", family, key)).result == "1"

    async def database_deltree(self, family: str, keytree: str | None = None) -> bool:
        """True if entries were deleted.  Asterisk's result is inverted: 0 = deleted."""
        args = (family,) if keytree is None else (family, keytree)
        return (await self.command("DATABASE DELTREE", *args)).result == "0"

    # ------------------------------------------------------------------ dialplan

    async def exec(self, application: str, *args: str, reply_timeout: float | None = None) -> int:
        """Run a dialplan application; returns its result (-2: no such application).

        The arguments are joined with ',' into the one options string Asterisk
        passes on; the application splits it again: keep caller data out of it.
        """
        options = (",".join(args),) if args else ()
        return self._int(
            "EXEC", await self.command("EXEC", application, *options, reply_timeout=reply_timeout)
        )

    async def gosub(
        self,
        context: str,
        extension: str,
        priority: int | str,
        *args: str,
        reply_timeout: float | None = None,
    ) -> None:
        """Run a dialplan subroutine and wait for its Return (raises if not found)."""
        words = [context, extension, str(priority)]
        if args:
            words.append(",".join(args))
        reply = await self.command("GOSUB", *words, reply_timeout=reply_timeout)
        if self._int("GOSUB", reply) != 0:
            raise AgiCommandError(
                f"GOSUB {context},{extension},{priority}: {' '.join(reply.lines)}",
                command="GOSUB",
            )

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.command("VERBOSE", message, str(level))

    # ------------------------------------------------------------------ media

    async def stream_file(
        self, filename: str, escape_digits: str = "", sample_offset: int | None = None
    ) -> PlaybackResult:
        args = (filename, escape_digits) + (() if sample_offset is None else (str(sample_offset),))
        reply = await self.command("STREAM FILE", *args)
        return PlaybackResult(self._digit("STREAM FILE", reply), self._endpos("STREAM FILE", reply))

    async def control_stream_file(
        self,
        filename: str,
        escape_digits: str = "",
        skip_ms: int | None = None,
        ff_char: str | None = None,
        rew_char: str | None = None,
        pause_char: str | None = None,
        offset_ms: int | None = None,
    ) -> PlaybackResult:
        """``endpos`` is -1 when the file played to its end."""
        optional = [
            None if skip_ms is None else str(skip_ms),
            ff_char,
            rew_char,
            pause_char,
            None if offset_ms is None else str(offset_ms),
        ]
        while optional and optional[-1] is None:
            optional.pop()
        defaults = ["3000", "#", "*", "", "0"]  # Asterisk's defaults for skipped ones
        args = [filename, escape_digits] + [
            defaults[i] if value is None else value for i, value in enumerate(optional)
        ]
        reply = await self.command("CONTROL STREAM FILE", *args)
        return PlaybackResult(
            self._digit("CONTROL STREAM FILE", reply), self._endpos("CONTROL STREAM FILE", reply)
        )

    async def get_option(
        self, filename: str, escape_digits: str = "", timeout_ms: int | None = None
    ) -> PlaybackResult:
        args = (filename, escape_digits) + (() if timeout_ms is None else (str(timeout_ms),))
        reply = await self.command(
            "GET OPTION", *args, reply_timeout=self._media_timeout(timeout_ms)
        )
        return PlaybackResult(self._digit("GET OPTION", reply), self._endpos("GET OPTION", reply))

    async def get_data(
        self, filename: str, timeout_ms: int | None = None, max_digits: int | None = None
    ) -> DigitsResult:
        """Play ``filename`` and collect digits (ended by #, max_digits or the timeout)."""
        args = [filename]
        if timeout_ms is not None or max_digits is not None:
            args.append(str(timeout_ms if timeout_ms is not None else 0))
        if max_digits is not None:
            args.append(str(max_digits))
        reply = await self.command("GET DATA", *args, reply_timeout=self._media_timeout(timeout_ms))
        digits = reply.result or ""
        if digits == "-1":
            raise AgiHangup("GET DATA: result=-1 (channel hung up or command failed)")
        return DigitsResult(digits, reply.data == "timeout")

    async def wait_for_digit(self, timeout_ms: int = -1) -> str | None:
        """The digit pressed, None on timeout (-1 waits for ever)."""
        reply = await self.command(
            "WAIT FOR DIGIT", str(timeout_ms), reply_timeout=self._media_timeout(timeout_ms)
        )
        return self._digit("WAIT FOR DIGIT", reply)

    async def receive_char(self, timeout_ms: int = 0) -> str | None:
        reply = await self.command(
            "RECEIVE CHAR", str(timeout_ms), reply_timeout=self._media_timeout(timeout_ms)
        )
        return self._digit("RECEIVE CHAR", reply)

    async def receive_text(self, timeout_ms: int = 0) -> str | None:
        reply = await self.command(
            "RECEIVE TEXT", str(timeout_ms), reply_timeout=self._media_timeout(timeout_ms)
        )
        result = self._int("RECEIVE TEXT", reply)
        if result == -1:
            raise AgiHangup("RECEIVE TEXT: result=-1 (channel hung up or command failed)")
        return reply.data if result == 1 else None

    async def record_file(
        self,
        filename: str,
        format: str,
        escape_digits: str = "#",
        timeout_ms: int = -1,
        offset_samples: int | None = None,
        beep: bool = False,
        silence_s: int | None = None,
    ) -> RecordResult:
        args = [filename, format, escape_digits, str(timeout_ms)]
        if offset_samples is not None:
            args.append(str(offset_samples))
        if beep:
            args.append("BEEP")
        if silence_s is not None:
            args.append(f"s={silence_s}")
        reply = await self.command(
            "RECORD FILE", *args, reply_timeout=self._media_timeout(timeout_ms)
        )
        result = self._int("RECORD FILE", reply)
        reason = reply.data or ""
        if reason == "hangup" or (result == -1 and reason in ("", "waitfor")):
            raise AgiHangup(f"RECORD FILE: {reply.lines[0]}")
        if reason in ("randomerror", "writefile") or result < 0:
            raise AgiCommandError(f"RECORD FILE: {reply.lines[0]}", command="RECORD FILE")
        digit = chr(result) if reason == "dtmf" and result > 0 else None
        return RecordResult(reason, digit, self._endpos("RECORD FILE", reply))

    async def send_image(self, image: str) -> bool:
        """True if sent (False: the channel does not support images)."""
        return self._int("SEND IMAGE", await self.command("SEND IMAGE", image)) == 0

    async def send_text(self, text: str) -> bool:
        return self._int("SEND TEXT", await self.command("SEND TEXT", text)) == 0

    # ------------------------------------------------------------------ say

    async def _say(self, verb: str, *args: str) -> str | None:
        return self._digit(verb, await self.command(verb, *args))

    async def say_alpha(self, text: str, escape_digits: str = "") -> str | None:
        return await self._say("SAY ALPHA", text, escape_digits)

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        return await self._say("SAY DIGITS", digits, escape_digits)

    async def say_number(
        self, number: int, escape_digits: str = "", gender: str | None = None
    ) -> str | None:
        args = (str(number), escape_digits) + (() if gender is None else (gender,))
        return await self._say("SAY NUMBER", *args)

    async def say_phonetic(self, text: str, escape_digits: str = "") -> str | None:
        return await self._say("SAY PHONETIC", text, escape_digits)

    async def say_date(self, epoch: int, escape_digits: str = "") -> str | None:
        return await self._say("SAY DATE", str(epoch), escape_digits)

    async def say_time(self, epoch: int, escape_digits: str = "") -> str | None:
        return await self._say("SAY TIME", str(epoch), escape_digits)

    async def say_datetime(
        self,
        epoch: int,
        escape_digits: str = "",
        format: str | None = None,
        timezone: str | None = None,
    ) -> str | None:
        args = [str(epoch), escape_digits]
        if format is not None or timezone is not None:
            args.append(format or "ABdY 'digits/at' IMp")
        if timezone is not None:
            args.append(timezone)
        return await self._say("SAY DATETIME", *args)

    # ------------------------------------------------------------------ speech

    async def _speech(self, verb: str, *args: str) -> bool:
        return self._int(verb, await self.command(verb, *args)) == 1

    async def speech_create(self, engine: str) -> bool:
        return await self._speech("SPEECH CREATE", engine)

    async def speech_destroy(self) -> bool:
        return await self._speech("SPEECH DESTROY")

    async def speech_set(self, name: str, value: str) -> bool:
        return await self._speech("SPEECH SET", name, value)

    async def speech_load_grammar(self, name: str, path: str) -> bool:
        return await self._speech("SPEECH LOAD GRAMMAR", name, path)

    async def speech_unload_grammar(self, name: str) -> bool:
        return await self._speech("SPEECH UNLOAD GRAMMAR", name)

    async def speech_activate_grammar(self, name: str) -> bool:
        return await self._speech("SPEECH ACTIVATE GRAMMAR", name)

    async def speech_deactivate_grammar(self, name: str) -> bool:
        return await self._speech("SPEECH DEACTIVATE GRAMMAR", name)

    async def speech_recognize(
        self, prompt: str, timeout_ms: int, offset: int | None = None
    ) -> SpeechResult:
        args = (prompt, str(timeout_ms)) + (() if offset is None else (str(offset),))
        reply = await self.command(
            "SPEECH RECOGNIZE", *args, reply_timeout=self._media_timeout(timeout_ms)
        )
        if self._int("SPEECH RECOGNIZE", reply) != 1:
            raise AgiCommandError(f"SPEECH RECOGNIZE: {reply.lines[0]}", command="SPEECH RECOGNIZE")
        reason = reply.data or ""
        if reason == "hangup":
            self.handle(HANGUP)
            raise AgiHangup("SPEECH RECOGNIZE: the channel hung up")
        extra = reply.extra
        digit = extra.get("digit") or None
        endpos = int(extra["endpos"]) if extra.get("endpos", "").lstrip("-").isdigit() else None
        results = []
        count = int(extra.get("results", "0")) if extra.get("results", "").isdigit() else 0
        for i in range(count):
            score = extra.get(f"score{i}", "0")
            results.append(
                (
                    int(score) if score.lstrip("-").isdigit() else 0,
                    extra.get(f"text{i}", ""),
                    extra.get(f"grammar{i}", ""),
                )
            )
        return SpeechResult(reason, digit, endpos, tuple(results), extra)
