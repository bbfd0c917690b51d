"""A source held in memory: the base of the file and site sources."""

from __future__ import annotations

from collections.abc import Iterable

from autocom.directory.model import Entry, Query, SourceResult
from autocom.directory.numbers import NumberPlan
from autocom.directory.query import matches, sort_key


class MemorySource:
    """Entries sorted by name, an index by canonical number; search is a scan."""

    def __init__(self, name: str, entries: Iterable[Entry], plan: NumberPlan) -> None:
        self.name = name
        self.plan = plan
        self.entries: tuple[Entry, ...] = tuple(sorted(entries, key=sort_key))
        index: dict[str, list[Entry]] = {}
        for entry in self.entries:
            for number in entry.numbers:
                if number.canonical:
                    bucket = index.setdefault(number.canonical, [])
                    if entry not in bucket:
                        bucket.append(entry)
        self._by_number = index

    async def search(self, query: Query, want: int) -> SourceResult:
        found: list[Entry] = []
        for entry in self.entries:
            if matches(entry, query, self.plan):
                if len(found) == want:
                    return SourceResult(tuple(found), more=True)
                found.append(entry)
        return SourceResult(tuple(found), more=False)

    async def lookup(self, canonicals: tuple[str, ...]) -> tuple[Entry, ...]:
        out: list[Entry] = []
        for canonical in canonicals:
            for entry in self._by_number.get(canonical, ()):
                if entry not in out:
                    out.append(entry)
        return tuple(out)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
