"""What every directory source returns: entries, pages, queries."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

NumberKind = Literal["office", "mobile", "home", "fax", "other", "extension"]
NUMBER_KINDS: tuple[NumberKind, ...] = ("extension", "office", "mobile", "home", "fax", "other")


@dataclass(frozen=True)
class Number:
    kind: NumberKind
    raw: str  # as the source wrote it
    canonical: str  # NumberPlan.canonical(raw); '' if the plan cannot read it


@dataclass(frozen=True)
class Entry:
    """One person (or service) of a directory."""

    source: str  # the source's name, e.g. 'site', 'hr-ldap'
    id: str  # unique in its source: a DN, a file line, an extension
    name: str  # family name
    first_name: str = ""
    numbers: tuple[Number, ...] = ()
    department: str = ""
    title: str = ""
    email: str = ""
    room: str = ""
    uid: str = ""  # the person's id shared by sources (LDAP uid): a merge key

    @property
    def display_name(self) -> str:
        return f"{self.name} {self.first_name}".strip()

    def numbers_of(self, kind: NumberKind) -> tuple[Number, ...]:
        return tuple(n for n in self.numbers if n.kind == kind)

    @property
    def extension(self) -> str:
        ext = self.numbers_of("extension")
        return ext[0].raw if ext else ""

    def main_number(self) -> Number | None:
        """The number to dial first: extension, office, mobile, then any."""
        for kind in NUMBER_KINDS:
            found = self.numbers_of(kind)
            if found:
                return found[0]
        return None

    def merged_with(self, other: Entry) -> Entry:
        """This entry completed with what ``other`` (the same person) knows more."""
        known = {n.canonical or n.raw for n in self.numbers}
        extra = tuple(n for n in other.numbers if (n.canonical or n.raw) not in known)
        return replace(
            self,
            first_name=self.first_name or other.first_name,
            numbers=self.numbers + extra,
            department=self.department or other.department,
            title=self.title or other.title,
            email=self.email or other.email,
            room=self.room or other.room,
            uid=self.uid or other.uid,
        )


@dataclass(frozen=True)
class Query:
    """A parsed search: by name words, by digits in a number, by keypad prefix, or all."""

    kind: Literal["all", "name", "number", "keypad"]
    words: tuple[str, ...] = ()  # folded words for 'name', digit groups for 'keypad'
    digits: str = ""  # for 'number' and 'keypad'


@dataclass(frozen=True)
class SourceResult:
    """The first entries of a source for a query, in the source's stable order."""

    entries: tuple[Entry, ...]
    more: bool  # the source holds more matching entries than returned
    complete: bool = True  # False: the source was cut (size limit, outage) before the end


@dataclass(frozen=True)
class Page:
    """One page of merged, deduplicated results."""

    entries: tuple[Entry, ...]
    offset: int
    limit: int
    more: bool  # a next page exists
    total: int | None = None  # known only when the whole result was read
    degraded: tuple[str, ...] = field(default=())  # sources that failed (outage, timeout)

    @property
    def next_offset(self) -> int | None:
        return self.offset + len(self.entries) if self.more else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None
