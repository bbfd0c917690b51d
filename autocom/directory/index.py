"""A directory held in memory, searched through sorted keys: no scan per search.

Pure: no I/O.  :class:`DirectoryIndex` is built once from a list of entries
(in a worker thread for a large directory) and never changes; a newer list
gives a new index.  It answers the same searches as :func:`query.matches`,
entry for entry, in the order of :func:`query.sort_key` (name, first name, id):

- name words: every word (separators dropped) starts one of the entry's word
  starts (``text.word_starts`` of the folded name, first name and
  department): one ``bisect`` per word in the sorted word starts;
- keypad digits: the same on the keypad digits of the name and first name;
- number digits: a substring of a number in any of its spellings, found with
  ``str.find`` in one text holding every entry's spellings, in entry order;
- all: the entries in order.

Every candidate is checked again with ``matches`` (the one definition of a
match), so the index can only be faster than a scan, never different.  A
lookup by canonical number is one dict access.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from autocom.directory.model import Entry, Query, SourceResult
from autocom.directory.numbers import NumberPlan
from autocom.directory.query import matches, sort_key
from autocom.directory.text import compact, fold, keypad_starts, word_starts

# a key range of more positions than this is sorted once and kept (a phone's
# first letter, 'l', covers a tenth of a directory)
_LARGE_RANGE = 2000
_KEPT_RANGES = 256
_END = "\U0010ffff"  # sorts after every character a key holds


@dataclass(frozen=True)
class IndexSettings:
    """How an LDAP source keeps its in-memory index fresh (directory.yaml ``index:``)."""

    refresh: float = 60.0  # seconds between two checks for changes (DN + modifyTimestamp)
    full_refresh: float = 86400.0  # seconds between two reads of every entry
    max_age: float = 600.0  # answers older than that (LDAP down) are flagged degraded
    max_fetch: int = 200  # more changed entries than this: read everything again


@dataclass(frozen=True)
class EntryKeys:
    """What the index files one entry under (computed once per entry)."""

    words: tuple[str, ...]  # word starts of the folded name, first name, department
    keypad: tuple[str, ...]  # keypad digits of the word starts of name and first name
    numbers: str  # every spelling of every number, separated by spaces


def entry_keys(entry: Entry, plan: NumberPlan) -> EntryKeys:
    words: list[str] = []
    for text in (entry.name, entry.first_name, entry.department):
        words.extend(word_starts(fold(text)))
    keypad = (*keypad_starts(entry.name), *keypad_starts(entry.first_name))
    spellings: list[str] = []
    for number in entry.numbers:
        spellings.append("".join(ch for ch in number.raw if ch.isdigit()))
        if number.canonical:
            spellings.append(number.canonical)
            spellings.extend(plan.spellings(number.canonical))
    return EntryKeys(
        tuple(dict.fromkeys(w for w in words if w)),
        tuple(dict.fromkeys(k for k in keypad if k)),
        " ".join(dict.fromkeys(s for s in spellings if s)),
    )


class _SortedKeys:
    """Keys in order, each with the position of its entry: prefix ranges by bisect."""

    def __init__(self, pairs: list[tuple[str, int]]) -> None:
        pairs.sort()
        self.keys = [k for k, _ in pairs]
        self.positions = [p for _, p in pairs]
        self._kept: dict[str, tuple[int, ...]] = {}

    def starting(self, prefix: str) -> Sequence[int]:
        """The positions of the entries holding a key that starts with ``prefix``."""
        lo = bisect.bisect_left(self.keys, prefix)
        hi = bisect.bisect_left(self.keys, prefix + _END, lo)
        if hi - lo <= _LARGE_RANGE:
            return self.positions[lo:hi]
        kept = self._kept.get(prefix)
        if kept is None:
            kept = tuple(sorted(set(self.positions[lo:hi])))
            if len(self._kept) >= _KEPT_RANGES:
                self._kept.pop(next(iter(self._kept)))
            self._kept[prefix] = kept
        return kept


class DirectoryIndex:
    """An immutable, searchable copy of a source's entries."""

    def __init__(
        self,
        entries: Iterable[Entry],
        plan: NumberPlan,
        keys_of: Callable[[Entry], EntryKeys] | None = None,
    ) -> None:
        self.plan = plan
        self.entries: tuple[Entry, ...] = tuple(sorted(entries, key=sort_key))
        keys_of = keys_of or (lambda e: entry_keys(e, plan))
        words: list[tuple[str, int]] = []
        keypad: list[tuple[str, int]] = []
        numbers: list[str] = []
        by_number: dict[str, list[int]] = {}
        for position, entry in enumerate(self.entries):
            keys = keys_of(entry)
            words.extend((k, position) for k in keys.words)
            keypad.extend((k, position) for k in keys.keypad)
            numbers.append(keys.numbers)
            for number in entry.numbers:
                if number.canonical:
                    held = by_number.setdefault(number.canonical, [])
                    if not held or held[-1] != position:
                        held.append(position)
        self._words = _SortedKeys(words)
        self._keypad = _SortedKeys(keypad)
        # one text, entry after entry: str.find meets the entries in order
        self._numbers = "\n".join(numbers)
        self._starts = [0]
        for text in numbers[:-1]:
            self._starts.append(self._starts[-1] + len(text) + 1)
        self._by_number = {k: tuple(v) for k, v in by_number.items()}

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, query: Query, want: int) -> SourceResult:
        """The first ``want`` entries matching ``query``, in order; more: there are others."""
        found: list[Entry] = []
        for position in self._candidates(query):
            entry = self.entries[position]
            if matches(entry, query, self.plan):
                if len(found) == want:
                    return SourceResult(tuple(found), more=True)
                found.append(entry)
        return SourceResult(tuple(found), more=False)

    def lookup(self, canonicals: Iterable[str]) -> tuple[Entry, ...]:
        """The entries holding one of the canonical numbers (each once, in order)."""
        positions = {p for c in canonicals for p in self._by_number.get(c, ())}
        return tuple(self.entries[p] for p in sorted(positions))

    def _candidates(self, query: Query) -> Iterable[int]:
        """Positions in increasing order, a superset of the entries matching."""
        if query.kind == "all":
            return range(len(self.entries))
        if query.kind == "number":
            return self._number_positions(query.digits)
        if query.kind == "name":
            words = [compact(w) for w in query.words]
            keys = self._words
        else:
            words = list(query.words)
            keys = self._keypad
        if not words or not all(words):  # a word of separators only starts nothing
            return ()
        ranges = sorted((keys.starting(w) for w in words), key=len)
        if len(ranges) == 1 or len(ranges[0]) <= _LARGE_RANGE:
            return _in_order(ranges[0])  # few: ``matches`` checks the other words
        common = set(ranges[0])
        for other in ranges[1:]:
            common.intersection_update(other)
        return sorted(common)

    def _number_positions(self, digits: str) -> Iterable[int]:
        if not digits:
            return
        text, starts = self._numbers, self._starts
        at = text.find(digits)
        while at >= 0:
            position = bisect.bisect_right(starts, at) - 1
            yield position
            if position + 1 >= len(starts):
                return
            at = text.find(digits, starts[position + 1])


def _in_order(positions: Sequence[int]) -> Iterable[int]:
    """A key range's positions, each once, in increasing order."""
    if isinstance(positions, tuple):  # a large range, already sorted and unique
        return positions
    return sorted(set(positions))
