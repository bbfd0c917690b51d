"""A source held in memory: the base of the file and site sources."""

from __future__ import annotations

from collections.abc import Iterable

from autocom.directory.index import DirectoryIndex
from autocom.directory.model import Entry, Query, SourceResult
from autocom.directory.numbers import NumberPlan


class MemorySource:
    """Entries sorted by name, searched through a :class:`DirectoryIndex` (no scan)."""

    local = True  # answers without I/O: nothing to cache (DirectoryService)

    def __init__(self, name: str, entries: Iterable[Entry], plan: NumberPlan) -> None:
        self.name = name
        self.plan = plan
        self.index = DirectoryIndex(entries, plan)
        self.entries: tuple[Entry, ...] = self.index.entries

    async def search(self, query: Query, want: int) -> SourceResult:
        return self.index.search(query, want)

    async def lookup(self, canonicals: tuple[str, ...]) -> tuple[Entry, ...]:
        return self.index.lookup(canonicals)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
