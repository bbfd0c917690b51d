"""Process management shared by the real-server fixtures (redis-server, slapd).

``ServerProcess`` starts a server, waits until it answers, pauses it (SIGSTOP:
the kernel still accepts connections, nothing answers), resumes it and ends it
(SIGTERM as an admin would, or SIGKILL).  ``ManagedServer`` is the base of a
fixture's server class: ``stop``/``kill``/``pause``/``resume``/``running`` and
``with server:`` on its ``ServerProcess``; the subclass writes ``start`` (its
arguments and ``ready`` probe).  ``free_port`` finds a port on 127.0.0.1 for it.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port on 127.0.0.1 that nothing uses right now (TCP, or UDP with SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """One child server process, or none (before ``start`` and after ``end``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.popen: subprocess.Popen[bytes] | None = None
        self.paused = False

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(
        self,
        args: Sequence[str],
        ready: Callable[[], bool],
        *,
        timeout: float,
        interval: float = 0.01,
        log: Path | None = None,
        stderr_file: Path | None = None,
        new_session: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Run ``args`` (``env``: its environment) and wait until ``ready()``; RuntimeError
        if it exits or is too slow.

        stderr goes to ``stderr_file`` if given, else nowhere if ``log`` is given, else
        to a pipe.  The reason of an early exit is the tail of ``log`` if given, else of
        stderr.  ``new_session``: the server does not get the terminal's signals.  A
        server that is not ready in time is killed.
        """
        if self.running:
            return
        with contextlib.ExitStack() as files:
            if stderr_file is not None:
                stderr: Any = files.enter_context(stderr_file.open("wb"))
            else:
                stderr = subprocess.DEVNULL if log is not None else subprocess.PIPE
            popen = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=new_session,
                env=env,
            )
        log = log or stderr_file
        self.popen = popen
        self.paused = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if popen.poll() is not None:
                detail = _tail(log) if log is not None else _stderr_tail(popen)
                self.end(signal.SIGKILL)
                raise RuntimeError(f"{self.name} exited with {popen.returncode}: {detail}")
            if ready():
                return
            time.sleep(interval)
        self.end(signal.SIGKILL)
        raise RuntimeError(f"{self.name} did not answer within {timeout:g}s")

    def end(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Send ``sig`` (a paused server is resumed first) and wait for the exit."""
        popen = self.popen
        if popen is None:
            return
        if popen.poll() is None:
            if self.paused and sig != signal.SIGKILL:
                os.kill(popen.pid, signal.SIGCONT)
            popen.send_signal(sig)
            try:
                popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(timeout=10)
        if popen.stderr is not None:
            popen.stderr.close()
        self.popen = None
        self.paused = False

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections, nothing answers (a hung server)."""
        if self.popen is not None and self.running:
            os.kill(self.popen.pid, signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        """SIGCONT a paused server."""
        if self.popen is not None and self.paused:
            os.kill(self.popen.pid, signal.SIGCONT)
            self.paused = False


class ManagedServer:
    """A test server on one ``ServerProcess``; subclasses set ``_process`` and ``start``."""

    _process: ServerProcess

    def start(self) -> None:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._process.running

    def stop(self) -> None:
        """Stop the server as an admin would (SIGTERM) and wait for it to exit."""
        self._process.end(signal.SIGTERM)

    def kill(self) -> None:
        """Kill the server (SIGKILL): no shutdown, no save."""
        self._process.end(signal.SIGKILL)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted, nothing answers."""
        self._process.pause()

    def resume(self) -> None:
        """Thaw a paused server (SIGCONT)."""
        self._process.resume()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _tail(log: Path) -> str:
    with contextlib.suppress(OSError):
        return " | ".join(log.read_text(errors="replace").splitlines()[-5:])
    return "(no log)"


def _stderr_tail(popen: subprocess.Popen[bytes]) -> str:
    return popen.stderr.read().decode(errors="replace")[-2000:] if popen.stderr else ""


def accepts(port: int, host: str = "127.0.0.1") -> bool:
    """True if something accepts TCP connections on host:port now."""
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def raise_file_limit(wanted: int) -> None:
    """Raise this process's soft RLIMIT_NOFILE to ``wanted`` (tests holding many sockets);
    pytest.fail when the hard limit is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.fail(f"this test needs a file limit of {wanted}; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
