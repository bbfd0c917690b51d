"""Searching the decision log (autocom serve's JSON lines, written to a file by the
site: portal.yaml ``decision_log``): pure matching, and a bounded read of the tail."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

TAIL_BYTES = 16 * 1024 * 1024  # the newest 16 MiB of the file are searched
LIMIT = 50


def matches(lines: Iterable[str], query: str, limit: int = LIMIT) -> list[dict[str, object]]:
    """The newest ``limit`` JSON objects whose line holds every word of ``query``
    (case ignored), newest first; lines that are not JSON objects are skipped."""
    words = [w.casefold() for w in query.split()]
    if not words:
        return []
    found: list[dict[str, object]] = []
    for line in reversed(list(lines)):
        folded = line.casefold()
        if not all(w in folded for w in words):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            found.append(data)
            if len(found) >= limit:
                break
    return found


def tail_lines(path: Path, size: int = TAIL_BYTES) -> list[str]:
    """The whole lines of the last ``size`` bytes of ``path`` (a missing file: none)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            end = fh.tell()
            fh.seek(max(0, end - size))
            data = fh.read()
    except FileNotFoundError:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[1:] if end > size else lines  # the first may be cut
