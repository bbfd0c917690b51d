"""The search-key attribute's values written as LDIF, for ``ldapmodify``.

A site that adds the search-key attribute (docs/directory.md) fills it with
:func:`autocom.directory.text.search_keys` of each person.  ``autocom
directory search-keys`` reads the LDAP source and prints, with
:func:`key_changes`, one LDIF change record (RFC 2849) per entry whose keys
are missing or out of date; entries already right are left out, so the
command can run after every HR import.  Pure: no I/O here.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from autocom.directory.text import search_keys

AUXILIARY_CLASS = "autocomSearchable"


@dataclass(frozen=True)
class KeyedEntry:
    """What the directory holds for one entry, and the keys it should hold."""

    dn: str
    name: str
    first_name: str
    department: str
    keys: tuple[str, ...]  # the search-key attribute's current values
    object_classes: tuple[str, ...]

    def wanted(self) -> tuple[str, ...]:
        return search_keys(self.name, self.first_name, self.department)


def _line(attribute: str, value: str) -> str:
    """``attr: value``, or ``attr:: base64`` when the value is not SAFE-STRING (RFC 2849)."""
    safe = (
        value.isascii()
        and value == value.strip()
        and not value.startswith((":", "<"))
        and all(32 <= ord(c) < 127 for c in value)
    )
    if safe:
        return f"{attribute}: {value}\n"
    return f"{attribute}:: {base64.b64encode(value.encode('utf-8')).decode('ascii')}\n"


def key_changes(
    entries: Iterable[KeyedEntry], attribute: str, object_class: str = AUXILIARY_CLASS
) -> Iterator[str]:
    """One LDIF modify record per entry whose keys differ from what they should be.

    ``object_class`` is added to entries that lack it ('' to add none: an
    attribute the entries' classes already allow).
    """
    for entry in entries:
        wanted = entry.wanted()
        if sorted(entry.keys) == sorted(wanted):
            continue
        lines = [_line("dn", entry.dn), "changetype: modify\n"]
        classes = {c.casefold() for c in entry.object_classes}
        if object_class and object_class.casefold() not in classes:
            lines += ["add: objectClass\n", _line("objectClass", object_class), "-\n"]
        lines.append(f"replace: {attribute}\n")
        lines.extend(_line(attribute, key) for key in wanted)
        lines.append("-\n\n")
        yield "".join(lines)


def summary(entries: Sequence[KeyedEntry]) -> tuple[int, int]:
    """(entries read, entries whose keys are out of date)."""
    stale = sum(1 for e in entries if sorted(e.keys) != sorted(e.wanted()))
    return len(entries), stale
