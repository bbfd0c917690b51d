"""Keys a release renamed: `autocom check` names the old key and what to write now.

``RENAMED_KEYS`` maps a key's path in its file (``("state", "redis_url")`` for
``state: {redis_url: ...}``; ``"*"`` stands for any list item) to its new name and
the release that renamed it.  A file that still has the old key gets, instead of
"unknown key", e.g.::

    autocom.yaml:12: state: 'redis_url' was renamed in autocom 0.3
      -> write 'url: ...' (the same value) instead

Add an entry with every rename (docs/upgrade.md lists them); keep entries for a
few releases.  The table is empty: no release has renamed a key yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Renamed:
    new: str  # the key to write now (its name at the same place)
    since: str  # the release that renamed it


RENAMED_KEYS: Mapping[tuple[str, ...], Renamed] = {}


def renamed(
    path: tuple[str | int, ...], table: Mapping[tuple[str, ...], Renamed] | None = None
) -> tuple[str, str] | None:
    """(message, what to write) if the unknown key at ``path`` is a renamed one."""
    key = tuple("*" if isinstance(p, int) else p for p in path)
    entry = (RENAMED_KEYS if table is None else table).get(key)
    if entry is None:
        return None
    parent = ".".join(str(p) for p in path[:-1])
    where = f"{parent}: " if parent else ""
    return (
        f"{where}{path[-1]!r} was renamed in autocom {entry.since}",
        f"write '{entry.new}: ...' (the same value) instead",
    )
