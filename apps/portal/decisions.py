"""Searching the decision log (autocom serve's JSON lines, written to a file by the
site: portal.yaml ``decision_log``): pure matching, and an in-memory index of the
file's tail that follows the file from its last read offset."""

from __future__ import annotations

import json
import os
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

TAIL_BYTES = 16 * 1024 * 1024  # the newest 16 MiB of the file are searched
LINES_PER_CHUNK = 4096  # lines of one block (about 700 kB of decision log)
LIMIT = 50


def _record(line: str) -> dict[str, object] | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@dataclass
class _Chunk:
    """Consecutive lines, and their case-folded text joined by newlines (one
    ``rfind`` over the block finds a word instead of a loop over its lines)."""

    lines: list[str]
    folded: str = ""
    starts: list[int] = field(default_factory=list)  # where each line begins in folded
    size: int = 0  # characters of the lines with their newlines (about their bytes)

    def __post_init__(self) -> None:
        parts = [line.casefold() for line in self.lines]
        self.folded = "\n".join(parts) + "\n"
        for part in parts:
            self.starts.append(self.size)
            self.size += len(part) + 1

    def search(self, words: list[str], limit: int) -> list[dict[str, object]]:
        """Newest first, at most ``limit``: lines holding every word, found from the
        hits of the block's rarest word (``str.count`` is a fast scan in C)."""
        anchor = min(words, key=self.folded.count)
        found: list[dict[str, object]] = []
        end = len(self.folded)
        while len(found) < limit and (at := self.folded.rfind(anchor, 0, end)) >= 0:
            index = bisect_right(self.starts, at) - 1
            start = self.starts[index]
            text = self.folded[start : self.folded.index("\n", at)]
            if all(w in text for w in words) and (data := _record(self.lines[index])) is not None:
                found.append(data)
            end = start  # the next hit is in an earlier line
        return found


@dataclass
class DecisionIndex:
    """The whole lines of the newest ``size`` bytes (about: whole blocks of
    ``LINES_PER_CHUNK`` lines are dropped) of one log file, kept in memory and brought up to date
    from the last offset read on each :meth:`refresh`.  A file that shrank or was
    replaced (rotation: another inode) is read again from its tail."""

    path: Path
    size: int = TAIL_BYTES
    _chunks: deque[_Chunk] = field(default_factory=deque)
    _offset: int = 0
    _inode: int = -1
    _kept: int = 0

    def refresh(self) -> None:
        """Read what was appended since the last call (blocking: call it in a thread)."""
        try:
            with self.path.open("rb") as fh:
                stat = os.fstat(fh.fileno())
                if stat.st_ino != self._inode or stat.st_size < self._offset:
                    self._restart(stat.st_ino, stat.st_size)
                fh.seek(self._offset)
                data = fh.read(stat.st_size - self._offset)
        except FileNotFoundError:
            self._restart(-1, 0)
            return
        cut = data.rfind(b"\n") + 1  # a half-written last line waits for the next read
        self._offset += cut
        if cut:
            self._add(data[:cut].decode("utf-8", errors="replace").splitlines())

    def _restart(self, inode: int, length: int) -> None:
        self._chunks.clear()
        self._kept = 0
        self._inode = inode
        self._offset = max(0, length - self.size)
        if self._offset:  # begin after the first newline: that line is cut
            with self.path.open("rb") as fh:
                fh.seek(self._offset - 1)
                self._offset += len(fh.readline()) - 1

    def _add(self, lines: list[str]) -> None:
        if self._chunks and len(self._chunks[-1].lines) < LINES_PER_CHUNK:
            last = self._chunks.pop()  # a small newest block grows (one block rebuilt at most)
            self._kept -= last.size
            lines = last.lines + lines
        for i in range(0, len(lines), LINES_PER_CHUNK):
            chunk = _Chunk(lines[i : i + LINES_PER_CHUNK])
            self._chunks.append(chunk)
            self._kept += chunk.size
        while len(self._chunks) > 1 and self._kept - self._chunks[0].size >= self.size:
            self._kept -= self._chunks.popleft().size

    def search(self, query: str, limit: int = LIMIT) -> list[dict[str, object]]:
        """The newest ``limit`` JSON objects whose line holds every word of ``query``
        (case ignored), newest first (pure: no read of the file)."""
        words = [w.casefold() for w in query.split()]
        found: list[dict[str, object]] = []
        for chunk in reversed(self._chunks) if words else ():
            found += chunk.search(words, limit - len(found))
            if len(found) >= limit:
                break
        return found
