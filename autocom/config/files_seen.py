"""What a config file's bytes were when a load read it, so that a reload reads again
only the files that were touched since.

A file's sha256 (:func:`file_digest`) says whether a reload may keep what the last
load made of it.  Hashing 100,000 rule lines is 3 ms and reading them to check they
are not empty as much again, on every reload.  Each file's stat is therefore kept
with its digest (:class:`FileSeen`), and the next load takes the digest back without
reading the file while the stat is the same.

Writing a file in place changes its ctime, replacing it (an editor's save, ``mv``)
changes its inode: ``touch -d`` cannot give back the old stat.  Only a write in the
very clock tick of the stat could (a filesystem keeps times to a few ms, some to 1 or
2 s): a stat is trusted the next time only when its ctime was already
:data:`SETTLED_NS` old when the load began, as git does with its "racily clean" files.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NamedTuple


class FileStamp(NamedTuple):
    """A file's stat: what any write or replacement changes."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int


SETTLED_NS: Final = 3_000_000_000  # above the coarsest timestamps (FAT: 2 s)


def file_stamp(file: Path) -> FileStamp | None:
    """The file's stat as a tuple (None: it cannot be read)."""
    try:
        st = os.stat(file)
    except OSError:
        return None
    return FileStamp(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_digest(file: Path) -> str:
    """sha256 of a file's bytes ('' when it cannot be read: never equal to a digest)."""
    try:
        with open(file, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return ""


@dataclass(frozen=True)
class FileSeen:
    """A file as a load read it: ``digest`` its bytes' sha256 ('' unreadable);
    ``stamp`` its stat before it was read, kept only when that stat may be trusted
    next time (None: read it again)."""

    digest: str
    stamp: FileStamp | None = None


def seen_again(file: Path, before: FileSeen | None, began_ns: int) -> FileSeen:
    """``file`` now: ``before`` itself, not read again, when it was settled and its
    stat is the same; else its bytes hashed anew.  ``began_ns``: when the load began
    (``time.time_ns()``)."""
    stamp = file_stamp(file)
    if stamp is None:
        return FileSeen("")
    if before is not None and before.stamp == stamp:
        return before
    digest = file_digest(file)  # after the stat: a write in between changes the next one
    settled = began_ns - stamp.ctime_ns > SETTLED_NS
    return FileSeen(digest, stamp if settled and digest else None)
