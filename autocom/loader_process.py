"""Reloads in a process of their own: the server's calls never share a core, nor
the GIL, with reading 100,000 rule lines.

``python -m autocom.loader_process`` is started by the server (:class:`LoaderProcess`)
when it starts, or at the first reload that runs there (``reload_in``,
``ConfigHolder.start_loader``, docs/architecture.md "Reloads").
It reads the files with :func:`autocom.loader.load_config`, keeping what the last
load read from files that did not change, exactly as a reload in the server does,
then sends the config through :mod:`autocom.transfer`: only what this load made
anew, a batch at a time, which the server rebuilds between two calls.

The pipes carry frames: four bytes of length, then a pickle of a tuple.

server -> loader: ``("start", autocom.yaml, the features' classes)`` once, then
``("load",)`` per reload, ``("stop",)``.

loader -> server, per load: ``("log", level, logger, message)`` (the loader's log
lines, written by the server's logging), then ``("batch", first key, bytes)``...
``("loaded", root key)``, then ``("dead", keys)``... (what the last config held
and this one does not) and ``("settled",)``; or ``("refused", issues)`` (the
config is wrong: the last good one keeps serving); or ``("broken", why)`` (the
loader cannot go on: the server reloads in a thread, and starts a new loader at
the next reload).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import pickle
import struct
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Final

from autocom.config.errors import ConfigError
from autocom.feature import Feature
from autocom.loader import Config, load_config
from autocom.release import Pacer
from autocom.tasks import cancel_and_wait
from autocom.transfer import Key, Receiver, Sender, TransferError

log = logging.getLogger("autocom.reload")

_LENGTH: Final = struct.Struct(">I")
STOP_WAIT: Final = 2.0
NICENESS: Final = 10
DEAD_PER_FRAME: Final = 4096  # a frame read at once: its list made in one go


class LoaderBroken(Exception):
    """The loader process is gone or said something it should not have."""


def _frame(message: tuple[Any, ...]) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def fixed_objects(features: Sequence[Feature]) -> dict[Key, object]:
    """What each side has of its own and never sends: the features (their hooks
    and their state are the server's), by name."""
    return {f"feature:{f.name}": f for f in features}


# --- the loader process -------------------------------------------------------------


class _Pipe:
    """The loader's end: frames read from stdin, written to what was stdout (fd 1
    then points at stderr, so a stray print cannot break a frame)."""

    def __init__(self) -> None:
        self._in = sys.stdin.buffer
        self._out: IO[bytes] = os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)

    def read(self) -> tuple[Any, ...] | None:
        head = self._in.read(_LENGTH.size)
        if len(head) < _LENGTH.size:
            return None  # the server is gone
        message: tuple[Any, ...] = pickle.loads(self._in.read(_LENGTH.unpack(head)[0]))
        return message

    def write(self, message: tuple[Any, ...]) -> None:
        self._out.write(_frame(message))

    def flush(self) -> None:
        self._out.flush()


class _Forward(logging.Handler):
    """The loader's log records, sent to the server that writes them."""

    def __init__(self, pipe: _Pipe) -> None:
        super().__init__()
        self._pipe = pipe

    def emit(self, record: logging.LogRecord) -> None:
        self._pipe.write(("log", record.levelno, record.name, record.getMessage()))


