"""The history in the state store every node shares (SQLite or Redis).

Keys of the ``confhist`` namespace:
- ``seq``: the last version number given (``incr``: unique across nodes);
- ``head``: the number of the newest version;
- ``v:<number, 10 digits>``: a Version (JSON, model.Version.encode);
- ``claim:<head>:<digest>``: taken (``incr`` == 1) by the one node that records the
  files of ``digest`` after version ``head``, so four nodes applying the same edit
  record it once (a day's ttl);
- ``author:<sha>``: who wrote the file with these bytes and why, when autocom wrote it
  itself (`autocom rollback`, a portal): {"who", "note"}, an hour's ttl.
Each file's bytes are stored once under ``confblob``/``<sha>`` (model.pack).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from autocom.history.files import FileText
from autocom.history.model import (
    Change,
    Version,
    changed_names,
    files_digest,
    line_counts,
    pack,
    prune,
    sha,
    unpack,
)
from autocom.store.base import StateStore, StoreError
from autocom.store.codec import decode

log = logging.getLogger("autocom.history")

NAMESPACE = "confhist"
BLOBS = "confblob"
CLAIM_TTL = 86400.0
AUTHOR_TTL = 3600.0


def version_key(number: int) -> str:
    return f"v:{number:010d}"


def _counts(
    names: Sequence[str], before: Mapping[str, bytes | None], after: Mapping[str, bytes]
) -> list[tuple[int, int]]:
    """Lines added/removed per changed file (run in a thread: a site file is large)."""
    return [line_counts(before.get(n), after.get(n)) for n in names]


def _pack(files: Sequence[FileText]) -> dict[str, str]:
    """The stored text of each file (in a thread: compressing a site file takes ms)."""
    return {f.sha: pack(f.data) for f in files}


class History:
    """The history kept in ``store``."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    async def head(self) -> Version | None:
        number = await self.store.get(NAMESPACE, "head")
        return await self.version(int(number)) if number and number.isdigit() else None

    async def version(self, number: int) -> Version | None:
        return Version.decode(await self.store.get(NAMESPACE, version_key(number)))

    async def versions(self) -> list[Version]:
        found = await self.store.items(NAMESPACE, "v:")
        versions = (Version.decode(text) for text in found.values())
        return sorted((v for v in versions if v is not None), key=lambda v: v.number)

    async def blob(self, digest: str) -> bytes | None:
        """The bytes stored under ``digest``; None when they are not (or not readable)."""
        text = await self.store.get(BLOBS, digest)
        try:
            return None if text is None else unpack(text)
        except ValueError:
            return None

    async def declare_author(self, data: bytes, who: str, note: str = "") -> None:
        """Say who is about to write a file with these bytes (and why): the node that
        applies it records that author instead of the file's unix owner."""
        value = json.dumps({"who": who, "note": note}, ensure_ascii=False)
        await self.store.set(NAMESPACE, f"author:{sha(data)}", value, AUTHOR_TTL)

    async def record(
        self,
        files: Sequence[FileText],
        node: str,
        at: datetime,
        keep: int,
        *,
        author: str = "",
        note: str = "",
    ) -> Version | None:
        """Record ``files`` as a new version unless they are the newest one already (or
        another node is recording them now): the new Version, else None.  ``author``
        overrides every changed file's author.  Older versions past ``keep`` go."""
        head = await self.head()
        digest = files_digest({f.name: f.sha for f in files})
        if head is not None and head.digest == digest:
            return None
        claim = f"claim:{head.number if head else 0}:{digest}"
        if await self.store.incr(NAMESPACE, claim, CLAIM_TTL) != 1:
            return None
        try:
            version = await self._write(head, files, node, at, (author, note))
        except StoreError:
            with contextlib.suppress(StoreError):  # the next reload may try again
                await self.store.delete(NAMESPACE, claim)
            raise
        try:
            await self._retain(keep)
        except StoreError as exc:  # recorded; the next version prunes again
            log.warning(
                "config history: version %d recorded, pruning failed: %s", version.number, exc
            )
        return version

    async def _write(
        self,
        head: Version | None,
        files: Sequence[FileText],
        node: str,
        at: datetime,
        why: tuple[str, str],
    ) -> Version:
        before = dict(head.files) if head else {}
        changes, declared = await self._changes(before, files, why[0])
        number = await self.store.incr(NAMESPACE, "seq")
        changed = {c.new for c in changes}
        packed = await asyncio.to_thread(_pack, [f for f in files if f.sha in changed])
        for digest, text in packed.items():
            await self.store.set(BLOBS, digest, text)
        now = {f.name: f.sha for f in files}
        base = head.number if head else None
        version = Version(number, at.isoformat(), node, now, base, changes, why[1] or declared)
        await self.store.set(NAMESPACE, version_key(number), version.encode())
        head_now = await self.store.get(NAMESPACE, "head")
        if not (head_now and head_now.isdigit() and int(head_now) > number):
            await self.store.set(NAMESPACE, "head", str(number))  # never back (a node racing)
        return version

    async def _changes(
        self, before: Mapping[str, str], files: Sequence[FileText], author: str
    ) -> tuple[tuple[Change, ...], str]:
        after = {f.name: f for f in files}
        names = changed_names(before, {f.name: f.sha for f in files})
        old = {n: await self.blob(before[n]) if n in before else None for n in names}
        counts = await asyncio.to_thread(
            _counts, names, old, {n: f.data for n, f in after.items() if n in names}
        )
        notes: list[str] = []
        changes = []
        for name, (added, removed) in zip(names, counts, strict=True):
            file = after.get(name)
            who = author
            if not who and file is not None:
                declared = decode(await self.store.get(NAMESPACE, f"author:{file.sha}")) or {}
                who = str(declared.get("who") or file.owner)
                notes.append(str(declared.get("note") or ""))
            new = file.sha if file is not None else None
            changes.append(Change(name, before.get(name), new, added, removed, who or "-"))
        return tuple(changes), next((n for n in notes if n), "")

    async def _retain(self, keep: int) -> None:
        gone, unneeded = prune(await self.versions(), keep)
        for number in gone:
            await self.store.delete(NAMESPACE, version_key(number))
        for digest in unneeded:
            await self.store.delete(BLOBS, digest)
