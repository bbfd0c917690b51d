"""Several sources as one directory: results merged in source order, deduplicated.

Two entries are the same person when they share a merge key; directory.yaml's
``merge_on`` says which (default ``[name_number, email]``):

- ``name_number``: equal folded names (family and first name) and a shared
  number (any spelling of it: the canonical form);
- ``email``: the same mail address (case ignored);
- ``extension``: the same internal extension, whatever the names (a number of
  kind extension, or one the number plan reads as an extension: a site DID of
  the user); two people sharing one phone become one entry, so only for sites
  where an extension is a person's;
- ``uid``: the same person id (LDAP ``uid``, a file's ``uid`` column, a site
  user's ``uid`` that `autocom site sync` copies from the HR directory).

A site user and their HR entry whose spelling differs ("Le Gall" / "LE GALL-
DUPRÉ") and who have no number in common are one entry with ``extension`` or
``uid``.  The first source listed wins; the duplicate only fills the fields the
first one lacks (a site user gets its department from the HR directory).

Paging is done at the source: for a page [offset, offset+limit) each source is
asked for no more than offset+limit+1 entries, in order, and asked again for
more only when duplicates ate into them.  A source that cannot answer is left
out and named in ``Page.degraded``; the others still answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Literal

from autocom.directory.base import DirectorySource, SourceUnavailable
from autocom.directory.model import Entry, Page, Query
from autocom.directory.numbers import NumberPlan
from autocom.directory.text import fold

log = logging.getLogger("autocom.directory")

MAX_OFFSET = 10_000
MAX_LIMIT = 500

MergeKey = Literal["name_number", "email", "extension", "uid"]
DEFAULT_MERGE_ON: tuple[MergeKey, ...] = ("name_number", "email")


def merge_keys(
    entry: Entry, merge_on: Sequence[MergeKey], plan: NumberPlan | None = None
) -> list[tuple[str, ...]]:
    """The keys under which ``entry`` is the same person as another entry."""
    out: list[tuple[str, ...]] = []
    if "name_number" in merge_on:
        who = (fold(entry.name), fold(entry.first_name))
        out.extend(("n", *who, n.canonical or n.raw) for n in entry.numbers)
    if "email" in merge_on and entry.email:
        out.append(("m", entry.email.casefold()))
    if "extension" in merge_on:
        for n in entry.numbers:
            ext = n.raw if n.kind == "extension" else ""
            if not ext and plan is not None and n.canonical:
                ext = plan.extension_of(n.canonical)
            if ext:
                out.append(("x", ext))
    if "uid" in merge_on and entry.uid:
        out.append(("u", entry.uid.casefold()))
    return out


class Deduplicator:
    def __init__(
        self, merge_on: Sequence[MergeKey] = DEFAULT_MERGE_ON, plan: NumberPlan | None = None
    ) -> None:
        self.entries: list[Entry] = []
        self._keys: dict[tuple[str, ...], int] = {}
        self.merge_on = tuple(merge_on)
        self.plan = plan

    def keys(self, entry: Entry) -> list[tuple[str, ...]]:
        return merge_keys(entry, self.merge_on, self.plan)

    def add(self, entry: Entry) -> bool:
        """Add an entry; False if it was a duplicate (merged into the first one)."""
        keys = self.keys(entry)
        for key in keys:
            index = self._keys.get(key)
            if index is not None:
                merged = self.entries[index].merged_with(entry)
                self.entries[index] = merged
                for k in self.keys(merged):
                    self._keys.setdefault(k, index)
                return False
        index = len(self.entries)
        self.entries.append(entry)
        for key in keys:
            self._keys.setdefault(key, index)
        return True


class Directory:
    """The sources of a site, merged.  Pure orchestration: the sources do the I/O."""

    def __init__(
        self,
        sources: Sequence[DirectorySource],
        plan: NumberPlan,
        merge_on: Sequence[MergeKey] = DEFAULT_MERGE_ON,
    ) -> None:
        self.sources = tuple(sources)
        self.plan = plan
        self.merge_on = tuple(merge_on)

    @property
    def local(self) -> bool:
        """True if every source answers from memory now."""
        return all(source.local for source in self.sources)

    async def start(self) -> None:
        for source in self.sources:
            await source.start()

    async def close(self) -> None:
        for source in self.sources:
            await source.close()

    async def search(self, query: Query, limit: int, offset: int = 0) -> Page:
        limit = max(1, min(limit, MAX_LIMIT))
        offset = max(0, min(offset, MAX_OFFSET))
        need = offset + limit + 1  # one more tells whether a next page exists
        dedup = Deduplicator(self.merge_on, self.plan)
        degraded: list[str] = []
        exhausted = True
        for source in self.sources:
            if len(dedup.entries) >= need:
                exhausted = False
                break
            want = need - len(dedup.entries)
            while True:
                try:
                    result = await source.search(query, want)
                except SourceUnavailable as exc:
                    log.info("directory search: %s", exc)
                    degraded.append(source.name)
                    break
                before = len(dedup.entries)
                for entry in result.entries:
                    dedup.add(entry)
                added = len(dedup.entries) - before
                if not result.complete:
                    degraded.append(source.name)
                if not result.more or len(dedup.entries) >= need:
                    if result.more:
                        exhausted = False
                    break
                # duplicates ate into the answer: ask again for as many more
                want = want + (want - added)
        entries = dedup.entries
        page = tuple(entries[offset : offset + limit])
        more = len(entries) > offset + limit
        total = len(entries) if exhausted and not more and not degraded else None
        return Page(page, offset, limit, more, total, tuple(degraded))

    async def lookup(self, number: str) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
        """Entries holding the number (any spelling); and the sources that failed."""
        canonicals = self.plan.candidates(number)
        if not canonicals:
            return (), ()
        results = await asyncio.gather(
            *(source.lookup(canonicals) for source in self.sources), return_exceptions=True
        )
        dedup = Deduplicator(self.merge_on, self.plan)
        degraded: list[str] = []
        for source, result in zip(self.sources, results, strict=True):
            if isinstance(result, SourceUnavailable):
                degraded.append(source.name)
                continue
            if isinstance(result, BaseException):
                raise result
            for entry in result:
                dedup.add(entry)
        return tuple(dedup.entries), tuple(degraded)