def main() -> int:
    """The loader process: loads when asked until the server says stop or is gone."""
    pipe = _Pipe()
    os.nice(NICENESS)  # a core shared with the server: the calls come first
    logging.basicConfig(level=logging.INFO, handlers=[_Forward(pipe)], force=True)
    hello = pipe.read()
    if hello is None or hello[0] != "start":
        return 2
    try:
        features = [_feature(module, name) for module, name in hello[2]]
    except Exception:  # the server's features do not import here: it reloads in a thread
        pipe.write(("broken", traceback.format_exc()))
        pipe.flush()
        return 1
    path = Path(hello[1])
    sender = Sender(fixed_objects(features))
    current: Config | None = None
    while (request := pipe.read()) is not None and request[0] == "load":
        try:
            new = load_config(path, features, previous=current)
        except ConfigError as exc:
            pipe.write(("refused", exc.issues))
            pipe.flush()
            continue
        except Exception:  # a bug: the server says so and reloads in a thread
            pipe.write(("broken", traceback.format_exc()))
            pipe.flush()
            return 1
        try:
            for first, data in sender.send(new):
                pipe.write(("batch", first, data))
        except TransferError as exc:
            pipe.write(("broken", str(exc)))
            pipe.flush()
            return 1
        pipe.write(("loaded", sender.key(new)))
        pipe.flush()
        current = new  # the last config let go of: what it alone held is dead
        del new
        dead = sender.dead()
        for start in range(0, len(dead), DEAD_PER_FRAME):
            pipe.write(("dead", dead[start : start + DEAD_PER_FRAME]))
        pipe.write(("settled",))
        pipe.flush()
    return 0


def _feature(module: str, name: str) -> Feature:
    """A feature of the loader's own, of the server's feature's class: made as the
    server made its (``cls()``, autocom/features.py), without its running state."""
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    feature = found()
    if not isinstance(feature, Feature):
        raise TypeError(f"{module}:{name} is no Feature")
    return feature


# --- the server's side ----------------------------------------------------------------


def this_core() -> int | None:
    """The core the calling thread runs on now (None: not known here)."""
    try:
        with open("/proc/thread-self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return int(fields[36])  # field 39, "processor"; the first two are before ")"
    except (OSError, IndexError, ValueError):
        return None


@contextmanager
def cores_apart(pid: int) -> Iterator[bool]:
    """While a reload runs: process ``pid`` on every core the server may use but the
    one the event loop runs on now, and the event loop's thread kept on that core
    (then free again); False when there is no other core (or it cannot be said).

    Linux puts a process woken through a pipe on the waker's core, the cache still
    warm: the loader on the server's when the server asks for a load, the server on
    the loader's when a batch comes.  Their turns on one core then sweep the calls'
    data out of its caches, and the server wakes on a core where that data never
    was: decisions while a reload of unchanged files ran were 2x their idle time
    (bench/time_rules_bench.py)."""
    here = this_core()
    mine = os.sched_getaffinity(0)
    others = mine - {here}
    if here is None or not others:
        yield False
        return
    try:
        os.sched_setaffinity(pid, others)
        os.sched_setaffinity(0, {here})  # this thread only
    except OSError:  # the loader ended: reading from it says so
        yield False
        return
    try:
        yield True
    finally:
        os.sched_setaffinity(0, mine)


