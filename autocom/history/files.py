"""The files side of the history: what a config read, who owns it, and writing a
version back (checked in a shadow folder first, then each file replaced atomically)."""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from autocom.history.model import name_of, sha


@dataclass(frozen=True)
class FileText:
    """One file as a node applied it."""

    name: str  # relative to autocom.yaml's folder (absolute when outside it)
    data: bytes
    owner: str  # the unix user owning the file: its author unless one was declared

    @functools.cached_property
    def sha(self) -> str:
        return sha(self.data)


def owner_of(st: os.stat_result) -> str:
    try:
        return pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        return f"uid {st.st_uid}"


def read_files(base: Path, files: Iterable[Path]) -> tuple[FileText, ...]:
    """The bytes and owner of each file; one that is gone since it was read is left
    out (the config no longer reads it: the next reload says so)."""
    out = []
    for file in files:
        try:
            with open(file, "rb") as fh:
                owner = owner_of(os.fstat(fh.fileno()))
                data = fh.read()
        except FileNotFoundError:
            continue
        out.append(FileText(name_of(base, file), data, owner))
    return tuple(out)


def _mirror(real: Path, shadow: Path) -> None:
    """``shadow``: a new folder whose entries are symlinks to those of ``real``."""
    shadow.mkdir()
    if real.is_dir():
        for entry in real.iterdir():
            (shadow / entry.name).symlink_to(entry)


def build_shadow(
    base: Path, files: Mapping[str, bytes], root: Path, hide: Iterable[str] = ()
) -> None:
    """Make ``root`` (absent) look like ``base`` with ``files`` (names relative to
    ``base``) replaced and the ``hide`` ones gone: every other file is a symlink to
    the real one, so a load from ``root`` reads exactly what a load from ``base``
    would once they are written (and the hidden ones moved aside)."""
    _mirror(base, root)
    for name, data in files.items():
        _own(base, root, name).write_bytes(data)
    for name in hide:
        _own(base, root, name)


def _own(base: Path, root: Path, name: str) -> Path:
    """``root``/``name`` with its folders made real (not links) and no file there."""
    *folders, leaf = Path(name).parts
    real, shadow = base, root
    for part in folders:
        real, shadow = real / part, shadow / part
        if shadow.is_symlink() or not shadow.exists():
            if shadow.is_symlink():
                shadow.unlink()
            _mirror(real, shadow)
    target = shadow / leaf
    if target.is_symlink():
        target.unlink()
    return target


def move_aside(path: Path) -> Path:
    """Rename ``path`` to ``<path>.rolled-back`` (``.rolled-back.1``, ... if taken): out
    of a fragment folder's ``*.yaml``, kept to be renamed back."""
    target = path.with_name(f"{path.name}.rolled-back")
    count = 0
    while target.exists():
        count += 1
        target = path.with_name(f"{path.name}.rolled-back.{count}")
    os.rename(path, target)
    return target


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` in one rename (a reader sees the old file or the
    new one, never half); the old file's mode is kept, and its owner when we may."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        old: os.stat_result | None = path.stat()
    except FileNotFoundError:
        old = None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".rollback", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if old is not None:
            os.chmod(tmp, old.st_mode & 0o7777)
            with contextlib.suppress(PermissionError):  # root only: the server's user keeps it
                os.chown(tmp, old.st_uid, old.st_gid)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def unwritable(base: Path, names: Iterable[str]) -> list[str]:
    """The names whose folder we may not write in (a rollback writes none then)."""
    out = []
    for name in names:
        folder = (base / name).parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not os.access(folder, os.W_OK):
            out.append(name)
    return out
