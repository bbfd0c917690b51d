"""DirectoryService: the merged directory with a cache in the state store.

What other features use (the IVR's dial by name, the phones, the caller name):

- ``await service.search(term, limit=16, offset=0) -> Page``: by name words
  (accents folded), or by digits of a number when the term is digits.
- ``await service.search_keypad(digits, limit=16, offset=0) -> Page``: family
  or first name starting with the letters of keypad digits ('533' -> Lefèvre).
- ``await service.lookup(number) -> Lookup``: the entries holding a number,
  whatever its spelling (0388..., +33388..., 0033388..., the extension).
- ``await service.lookup_within(number, budget) -> LookupFacts``: the same,
  bounded in time, for calls.

Answers are cached in the state store (namespace ``dircache``): fresh for
``cache.ttl`` (``search_ttl``, ``miss_ttl``), then asked again; kept for
``stale_ttl`` so that when a source is down or slow the last answer is served.
A lookup that misses its time budget keeps running in the background (tracked,
cancelled at stop) and fills the cache for the next call.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from apps.directory.engine import LookupFacts
from apps.directory.rules import DirectoryRules
from autocom.directory import (
    Directory,
    DirectorySource,
    Entry,
    IndexedLdapSource,
    LdapSource,
    Number,
    Page,
    Query,
    keypad_query,
    parse_term,
)
from autocom.directory.memory import MemorySource
from autocom.store.base import StateStore, StoreError

log = logging.getLogger("autocom.directory")

NAMESPACE = "dircache"
CACHE_VERSION = "2"  # + the number plan's fingerprint: entries hold canonical numbers


@dataclass(frozen=True)
class Lookup:
    entries: tuple[Entry, ...]
    origin: str  # 'cache', 'source', 'stale cache'
    degraded: tuple[str, ...] = ()  # sources that did not answer


def entry_to_json(entry: Entry) -> dict[str, Any]:
    return asdict(entry)


def entry_from_json(data: dict[str, Any]) -> Entry:
    numbers = tuple(Number(n["kind"], n["raw"], n["canonical"]) for n in data.get("numbers", ()))
    return Entry(
        source=data["source"],
        id=data["id"],
        name=data["name"],
        first_name=data.get("first_name", ""),
        numbers=numbers,
        department=data.get("department", ""),
        title=data.get("title", ""),
        email=data.get("email", ""),
        room=data.get("room", ""),
        uid=data.get("uid", ""),
    )


def build_directory(rules: DirectoryRules, *, indexed: bool = True) -> Directory:
    """The sources of ``rules``; ``indexed`` False: an LDAP source asks the server at
    every search even with an ``index:`` (a one-shot answer, the CLI's: reading every
    entry first would cost more than it saves)."""
    sources: list[DirectorySource] = []
    for source in rules.model.sources:
        if source.name in rules.memory:
            sources.append(MemorySource(source.name, rules.memory[source.name], rules.plan))
        else:
            settings = rules.ldap[source.name]
            ldap = LdapSource(settings, rules.plan)
            index = settings.index if indexed else None
            sources.append(IndexedLdapSource(ldap, index) if index else ldap)
    return Directory(sources, rules.plan, rules.model.merge_on)


class DirectoryService:
    def __init__(
        self,
        rules: DirectoryRules,
        store: StateStore | None,
        *,
        directory: Directory | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.rules = rules
        self.store = store
        self.directory = directory or build_directory(rules)
        self.now = now
        self._inflight: dict[str, asyncio.Task[Any]] = {}
        # an answer cached under another number plan (directory.yaml edited) is not
        # read back: its canonical numbers, which phones dial, were the old plan's
        plan = hashlib.sha256(repr(rules.plan).encode()).hexdigest()[:12]
        self._version = f"{CACHE_VERSION}:{plan}"
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def plan(self) -> Any:
        return self.rules.plan

    async def start(self) -> None:
        await self.directory.start()

    async def wait_loaded(self) -> None:
        """Wait until every LDAP source with an index has read its entries once."""
        indexed = [s for s in self.directory.sources if isinstance(s, IndexedLdapSource)]
        await asyncio.gather(*(s.loaded.wait() for s in indexed))

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.directory.close()

    def status(self) -> list[dict[str, object]]:
        return [
            s.status()
            for s in self.directory.sources
            if isinstance(s, LdapSource | IndexedLdapSource)
        ]

    # ---- cache -------------------------------------------------------------

    async def _cache_get(self, key: str) -> dict[str, Any] | None:
        if self.store is None:
            return None
        try:
            raw = await self.store.get(NAMESPACE, key)
        except StoreError as exc:
            log.info("directory cache unavailable: %s", exc)
            return None
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        return data if isinstance(data, dict) and data.get("v") == self._version else None

    async def _cache_put(self, key: str, data: dict[str, Any]) -> None:
        if self.store is None or self.rules.model.cache.stale_ttl <= 0:
            return
        data = {"v": self._version, "at": self.now(), **data}
        try:
            await self.store.set(
                NAMESPACE,
                key,
                json.dumps(data, ensure_ascii=False),
                ttl=float(self.rules.model.cache.stale_ttl),
            )
        except StoreError as exc:
            log.info("directory cache unavailable: %s", exc)

    def _fresh(self, data: dict[str, Any], ttl: int) -> bool:
        at = data.get("at")
        return isinstance(at, int | float) and 0 <= self.now() - at < ttl

    def _track(self, key: str, make: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        """One task per key at a time, kept until done (so a timeout does not cancel it)."""
        task = self._inflight.get(key)
        if task is not None and not task.done():
            return task
        task = asyncio.ensure_future(make())
        self._inflight[key] = task
        self._background.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._background.discard(t)
            if self._inflight.get(key) is t:
                del self._inflight[key]
            if not t.cancelled() and t.exception() is not None:
                log.warning("directory task %s failed: %r", key, t.exception())

        task.add_done_callback(done)
        return task

    # ---- lookups -----------------------------------------------------------

    def _lookup_key(self, number: str) -> str | None:
        candidates = self.plan.candidates(number)
        return "n:" + "|".join(candidates) if candidates else None

    async def _cached_entries(self, key: str) -> tuple[tuple[Entry, ...] | None, bool]:
        """(the entries cached for ``key``, None when none; whether they are fresh)."""
        cached = await self._cache_get(key)
        if cached is None:
            return None, False
        entries = tuple(entry_from_json(e) for e in cached.get("entries", ()))
        ttl = self.rules.model.cache.ttl if entries else self.rules.model.cache.miss_ttl
        return entries, self._fresh(cached, ttl)

    async def _refresh_lookup(self, number: str, key: str) -> Lookup:
        entries, degraded = await self.directory.lookup(number)
        if entries or not degraded:  # never cache 'unknown' learnt during an outage
            await self._cache_put(key, {"entries": [entry_to_json(e) for e in entries]})
        return Lookup(entries, "source", degraded)

    async def lookup(self, number: str, *, use_cache: bool = True) -> Lookup:
        """Entries holding ``number``; from the cache when fresh, stale when sources fail."""
        key = self._lookup_key(number)
        if key is None:
            return Lookup((), "source")
        cached, fresh = await self._cached_entries(key) if use_cache else (None, False)
        if cached is not None and fresh:
            return Lookup(cached, "cache")
        task = self._track(key, lambda: self._refresh_lookup(number, key))
        result: Lookup = await asyncio.shield(task)
        if result.degraded and not result.entries and cached is not None:
            return Lookup(cached, "stale cache", result.degraded)
        return result

    async def lookup_within(self, number: str, budget: float) -> LookupFacts:
        """lookup() bounded by ``budget`` seconds; on timeout the stale cache if any."""
        key = self._lookup_key(number)
        if key is None:
            return LookupFacts("unknown")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        try:
            cached, fresh = await asyncio.wait_for(self._cached_entries(key), budget)
        except TimeoutError:
            cached, fresh = None, False
        stale = cached or ()
        if cached is not None and fresh:
            return LookupFacts("found" if stale else "unknown", stale, "cache")
        task = self._track(key, lambda: self._refresh_lookup(number, key))
        try:
            result: Lookup = await asyncio.wait_for(
                asyncio.shield(task), max(0.0, deadline - loop.time())
            )
        except TimeoutError:
            if stale:
                return LookupFacts("found", stale, "stale cache")
            return LookupFacts("timeout")
        if result.entries:
            return LookupFacts("found", result.entries, "source")
        if result.degraded:
            if stale:
                return LookupFacts("found", stale, "stale cache")
            return LookupFacts("unavailable")
        return LookupFacts("unknown")

    # ---- searches ----------------------------------------------------------

    async def search(self, term: str, limit: int = 16, offset: int = 0) -> Page:
        """By name words (or number digits); paged at the sources."""
        return await self.search_query(parse_term(term), limit, offset)

    async def search_keypad(self, digits: str, limit: int = 16, offset: int = 0) -> Page:
        """Dial by name: family or first name spelt by the keypad digits."""
        return await self.search_query(keypad_query(digits), limit, offset)

    async def search_query(
        self, query: Query, limit: int, offset: int, *, use_cache: bool = True
    ) -> Page:
        if self.directory.local:  # memory answers faster than the cache: nothing to keep
            return await self.directory.search(query, limit, offset)
        ident = json.dumps([query.kind, query.words, query.digits, limit, offset])
        key = "s:" + hashlib.sha256(ident.encode()).hexdigest()[:32]
        cached = await self._cache_get(key) if use_cache else None
        if cached is not None and self._fresh(cached, self.rules.model.cache.search_ttl):
            return _page_from_json(cached)
        task = self._track(key, lambda: self.directory.search(query, limit, offset))
        page: Page = await asyncio.shield(task)  # another phone may wait on the same task
        if page.degraded and cached is not None:
            stale = _page_from_json(cached)
            return Page(
                stale.entries, stale.offset, stale.limit, stale.more, stale.total, page.degraded
            )
        if not page.degraded:
            await self._cache_put(
                key,
                {
                    "entries": [entry_to_json(e) for e in page.entries],
                    "offset": page.offset,
                    "limit": page.limit,
                    "more": page.more,
                    "total": page.total,
                },
            )
        return page


def _page_from_json(data: dict[str, Any]) -> Page:
    return Page(
        tuple(entry_from_json(e) for e in data.get("entries", ())),
        int(data.get("offset", 0)),
        int(data.get("limit", 1)),
        bool(data.get("more", False)),
        data.get("total") if isinstance(data.get("total"), int) else None,
    )
