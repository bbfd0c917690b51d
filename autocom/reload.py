"""Hot reload: the config is swapped whole; a bad edit keeps the last good one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from autocom.config.errors import ConfigError, ConfigIssue
from autocom.config.files_seen import FileStamp, file_stamp
from autocom.feature import Feature
from autocom.loader import LARGE_CONFIG_BYTES, Config, collector_paused, load_config
from autocom.loader_process import LoaderBroken, LoaderProcess, cores_apart
from autocom.release import let_go, unheld
from autocom.tasks import cancel_and_wait

log = logging.getLogger("autocom.reload")


_Stamp = tuple[tuple[str, FileStamp | None], ...]


def _stamp(files: Sequence[Path]) -> _Stamp:
    """Each file's stat (None: gone): any write or replacement changes it."""
    return tuple((str(f), file_stamp(f)) for f in files)


def same_features(old: Config, new: Config) -> None:
    """A reload keeps the features that run: starting or stopping one (its hooks, its
    HTTP routes, its background tasks) is a restart."""
    before, after = set(old.feature_names), set(new.feature_names)
    if before == after:
        return
    change = [f"+{n}" for n in sorted(after - before)] + [f"-{n}" for n in sorted(before - after)]
    raise ConfigError(
        [
            ConfigIssue(
                str(new.path),
                new.settings.source.line if new.settings.source else None,
                f"rules: the features that run changed ({', '.join(change)}); a reload "
                "cannot start or stop a feature",
                "restart autocom to apply it (systemctl restart autocom), or put rules: back",
            )
        ]
    )


