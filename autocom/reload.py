"""Hot reload: the config is swapped whole; a bad edit keeps the last good one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from autocom.config.errors import ConfigError, ConfigIssue
from autocom.feature import Feature
from autocom.loader import Config, collector_paused, load_config
from autocom.release import free_in_pieces

log = logging.getLogger("autocom.reload")


def _stamp(files: Sequence[Path]) -> tuple[tuple[str, float, int], ...]:
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append((str(f), st.st_mtime, st.st_size))
        except OSError:
            out.append((str(f), -1.0, -1))
    return tuple(out)


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

    def reload(self) -> bool:
        """Load again from disk; True if the new config was swapped in.

        Loading runs in the caller's thread: from the server use
        ``await asyncio.to_thread(holder.reload)`` so calls are never stalled.
        """
        stamp = _stamp(self.current.watched)
        try:
            if self._loader is None:
                new = load_config(self.current.path, self._features, previous=self.current)
            else:
                new = self._loader(self.current.path, self._features)
            same_features(self.current, new)
        except ConfigError as exc:
            self._stamp = stamp
            self.last_error = exc
            self.failed_reloads += 1
            log.error(
                "reload refused, the last good config keeps serving:\n%s",
                "\n".join(str(i) for i in exc.issues),
            )
            return False
        retired = [self.current]
        self.current = new
        self._stamp = _stamp(new.watched)
        self.last_error = None
        self.reloads += 1
        log.info("config reloaded from %s", new.path)
        if self.on_applied is not None:
            self.on_applied(new)
        with collector_paused(True, freeze=False):  # the loop gets the GIL within 1 ms
            free_in_pieces(retired)  # not in one go: that would stall the calls
        return True

    def changed(self) -> bool:
        return _stamp(self.current.watched) != self._stamp

    async def watch(self, interval: float | None = None, settle: float | None = None) -> None:
        """Reload whenever a file changes and has then stayed the same (size and
        mtime) for ``settle`` seconds: an editor's truncate-then-write or a copy in
        progress is never read half-way.  Runs until cancelled."""
        while True:
            await asyncio.sleep(interval or self.current.settings.reload_interval)
            if not self.changed():
                continue
            seen = _stamp(self.current.watched)
            await asyncio.sleep(self.current.settings.reload_settle if settle is None else settle)
            if _stamp(self.current.watched) == seen:
                await asyncio.to_thread(self.reload)
            # else: still being written; the next round looks again