class LoaderProcess:
    """A loader process of the server, and every object it sent that a config holds."""

    def __init__(self, process: asyncio.subprocess.Process, receiver: Receiver) -> None:
        self._process = process
        self._receiver = receiver
        self._last: int | None = None  # the key of the last config sent
        assert process.stdin is not None and process.stdout is not None
        self._stdin = process.stdin
        self._stdout = process.stdout

    @classmethod
    async def start(cls, path: Path, features: Sequence[Feature]) -> LoaderProcess:
        classes = [(type(f).__module__, type(f).__qualname__) for f in features]
        local = [f"{module}:{name}" for module, name in classes if "<locals>" in name]
        if local:
            raise LoaderBroken(f"the features cannot be sent to a process: {', '.join(local)}")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "autocom.loader_process",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            raise LoaderBroken(f"cannot start {sys.executable}: {exc}") from exc
        loader = cls(process, Receiver(fixed_objects(features)))
        await loader._send(("start", str(path), classes))
        return loader

    @property
    def pid(self) -> int:
        return self._process.pid

    async def load(self) -> Config:
        """The config as it is on disk now, rebuilt here a batch at a time (the calls
        get the loop in between: :class:`autocom.release.Pacer`).  ConfigError when
        it is refused."""
        await self._send(("load",))
        pacer = Pacer()
        while True:
            message = await self._read()
            kind = message[0]
            if kind == "batch":
                self._take(message[1], message[2])
                await pacer.step()
            elif kind == "loaded":
                config = self._receiver.find(message[1])
                if not isinstance(config, Config):
                    raise LoaderBroken(f"the loader sent a {type(config).__name__}")
                self._last = message[1]
                return config
            elif kind == "refused":
                raise ConfigError(message[1])
            else:
                self._other(message)

    def sent(self, config: Config) -> bool:
        """Whether ``config`` is the last config this process sent (its objects are
        held here by key until they are dropped)."""
        return self._last is not None and self._receiver.find(self._last) is config

    async def settle(self) -> list[int]:
        """After a load: the keys of what the config it replaced held and the new one
        does not, for :meth:`drop` once that config is let go of."""
        keys: list[int] = []
        while (message := await self._read())[0] != "settled":
            if message[0] == "dead":
                keys += message[1]
            else:
                self._other(message)
        return keys

    async def drop(self, keys: list[int]) -> None:
        """Stop holding ``keys``, in the sender's order (parents first), the calls
        served every :data:`autocom.release.PACE` seconds: once nothing else holds the config they
        were part of, each drop frees one object."""
        pacer = Pacer()
        for start in range(0, len(keys), 64):
            self._receiver.drop(keys[start : start + 64])
            await pacer.step()

    async def close(self) -> None:
        """Stop the loader (killed if it does not stop within :data:`STOP_WAIT`).

        What it still writes meanwhile is read and dropped: a loader stopped in the
        middle of a load (a reload or the loader's start, cancelled as the server
        stops) would block on its full pipe instead of reading ``stop``, and a pipe
        left unread keeps ``wait()`` from returning even once the loader is killed."""
        if self._process.returncode is not None:
            return
        drain = asyncio.create_task(self._drain(), name="autocom-loader-drain")
        try:
            await self._send(("stop",))
            await asyncio.wait_for(self._process.wait(), STOP_WAIT)
        except (LoaderBroken, TimeoutError):
            self._process.kill()
            await self._process.wait()
        finally:
            await cancel_and_wait(drain)  # the pipe's end came with the loader's

    async def _drain(self) -> None:
        while await self._stdout.read(65536):
            pass

    def _take(self, first: int, data: bytes) -> None:
        try:
            self._receiver.take(first, data)
            return
        except TransferError as exc:
            why = str(exc)
        raise LoaderBroken(why)  # outside the except: see _send

    def _other(self, message: tuple[Any, ...]) -> None:
        if message[0] == "log":
            logging.getLogger(message[2]).log(message[1], "loader process: %s", message[3])
        elif message[0] == "broken":
            raise LoaderBroken(message[1])
        else:
            raise LoaderBroken(f"the loader sent {message[0]!r} out of turn")

    # Each failure is raised outside its ``except``: an exception kept in the frame
    # its traceback holds is a cycle, and this object's table with it, kept until a
    # collection (none runs while a config is let go of).

    async def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self._stdin.write(_frame(message))
            await self._stdin.drain()
            return
        except (ConnectionError, RuntimeError) as exc:
            why = f"the loader process is gone: {exc}"
        raise LoaderBroken(why)

    async def _read(self) -> tuple[Any, ...]:
        try:
            head = await self._stdout.readexactly(_LENGTH.size)
            data = await self._stdout.readexactly(_LENGTH.unpack(head)[0])
        except asyncio.IncompleteReadError:
            data = None
        if data is None:
            code = await self._process.wait()
            raise LoaderBroken(f"the loader process ended (exit status {code})")
        try:
            message = pickle.loads(data)
        except Exception as exc:  # garbage on the pipe
            message = f"what is no frame: {exc!r}"
        if not isinstance(message, tuple) or not message:
            raise LoaderBroken(f"the loader sent {str(message)[:200]}, not a message")
        return message


if __name__ == "__main__":
    raise SystemExit(main())