class ConfigHolder:
    """Holds the current Config; ``current`` is read once per call by the hooks."""

    def __init__(
        self,
        config: Config,
        features: Sequence[Feature],
        loader: Callable[[Path, Sequence[Feature]], Config] | None = None,
    ) -> None:
        """``loader``: how to load again (default: ``load_config``, keeping what the
        current config loaded from files whose bytes did not change)."""
        self.current = config
        self._features = features
        self._loader = loader
        self._stamp = _stamp(config.watched)
        self.last_error: ConfigError | None = None
        self.reloads = 0
        self.failed_reloads = 0
        # called with each config a reload swaps in (the history records it)
        self.on_applied: Callable[[Config], None] | None = None
        self._lock = asyncio.Lock()  # one reload at a time
        self._process: LoaderProcess | None = None
        self._letting_go: set[asyncio.Task[None]] = set()

    async def refresh(self) -> bool:
        """Load again from disk, as the server does (a file changed, SIGHUP, a site
        sync); True if the new config was swapped in.  One at a time.

        In the loader process when ``reload_in`` says so (:mod:`autocom.loader_process`:
        the calls never wait for the load, only for a batch of its objects to be
        rebuilt); else, or when the process fails, in a thread.  The replaced config
        is let go of in the event loop, an object at a time."""
        return await self._reload(start=False)

    async def start_loader(self) -> None:
        """Start the loader process now, when reloads run there (``reload_in``): it
        loads the files and sends the whole config, the work the first reload would
        otherwise do (1.6 s for 100,000 rule lines); then every reload sends only what
        changed.  Its config replaces the one loaded at start: when its digest is that
        one's (the same files), the swap is no reload (not counted, logged or
        recorded); files changed since make it one.  If the loader fails, the first
        reload starts another."""
        if self._process is None and self._in_process():
            await self._reload(start=True)

    async def _reload(self, start: bool) -> bool:
        async with self._lock:
            if start and self._process is not None:
                return False  # a reload started it meanwhile
            stamp = _stamp(self.current.watched)
            by = self._process  # the loader that sent the config now, if one did
            sent = by is not None and by.sent(self.current)
            try:
                new, process = await self._load_somewhere(fallback=not start)
            except ConfigError as exc:
                return self._refused(stamp, exc)
            if new is None:
                return False
            same = start and new.digest == self.current.digest
            retired = self._swap(new, quiet=same)
            dead = await self._settle(process) if process is not None else []
        # in the background: neither this reload nor the next waits for the calls
        # that still hold the replaced config
        held_there = sent and process is by  # its objects are the loader's, by key
        task = asyncio.create_task(
            self._let_go(retired, process, dead, held_there), name="autocom-config-let-go"
        )
        self._letting_go.add(task)
        task.add_done_callback(self._letting_go.discard)
        return True

    async def settled(self) -> None:
        """Until the configs reloads replaced are let go of."""
        await asyncio.gather(*self._letting_go)

    async def _let_go(
        self,
        retired: list[Config],
        process: LoaderProcess | None,
        dead: list[int],
        held_there: bool,
    ) -> None:
        """Once no call holds ``retired``'s config: if ``process`` holds its objects
        by key, dropping the ``dead`` ones, parents first, frees them one at a time;
        else what only it holds is listed and let go of (:func:`let_go`)."""
        await unheld(retired, 1 if held_there else 0)  # 1: the loader's table
        with collector_paused(True, freeze=False):  # it would walk what is let go of
            if held_there:
                retired.clear()  # the loader's table holds it still: nothing freed yet
            if process is not None:
                await process.drop(dead)
            if retired:
                await let_go(retired)

    async def close(self) -> None:
        """Stop the loader process, if one runs, and letting go of replaced configs
        (what is left of them is freed at once)."""
        await cancel_and_wait(*self._letting_go)
        async with self._lock:
            await self._stop_process()

    def _in_process(self) -> bool:
        where = self.current.settings.reload_in
        if where == "auto":
            large = sum(st.size for _, st in _stamp(self.current.files) if st) > LARGE_CONFIG_BYTES
            where = "process" if large else "thread"
        return where == "process" and self._loader is None

    def _load(self) -> Config:
        if self._loader is None:
            new = load_config(self.current.path, self._features, previous=self.current)
        else:
            new = self._loader(self.current.path, self._features)
        same_features(self.current, new)
        return new

    async def _load_somewhere(self, fallback: bool) -> tuple[Config | None, LoaderProcess | None]:
        """The new config, and the loader process that sent it (None: a thread);
        (None, None) when the loader failed and ``fallback`` is off."""
        if self._in_process():
            try:
                return await self._load_in_process()
            except LoaderBroken as exc:
                if not fallback:
                    await self._broken(exc, "the first reload starts another")
                    return None, None
                await self._broken(exc, "this reload runs in a thread")
        return await asyncio.to_thread(self._load), None

    async def _load_in_process(self) -> tuple[Config, LoaderProcess]:
        if self._process is None:
            self._process = await LoaderProcess.start(self.current.path, self._features)
            log.info("loader process %d started", self._process.pid)
        process = self._process
        # rebuilding allocates a collection's worth a batch
        with collector_paused(True), cores_apart(process.pid):
            new = await process.load()
        try:
            same_features(self.current, new)
        except ConfigError:  # the loader took it as its last: keep in step
            await process.drop(await self._settle(process))
            raise
        return new, process

    async def _settle(self, process: LoaderProcess) -> list[int]:
        try:
            with cores_apart(process.pid):
                return await process.settle()
        except LoaderBroken as exc:  # the config is in: only the next reload starts anew
            await self._broken(exc, "the next reload starts another")
            return []

    async def _broken(self, exc: LoaderBroken, then: str) -> None:
        # its text: the exception would keep the loader (its table) in a kept record
        log.warning("the loader process failed, %s: %s", then, str(exc))
        await self._stop_process()

    async def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            await process.close()

    def _refused(self, stamp: _Stamp, exc: ConfigError) -> bool:
        self._stamp = stamp
        self.last_error = exc
        self.failed_reloads += 1
        log.error(
            "reload refused, the last good config keeps serving:\n%s",
            "\n".join(str(i) for i in exc.issues),
        )
        return False

    def _swap(self, new: Config, quiet: bool = False) -> list[Config]:
        """``new`` in; the config it replaced, in a list for the caller to let go of.
        ``quiet``: the same files loaded again (the loader's first load), no reload."""
        retired = [self.current]
        self.current = new
        self._stamp = _stamp(new.watched)
        if quiet:
            return retired
        self.last_error = None
        self.reloads += 1
        log.info("config reloaded from %s", new.path)
        if self.on_applied is not None:
            self.on_applied(new)
        return retired

    def changed(self) -> bool:
        return _stamp(self.current.watched) != self._stamp

    async def watch(self, interval: float | None = None, settle: float | None = None) -> None:
        """Reload whenever a file changes and has then stayed the same (its stat)
        for ``settle`` seconds: an editor's truncate-then-write or a copy in
        progress is never read half-way.  Runs until cancelled."""
        while True:
            await asyncio.sleep(interval or self.current.settings.reload_interval)
            if not self.changed():
                continue
            seen = _stamp(self.current.watched)
            await asyncio.sleep(self.current.settings.reload_settle if settle is None else settle)
            if _stamp(self.current.watched) == seen:
                await self.refresh()
            # else: still being written; the next round looks again
