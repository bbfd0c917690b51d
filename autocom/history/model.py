"""The history of applied configs, pure: versions, their changes, diffs, retention.

A version is the set of files a node applied (autocom.yaml, the site file, every
rule file: ``Config.files``), each named relative to autocom.yaml's folder and
stored once by the sha256 of its bytes (``pack``: zlib then base64, since store
values are text).  Nothing here reads a file or the store.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from autocom.store.codec import decode


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def name_of(base: Path, file: Path) -> str:
    """``file`` named relative to ``base`` (autocom.yaml's folder), else absolute."""
    try:
        return file.relative_to(base).as_posix()
    except ValueError:
        return file.as_posix()


def inside(name: str) -> bool:
    """A name that stays inside the config folder (not absolute, no '..')."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def files_digest(files: Mapping[str, str]) -> str:
    """One digest of a whole set of files (name -> sha): equal sets, equal digests."""
    return sha("".join(f"{name}\0{files[name]}\n" for name in sorted(files)).encode())


def pack(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data, 6)).decode("ascii")


def unpack(text: str) -> bytes:
    """The bytes ``pack`` stored; ValueError when ``text`` is not such a value."""
    try:
        return zlib.decompress(base64.b64decode(text, validate=True))
    except (zlib.error, ValueError) as exc:
        raise ValueError(f"not a stored file ({exc})") from None


def _lines(data: bytes | None) -> list[str]:
    return [] if data is None else data.decode("utf-8", "replace").splitlines(keepends=True)


def unified(name: str, old: bytes | None, new: bytes | None, labels: tuple[str, str]) -> list[str]:
    """The unified diff of one file, each line ending with a newline."""
    out = []
    a = f"a/{name}\t{labels[0]}" if old is not None else "/dev/null"
    b = f"b/{name}\t{labels[1]}" if new is not None else "/dev/null"
    for line in difflib.unified_diff(_lines(old), _lines(new), a, b):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return out


def line_counts(old: bytes | None, new: bytes | None) -> tuple[int, int]:
    """(lines added, lines removed) from ``old`` to ``new``."""
    added = removed = 0
    for line in unified("f", old, new, ("", ""))[2:]:
        if line.startswith("+"):
            added += 1
        elif line.startswith("-"):
            removed += 1
    return added, removed


@dataclass(frozen=True)
class Change:
    """One file of a version that differs from the version before it."""

    name: str
    old: str | None  # sha before (None: the file is new)
    new: str | None  # sha now (None: the config no longer reads it)
    added: int
    removed: int
    who: str

    @property
    def summary(self) -> str:
        return f"{self.name} (+{self.added} -{self.removed})"


@dataclass(frozen=True)
class Version:
    """One applied config, as stored under ``v:<number>``."""

    number: int
    at: str  # ISO 8601, the site's zone
    node: str  # the node that applied (and recorded) it; "<host> (rollback)" from the CLI
    files: Mapping[str, str]  # every file: name -> sha
    base: int | None  # the version the changes are against (None: the first one)
    changes: tuple[Change, ...]
    note: str = ""  # e.g. "rollback to version 3"

    @property
    def who(self) -> str:
        """The distinct authors of the changed files, in file order."""
        return ", ".join(dict.fromkeys(c.who for c in self.changes)) or "-"

    @property
    def digest(self) -> str:
        return files_digest(self.files)

    def blobs(self) -> set[str]:
        """Every stored file this version needs: its files and the old side of its diff."""
        return set(self.files.values()) | {c.old for c in self.changes if c.old}

    def encode(self) -> str:
        return json.dumps(
            {
                "number": self.number,
                "at": self.at,
                "node": self.node,
                "files": dict(self.files),
                "base": self.base,
                "changes": [c.__dict__ for c in self.changes],
                "note": self.note,
            },
            ensure_ascii=False,
        )

    @classmethod
    def decode(cls, text: str | None) -> Version | None:
        """The version stored in ``text``; None for anything we did not write."""
        data = decode(text)
        if data is None:
            return None
        try:
            return cls(
                int(data["number"]),
                str(data["at"]),
                str(data["node"]),
                {str(k): str(v) for k, v in dict(data["files"]).items()},
                None if data["base"] is None else int(data["base"]),
                tuple(_change(c) for c in data["changes"]),
                str(data.get("note", "")),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def _change(data: Any) -> Change:
    return Change(
        str(data["name"]),
        None if data["old"] is None else str(data["old"]),
        None if data["new"] is None else str(data["new"]),
        int(data["added"]),
        int(data["removed"]),
        str(data["who"]),
    )


def changed_names(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The names whose sha differs (added, changed or gone), sorted."""
    return sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))


def prune(versions: Sequence[Version], keep: int) -> tuple[list[int], set[str]]:
    """What retention removes: the numbers of all but the ``keep`` newest versions,
    and the stored files only those versions needed."""
    ordered = sorted(versions, key=lambda v: v.number)
    cut = max(0, len(ordered) - keep)
    gone, kept = ordered[:cut], ordered[cut:]
    needed: set[str] = set().union(*(v.blobs() for v in kept))
    unneeded = set().union(*(v.blobs() for v in gone)) - needed
    return [v.number for v in gone], unneeded


def listing(versions: Iterable[Version]) -> list[str]:
    """The lines of `autocom history`: newest last."""
    rows = [("N", "WHEN", "NODE", "WHO", "FILES CHANGED (+added -removed)")]
    for v in sorted(versions, key=lambda v: v.number):
        files = ", ".join(c.summary for c in v.changes) or "(no file changed)"
        note = f"  [{v.note}]" if v.note else ""
        rows.append((str(v.number), v.at[:19].replace("T", " "), v.node, v.who, files + note))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return [
        "  ".join([r[0].rjust(widths[0]), *(r[i].ljust(widths[i]) for i in (1, 2, 3)), r[4]])
        for r in rows
    ]
