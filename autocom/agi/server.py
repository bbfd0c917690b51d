"""The FastAGI server: a thin asyncio Protocol around the sans-IO parsers.

One ``_Connection`` per TCP connection reads the environment block in callbacks
(no task, no coroutine: a bare connect-and-close costs two callbacks and never
blocks the loop), then runs the routed handler in one task with an
``AgiSession`` in push mode: the connection hands it the bytes it receives and
writes the commands it sends.  All timeouts (environment, replies) share one
``Deadlines`` sweep: no timer per read.

What Asterisk sees:
- the handler returned: the server closes, AGISTATUS=SUCCESS (HANGUP if hung up);
- unknown script, handler raised, timeout, too many sessions, a session still
  running when the shutdown grace period ends: the server writes a line starting
  with ``FAILURE`` and closes, AGISTATUS=FAILURE, and the dialplan goes on at its
  next priority (the documented safe path).

Shutdown (``close``) drains: the listener closes (a new connection is refused, and
Asterisk's ``hagi://`` moves to its next SRV record), but every connection the
kernel already accepted is served: the ones still in the listen backlog are taken
first, and the ones still sending their environment get their session.  Only what
is left when ``grace_period`` ends is cancelled.

One JSON log line per session on the logger ``autocom.agi.session``: script,
uniqueid, channel, duration_ms, commands, outcome.  Outcomes: ``ok``, ``hangup``,
``failure:unknown_script``, ``failure:<ExceptionType>``, ``timeout``,
``protocol_error``, ``closed`` (the peer closed early), ``not_configured`` (the
script of a feature autocom.yaml does not name: nothing done, no FAILURE),
``overload`` (refused at the session cap or the peer's cap), ``cancelled``
(shutdown grace period over).

Two guards keep one peer from taking every slot: at most ``max_sessions_per_peer``
sessions per peer address (more are refused with ``FAILURE`` at once), and until
the peer sends anything after its environment, a command's reply must come within
``first_reply_timeout`` (a peer that sends its environment and then nothing is
dropped after that, not after the ``reply_timeout`` meant for playbacks); a
command with a wait of its own (GET DATA, WAIT FOR DIGIT...) keeps its wait.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from typing import NamedTuple, cast

from autocom.agi.deadlines import Deadlines
from autocom.agi.errors import (
    AgiConnectionClosed,
    AgiDeclined,
    AgiError,
    AgiHangup,
    AgiProtocolError,
    AgiTimeout,
)
from autocom.agi.plan import Planned
from autocom.agi.protocol import AgiEnvironment, EnvironmentParser
from autocom.agi.router import AgiHandler, AgiRouter
from autocom.agi.session import AgiSession, WriterLike
from autocom.logs import Event, log_event

__all__ = ["FastAgiServer", "SessionReport", "new_event_loop"]

log = logging.getLogger("autocom.agi.server")
session_log = logging.getLogger("autocom.agi.session")

_FAILURE = b"FAILURE\n"
_NORMAL = frozenset({"ok", "hangup", "not_configured"})  # logged at INFO, the others WARNING


class _Cancelled(AgiError):
    """A plan stopped at the end of the shutdown grace period."""


class SessionReport(NamedTuple):
    """What one FastAGI connection did (passed to ``on_session_end``; a named tuple,
    cheaper to build than a frozen dataclass)."""

    script: str
    uniqueid: str
    channel: str
    duration: float  # seconds, connection accepted -> closed
    commands: int
    outcome: str

    def event(self) -> Event:
        """The session's log line."""
        return Event(_session_line(self))


def _session_line(report: SessionReport) -> dict[str, object]:
    """The fields of a session's log line, in their order."""
    script, uniqueid, channel, duration, commands, outcome = report
    return {
        "script": script,
        "uniqueid": uniqueid,
        "channel": channel,
        "duration_ms": _round_ms(duration * 1000.0),
        "commands": commands,
        "outcome": outcome,
    }


def _round_ms(ms: float) -> float:
    """``round(ms, 3)``, without its decimal conversion when the result is sure.

    round() gives the float nearest to n/1000, n the integer nearest to the exact
    ms * 1000 (ties to even).  Below 1e11 the product's float is within 2**-16 of
    the exact one, so when it is more than 0.0001 away from a tie its nearest
    integer is n, and ``n / 1000`` (correctly rounded) is round()'s result.  Zero,
    negatives (-0.0), ties, NaN and the infinities take round() itself."""
    product = ms * 1000.0
    if 0.0 < product < 1e11:
        n = round(product)
        if abs(product - n) < 0.4999:
            return n / 1000
    return round(ms, 3)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when it is installed (about half the CPU per session), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


