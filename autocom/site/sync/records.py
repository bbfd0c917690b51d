"""What a site source returns: people, groups, contexts and DIDs as plain records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Fields of a user that a source may give and a later source may complete.
USER_FIELDS = (
    "name",
    "first_name",
    "context",
    "devices",
    "department",
    "email",
    "mobile",
    "title",
    "manager",
    "language",
    "uid",
)


@dataclass(frozen=True)
class UserRecord:
    """One person with an extension, as one source knows them.

    ``context`` empty: the source only completes a user another source gives
    (an HR directory knows names and departments, not phones).  ``manager`` is
    the manager's ``ref`` (an LDAP DN), ``uid`` or extension; the merge turns it
    into the manager's extension.  ``ref`` is what the source calls the record
    (an LDAP DN, a confd UUID); ``uid`` the person's identifier that the
    directory merges on (LDAP ``uid``, a CSV column), written to the site.
    """

    extension: str
    origin: str  # where it was read: 'users.csv:12', 'wazo:/users/42', an LDAP DN
    ref: str = ""
    name: str = ""
    first_name: str = ""
    context: str = ""
    devices: tuple[str, ...] = ()
    department: str = ""
    email: str = ""
    mobile: str = ""
    title: str = ""
    manager: str = ""
    language: str = ""
    uid: str = ""


@dataclass(frozen=True)
class GroupRecord:
    extension: str
    origin: str
    name: str
    context: str
    members: tuple[str, ...] = ()  # user extensions, in ring order
    strategy: str = "ringall"  # ringall | linear
    ring_time: int = 20


@dataclass(frozen=True)
class ContextRecord:
    name: str
    kind: str = "internal"  # internal | incoming | outgoing
    users: tuple[str, ...] = ()  # ranges as site.yaml writes them: '2001-2899'
    groups: tuple[str, ...] = ()
    conferences: tuple[str, ...] = ()
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class DidRecord:
    number: str
    destination: str  # a user or group extension
    context: str  # the incoming context


@dataclass(frozen=True)
class SourceData:
    """Everything one source read, in its own order."""

    source: str
    users: tuple[UserRecord, ...] = ()
    groups: tuple[GroupRecord, ...] = ()
    contexts: tuple[ContextRecord, ...] = ()
    dids: tuple[DidRecord, ...] = ()
    notes: tuple[str, ...] = field(default=())  # what was skipped, and why


class SourceFailed(Exception):
    """A source could not be read whole (down, refused, a partial page, bad data).

    The sync then writes nothing: the last good site keeps serving."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


def read_secret(source: str, file: str, base: Path) -> str:
    """A token or password kept in ``file`` (relative to ``base``), stripped."""
    path = Path(file)
    path = path if path.is_absolute() else base / path
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SourceFailed(source, f"cannot read {path}: {exc.strerror}") from None
