"""The protocol every directory source follows, and its errors."""

from __future__ import annotations

from typing import Protocol

from autocom.directory.model import Entry, Query, SourceResult


class DirectoryError(Exception):
    """Base of directory errors."""


class SourceUnavailable(DirectoryError):
    """A source could not answer (server down, timed out, pool exhausted)."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class DirectorySource(Protocol):
    """A place people are listed: a file, the site's users, an LDAP server.

    ``search`` returns the first ``want`` entries matching the query in the
    source's stable order (reading no more than it needs: paging happens here),
    ``lookup`` the entries holding one of the canonical numbers.  Both raise
    SourceUnavailable when the source cannot answer.
    """

    name: str

    @property
    def local(self) -> bool:
        """True when it answers from memory now, without I/O (nothing to cache)."""
        ...

    async def search(self, query: Query, want: int) -> SourceResult: ...

    async def lookup(self, canonicals: tuple[str, ...]) -> tuple[Entry, ...]: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...