class FastAgiServer:
    """Serve FastAGI on ``host:port``, routing each call by its script name."""

    def __init__(
        self,
        router: AgiRouter,
        host: str = "127.0.0.1",
        port: int = 4573,
        max_sessions: int = 1000,
        env_timeout: float = 5.0,
        reply_timeout: float = 60.0,
        grace_period: float = 30.0,
        on_session_end: Callable[[SessionReport], None] | None = None,
        *,
        max_sessions_per_peer: int | None = None,
        first_reply_timeout: float | None = None,
    ) -> None:
        self.router = router
        self.host = host
        self._port = port
        self.max_sessions = max_sessions
        self.env_timeout = env_timeout
        self.reply_timeout = reply_timeout
        # None: no cap of its own / the same wait as any reply
        self.max_sessions_per_peer = max_sessions_per_peer or max_sessions
        self.first_reply_timeout = min(first_reply_timeout or reply_timeout, reply_timeout)
        self.grace_period = grace_period
        self.on_session_end = on_session_end
        self.active_sessions = 0
        self.peer_sessions: dict[str, int] = {}  # peer address -> sessions open
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deadlines: Deadlines | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._plans: set[_Connection] = set()  # running a Planned handler (no task)
        self._waiting_env: set[_Connection] = set()
        self._idle: asyncio.Event | None = None  # set when the last session ends, on close

    @property
    def port(self) -> int:
        """The bound port (the real one when constructed with port=0)."""
        return self._port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        # Timeouts fire at most a quarter of the shortest timeout late (1 s at most).
        tick = max(0.005, min(1.0, self.env_timeout / 4, self.first_reply_timeout / 4))
        self._deadlines = Deadlines(loop, tick)
        self._server = await loop.create_server(
            lambda: _Connection(self, loop), self.host, self._port, backlog=1024
        )
        sockets = self._server.sockets
        if sockets:
            self._port = sockets[0].getsockname()[1]
        log.info("FastAGI listening on %s:%s", self.host, self._port)

    async def close(self) -> None:
        """Stop accepting; let sessions finish for ``grace_period`` s, then cancel them."""
        loop = self._loop
        if self._server is not None and loop is not None:
            backlog = self._take_backlog()
            self._server.close()
            for sock in backlog:  # the kernel accepted them: serve them like the others
                try:
                    await loop.connect_accepted_socket(lambda: _Connection(self, loop), sock)
                except OSError as exc:  # reset by the peer meanwhile
                    log.info("shutdown: a connection of the backlog is gone: %s", exc)
                    sock.close()
        if self.active_sessions:
            self._idle = asyncio.Event()
            try:
                async with asyncio.timeout(self.grace_period):
                    await self._idle.wait()
            except TimeoutError:
                self._cancel_the_rest()
        if self._tasks:  # ended, or cancelled: let them write their report
            await asyncio.wait(set(self._tasks))
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self._deadlines is not None:
            self._deadlines.close()

    def _take_backlog(self) -> list[socket.socket]:
        """Accept what waits in the listen backlog (connections the kernel completed,
        which closing the listener would reset): called just before it closes."""
        assert self._server is not None
        taken: list[socket.socket] = []
        for listener in self._server.sockets:
            # A duplicate of the listening socket's descriptor: accept() takes from
            # the same backlog, and closing it leaves the server's own descriptor.
            with socket.socket(fileno=os.dup(listener.fileno())) as dup:
                dup.setblocking(False)
                while True:
                    try:
                        sock, _ = dup.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except ConnectionAbortedError:  # reset while in the backlog
                        continue
                    except OSError as exc:  # e.g. out of descriptors: what is left is reset
                        log.warning("shutdown: cannot take the listen backlog: %s", exc)
                        break
                    taken.append(sock)
        return taken

    def _cancel_the_rest(self) -> None:
        """The grace period is over: end what still runs, with FAILURE."""
        pending = set(self._tasks)
        waiting = list(self._waiting_env)
        planned = list(self._plans)
        for conn in waiting:
            conn.abort_env("cancelled")
        for conn in planned:
            conn.cancel_plan()
        for task in pending:
            task.cancel()
        log.warning(
            "shutdown: %d session(s) cancelled after the grace period",
            len(pending) + len(waiting) + len(planned),
        )

    async def __aenter__(self) -> FastAgiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ internals

    def _report(self, report: SessionReport) -> None:
        outcome = report.outcome
        level = logging.INFO if outcome in _NORMAL else logging.WARNING
        if session_log.isEnabledFor(level):
            log_event(session_log, _session_line(report), level)
        callback = self.on_session_end
        if callback is not None:
            try:
                callback(report)
            except Exception:
                log.exception("on_session_end callback failed")

    def _refusal(self, peer: str) -> str | None:
        """Why a new connection from ``peer`` is refused, or None to serve it."""
        if self.active_sessions >= self.max_sessions:
            return f"{self.max_sessions} sessions running"
        if self.peer_sessions.get(peer, 0) >= self.max_sessions_per_peer:
            return f"{self.max_sessions_per_peer} sessions running for this peer"
        return None

    def _spawn(self, conn: _Connection, env: AgiEnvironment, pending: bytes) -> AgiSession:
        """The environment is complete: attach a session (push mode), run the handler:
        a ``Planned`` one from the connection's callbacks, any other in a task."""
        assert self._loop is not None
        # The session writes straight to the transport; it checks for EOF (from
        # connection_lost) before each command, so it never writes to a closed one.
        writer: WriterLike | None = conn._transport
        assert writer is not None  # set by connection_made, before any data
        session = AgiSession(
            None, writer, env, self.reply_timeout, pending=pending, deadlines=self._deadlines
        )
        # Until the peer sends its first bytes (_Connection.data_received), a command
        # waiting the default time waits first_reply_timeout at most; a command with a
        # wait of its own (GET DATA, WAIT FOR DIGIT...) keeps it.
        if not pending:
            session.first_reply_timeout = self.first_reply_timeout
        handler = self.router.match(env.script)
        if type(handler) is Planned:
            self._plans.add(conn)
            try:
                plan = handler.plan(session)
            except Exception as exc:
                conn.plan_ended(session, exc)
            else:
                session.run_plan(plan, conn.plan_ended)
            return session
        task = self._loop.create_task(self._serve(conn, session, handler))
        conn.task = task  # set before the task's first step: _serve discards it at the end
        self._tasks.add(task)
        return session

    async def _serve(
        self, conn: _Connection, session: AgiSession, handler: AgiHandler | None
    ) -> None:
        try:
            if handler is None:
                outcome, fail = self._unknown(session)
            else:
                await handler(session)
                outcome, fail = self._ended(session, None)
        except asyncio.CancelledError:
            conn.close(fail=True)
            self._finish(conn, session, "cancelled")
            self._tasks.discard(conn.task)
            raise
        except Exception as exc:
            outcome, fail = self._ended(session, exc)
        conn.close(fail=fail)
        self._finish(conn, session, outcome)
        self._tasks.discard(conn.task)

    @staticmethod
    def _unknown(session: AgiSession) -> tuple[str, bool]:
        env = session.env
        log.warning(
            "no hook for script %r (uniqueid %s, channel %s)",
            env.script,
            env.uniqueid,
            env.channel,
        )
        return "failure:unknown_script", True

    @staticmethod
    def _ended(session: AgiSession, exc: BaseException | None) -> tuple[str, bool]:
        """How a hook ended (``exc``: what it raised): (outcome, whether Asterisk gets
        FAILURE); logs what the admin should see."""
        env = session.env
        script = env.script
        if exc is None:
            return ("hangup" if session.hung_up else "ok"), False
        if isinstance(exc, AgiHangup):
            return "hangup", False
        if isinstance(exc, AgiDeclined):  # e.g. a feature not configured: not a failure
            return exc.outcome, False
        if isinstance(exc, AgiTimeout | AgiProtocolError):
            log.warning("%s (script %r, uniqueid %s)", exc, script, env.uniqueid)
            return ("timeout" if isinstance(exc, AgiTimeout) else "protocol_error"), True
        if isinstance(exc, AgiConnectionClosed):
            return "closed", False
        if isinstance(exc, AgiError):
            log.warning("hook for script %r: %s (uniqueid %s)", script, exc, env.uniqueid)
        else:
            log.error(
                "hook for script %r failed (uniqueid %s, channel %s)",
                script,
                env.uniqueid,
                env.channel,
                exc_info=exc,
            )
        return f"failure:{type(exc).__name__}", True

    def _finish(
        self,
        conn: _Connection,
        session: AgiSession,
        outcome: str,
    ) -> None:
        assert self._loop is not None
        if self.on_session_end is None and not session_log.isEnabledFor(
            logging.INFO if outcome in _NORMAL else logging.WARNING
        ):
            return  # nobody reads the report: do not build it
        self._report(
            SessionReport(
                session.env.script,
                session.env.uniqueid,
                session.env.channel,
                self._loop.time() - conn.started,
                session.commands_sent,
                outcome,
            )
        )


