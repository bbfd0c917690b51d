"""An LDAP source searched in memory: an index kept fresh from LDAP in the background.

ldap3 decodes every answer in Python while holding the GIL (about 3 ms of CPU
a search on loopback): fifty phones searching at once queue behind each
other.  Unless directory.yaml says ``index: false``, the LDAP source is read into a
:class:`DirectoryIndex` instead, and searches and lookups are answered from
memory (tens of microseconds), with the same rule (``query.matches``):

- at start, and every ``full_refresh`` seconds: every entry is read (paged);
- every ``refresh`` seconds: the DN and ``modifyTimestamp`` of every entry are
  listed; entries new or changed since are read again one by one (a base
  search each, more than ``max_fetch`` of them: everything is read again),
  entries gone are dropped, and a new index replaces the old one (built in a
  worker thread, the search keys of unchanged entries kept);
- until the first read succeeds, searches go to LDAP as without an index
  (a dead server: ``SourceUnavailable``, the page names the source degraded);
- when LDAP stops answering, the index keeps serving what it last read; once
  its last successful refresh is older than ``max_age`` its answers are
  flagged incomplete (``Page.degraded`` names the source, as for a stale cache).

``status()`` tells the index's size, age and last error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace

from autocom.directory.base import SourceUnavailable
from autocom.directory.index import DirectoryIndex, EntryKeys, IndexSettings, entry_keys
from autocom.directory.ldap_source import LdapSource, ReadRefused, Stamped
from autocom.directory.model import Entry, Query, SourceResult
from autocom.directory.numbers import NumberPlan
from autocom.tasks import cancel_and_wait

log = logging.getLogger("autocom.directory.index")

Rows = dict[str, tuple[Stamped, EntryKeys]]  # by DN


def build(rows: Mapping[str, tuple[Stamped, EntryKeys]], plan: NumberPlan) -> DirectoryIndex:
    """The index of ``rows``, reusing the keys computed when each entry was read."""
    return DirectoryIndex(
        (row.entry for row, _ in rows.values()), plan, keys_of=lambda e: rows[e.id][1]
    )


def with_keys(read: Iterable[Stamped], plan: NumberPlan) -> Rows:
    return {s.entry.id: (s, entry_keys(s.entry, plan)) for s in read}


def changes(
    held: Mapping[str, str], listed: Mapping[str, str], recheck: Collection[str] = ()
) -> tuple[list[str], list[str]]:
    """(the DNs to read again: new, another or no timestamp, or to check again; the DNs gone)."""
    changed = [
        dn for dn, stamp in listed.items() if not stamp or held.get(dn) != stamp or dn in recheck
    ]
    gone = [dn for dn in held if dn not in listed]
    return changed, gone


def newest(stamps: Mapping[str, str], limit: int) -> set[str]:
    """The DNs holding the newest timestamp, if at most ``limit``: to read once more.

    modifyTimestamp counts whole seconds: an entry changed again in the second
    it was read keeps its timestamp, so those of the newest second are read
    again at the next refresh, at least a second later (after that second, any
    change shows).  When more than ``limit`` entries share the newest second (a
    bulk load), a change made in that very second after the read waits for
    the next full read.
    """
    latest = max(stamps.values(), default="")
    found = {dn for dn, stamp in stamps.items() if stamp == latest and stamp}
    return found if len(found) <= limit else set()


class IndexedLdapSource:
    """A :class:`LdapSource` answered from a :class:`DirectoryIndex` (see the module)."""

    def __init__(
        self,
        ldap: LdapSource,
        settings: IndexSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = ldap.name
        self.ldap = ldap
        self.plan = ldap.plan
        self.settings = settings
        self.clock = clock
        self._rows: Rows = {}
        self._recheck: set[str] = set()  # DNs of the newest second, read once more
        self._index: DirectoryIndex | None = None
        self._synced_at = 0.0  # clock() of the last successful refresh
        self._full_due = 0.0
        self._last_error = ""
        self._task: asyncio.Task[None] | None = None
        self.loaded = asyncio.Event()  # set once the first read is done

    @property
    def local(self) -> bool:
        """True once the index is loaded: answers need no I/O (DirectoryService)."""
        return self._index is not None

    # ---- life cycle -------------------------------------------------------

    async def start(self) -> None:
        await self.ldap.start()
        if self._task is None:
            self._task = asyncio.create_task(self._keep_fresh(), name=f"index-{self.name}")

    async def close(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
        await self.ldap.close()

    def status(self) -> dict[str, object]:
        index = self._index
        age = round(self.clock() - self._synced_at, 1) if index is not None else None
        return {
            **self.ldap.status(),
            "index": {"entries": len(index) if index else 0, "age": age,
                      "last_error": self._last_error},
        }  # fmt: skip

    # ---- answers ----------------------------------------------------------

    async def search(self, query: Query, want: int) -> SourceResult:
        index = self._index
        if index is None:
            return await self.ldap.search(query, want)
        result = index.search(query, want)
        if self.clock() - self._synced_at > self.settings.max_age:
            return replace(result, complete=False)
        return result

    async def lookup(self, canonicals: tuple[str, ...]) -> tuple[Entry, ...]:
        index = self._index
        if index is None:
            return await self.ldap.lookup(canonicals)
        return index.lookup(canonicals)

    # ---- keeping the index fresh -------------------------------------------

    async def refresh(self) -> tuple[int, int]:
        """One refresh: everything when due, else the changes; (entries read, entries gone)."""
        if self._index is None or self.clock() >= self._full_due:
            started = self.clock()
            rows = await asyncio.to_thread(with_keys, await self.ldap.read_all(), self.plan)
            dropped = len(set(self._rows) - set(rows))
            await self._install(rows, rows)
            self._full_due = started + self.settings.full_refresh
            return len(rows), dropped
        listed = await self.ldap.read_stamps()
        held = {dn: row.stamp for dn, (row, _) in self._rows.items()}
        changed, gone = changes(held, listed, self._recheck)
        if len(changed) > self.settings.max_fetch:
            self._full_due = 0.0
            return await self.refresh()
        read = await self.ldap.read_entries(changed) if changed else []
        fresh = await asyncio.to_thread(with_keys, read, self.plan)
        rows = dict(self._rows)
        for dn in (*gone, *changed):  # changed: read again, unless it left the filter
            rows.pop(dn, None)
        rows.update(fresh)
        held_rows = self._rows
        if rows.keys() != held_rows.keys() or any(
            dn not in held_rows or held_rows[dn][0] != row for dn, (row, _) in fresh.items()
        ):
            await self._install(rows, fresh)
        else:  # nothing new (the entries checked again had not changed)
            self._synced_at = self.clock()
            self._recheck = set()
        return len(changed), len(gone)

    async def _install(self, rows: Rows, read: Rows) -> None:
        """Serve ``rows`` from now on; ``read``: those just read (checked again next time)."""
        self._index = await asyncio.to_thread(build, rows, self.plan)
        self._rows = rows
        stamps = {dn: row.stamp for dn, (row, _) in read.items()}
        self._recheck = newest(stamps, self.settings.max_fetch)
        self._synced_at = self.clock()
        self._last_error = ""
        self.loaded.set()

    async def _keep_fresh(self) -> None:
        while True:
            delay = self.settings.refresh
            failed = self._last_error
            try:
                read, gone = await self.refresh()
                if read or gone or failed:
                    log.info("index of %s: %d entries read, %d gone, %d held",
                             self.name, read, gone, len(self._rows))  # fmt: skip
                self._last_error = ""
            except SourceUnavailable as exc:
                self._last_error = exc.reason
                if not isinstance(exc, ReadRefused):  # down: try again soon
                    delay = min(delay, self.ldap.settings.retry_after)
                if not failed:  # said once, not at every retry of an outage (status() tells)
                    kept = "kept" if self._index else "searches go to LDAP"
                    log.warning("index of %s not refreshed (%s): %s",
                                self.name, kept, exc.reason)  # fmt: skip
            except Exception as exc:  # a bug must not stop the refreshes: said, and retried
                self._last_error = repr(exc)
                log.exception("index of %s not refreshed", self.name)
            await asyncio.sleep(delay)