class _Connection(asyncio.Protocol):
    """One FastAGI connection: environment in callbacks, then the reader of a session."""

    __slots__ = (
        "_answered",
        "_closed",
        "_loop",
        "_parser",
        "_server",
        "_session",
        "_transport",
        "peer",
        "started",
        "task",
    )

    def __init__(self, server: FastAgiServer, loop: asyncio.AbstractEventLoop) -> None:
        self._server = server
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._parser: EnvironmentParser | None = None
        self._session: AgiSession | None = None
        self._closed = False
        self._answered = False  # any bytes from the peer since its session started
        self.peer = ""
        self.started = 0.0
        self.task: asyncio.Task[None] | None = None

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        server = self._server
        self.started = self._loop.time()
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        refusal = server._refusal(self.peer)
        if refusal is not None:
            self._closed = True
            self._transport.write(_FAILURE)
            self._transport.close()
            log.warning("refusing a FastAGI connection from %s: %s", self.peer, refusal)
            server._report(SessionReport("", "", "", 0.0, 0, "overload"))
            return
        server.active_sessions += 1
        server.peer_sessions[self.peer] = server.peer_sessions.get(self.peer, 0) + 1
        self._parser = EnvironmentParser()
        server._waiting_env.add(self)
        assert server._deadlines is not None
        server._deadlines.add(self, server.env_timeout)

    def data_received(self, data: bytes) -> None:
        session = self._session
        if session is not None:
            if not self._answered:  # the peer answers: every later reply gets the long wait
                self._answered = True
                session.first_reply_timeout = None
            session.data_received(data)
            return
        parser = self._parser
        if parser is None:
            return
        try:
            env = parser.feed(data)
        except AgiProtocolError as exc:
            log.warning("FastAGI environment: %s", exc)
            self.abort_env("protocol_error")
            return
        if env is not None:
            self._parser = None
            server = self._server
            server._waiting_env.discard(self)
            if server._deadlines is not None:
                server._deadlines.discard(self)
            self._session = server._spawn(self, env, parser.rest)

    def eof_received(self) -> bool | None:
        if self._session is not None:
            self._session.eof_received()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        session = self._session
        if session is not None:
            self._session = None  # no reference cycle left for the GC to find
            session.eof_received()
        if self._parser is not None:
            # Closed before the environment block was complete (a bare connect-close).
            self.abort_env("closed", write=False)
        elif not self._closed:
            self._closed = True
            self._release()

    # -- environment phase

    def expire(self) -> None:
        """The environment did not come within env_timeout (called by ``Deadlines``)."""
        parser = self._parser
        if parser is None:
            return
        state = "part of an environment block" if parser.started else "nothing"
        log.warning("FastAGI peer sent %s within %g s: closing", state, self._server.env_timeout)
        self.abort_env("timeout")

    def abort_env(self, outcome: str, write: bool = True) -> None:
        """End a connection still in its environment phase."""
        if self._parser is None:
            return
        self._parser = None
        server = self._server
        server._waiting_env.discard(self)
        if server._deadlines is not None:
            server._deadlines.discard(self)
        if not self._closed:
            self._closed = True
            self._release()
            transport = self._transport
            if transport is not None:
                if write and not transport.is_closing():
                    transport.write(_FAILURE)
                transport.close()
        server._report(SessionReport("", "", "", self._loop.time() - self.started, 0, outcome))

    # -- a Planned handler's session (no task)

    def plan_ended(self, session: AgiSession, error: BaseException | None) -> None:
        """The plan ended (``AgiSession.run_plan``'s ``done``), or its function raised."""
        server = self._server
        server._plans.discard(self)
        if isinstance(error, _Cancelled):
            outcome, fail = "cancelled", True
        else:
            outcome, fail = server._ended(session, error)
        self.close(fail=fail)
        server._finish(self, session, outcome)

    def cancel_plan(self) -> None:
        """The shutdown grace period is over: stop the plan (FAILURE, ``cancelled``)."""
        session = self._session
        if session is not None:
            session.cancel_plan(_Cancelled("cancelled: the shutdown grace period is over"))

    def _release(self) -> None:
        """Give back this connection's slot (in the server's count and its peer's)."""
        server = self._server
        server.active_sessions -= 1
        left = server.peer_sessions.get(self.peer, 1) - 1
        if left > 0:
            server.peer_sessions[self.peer] = left
        else:
            server.peer_sessions.pop(self.peer, None)
        if server.active_sessions == 0 and server._idle is not None:
            server._idle.set()

    def close(self, fail: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        session = self._session
        if session is not None:  # a command sent after this raises AgiConnectionClosed
            self._session = None
            session.eof_received()
        self._release()
        transport = self._transport
        if transport is not None and not transport.is_closing():
            if fail:
                transport.write(_FAILURE)
            transport.close()
