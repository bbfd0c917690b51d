"""Sources + the admin's overrides -> one site document (pure: no I/O).

Sources are taken in the order sync.yaml lists them.  The first source that
gives a user (an extension with a context) creates it; a later source only
fills the fields still empty (the HR directory gives the department a Wazo
user lacks).  Records without a context only complete.  The same extension
twice in one source is an error: the sync stops and the last good site keeps
serving.  The overrides come last and win: fields they give replace the
sources', ``exclude`` drops extensions, users and groups no source has are
added.  ``manager`` values that name another record (its LDAP DN or uid)
become the manager's extension.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from autocom.site.sync.records import (
    USER_FIELDS,
    ContextRecord,
    DidRecord,
    GroupRecord,
    SourceData,
    UserRecord,
)
from autocom.site.sync.settings import Overrides


class MergeError(Exception):
    """The sources contradict each other in a way no rule settles."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Merged:
    document: dict[str, Any]  # site.yaml's shape, ready for Site.model_validate
    notes: tuple[str, ...]


def _fill(first: UserRecord, other: UserRecord) -> UserRecord:
    """``first`` with the fields it lacks taken from ``other``."""
    changes = {f: getattr(other, f) for f in USER_FIELDS if not getattr(first, f)}
    return replace(first, **{k: v for k, v in changes.items() if v})


def _duplicates(data: SourceData) -> list[str]:
    problems = []
    seen: dict[str, str] = {}
    records: list[UserRecord | GroupRecord] = [*data.users, *data.groups]
    for rec in records:
        if rec.extension in seen:
            problems.append(
                f"{data.source}: extension {rec.extension} is given twice "
                f"({seen[rec.extension]} and {rec.origin})"
            )
        else:
            seen[rec.extension] = rec.origin
    return problems


def merge_users(sources: Sequence[SourceData]) -> tuple[dict[str, UserRecord], list[str]]:
    users: dict[str, UserRecord] = {}
    notes: list[str] = []
    for data in sources:
        unmatched = 0
        for rec in data.users:
            known = users.get(rec.extension)
            if known is not None:
                users[rec.extension] = _fill(known, rec)
            elif rec.context:
                users[rec.extension] = rec
            else:
                unmatched += 1
        if unmatched:
            notes.append(f"{data.source}: {unmatched} people match no user's extension")
    return users, notes


def resolve_managers(users: dict[str, UserRecord], sources: Sequence[SourceData]) -> list[str]:
    """Turn manager DNs or uids into extensions, in place; unknown managers are dropped."""
    names = [
        n for d in sources for r in d.users for n in ((r.ref, r.extension), (r.uid, r.extension))
    ]
    by_uid = {ref.casefold(): ext for ref, ext in names if ref}
    dropped = 0
    for ext, rec in users.items():
        if not rec.manager:
            continue
        target = rec.manager if rec.manager in users else by_uid.get(rec.manager.casefold())
        if target is None or target == ext or target not in users:
            dropped += 1
            target = ""
        users[ext] = replace(rec, manager=target)
    return [f"{dropped} managers are no user of the site: left out"] if dropped else []


def _first_by(key: str, records: Sequence[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rec in records:
        out.setdefault(getattr(rec, key), rec)
    return out


def _user_doc(rec: UserRecord) -> dict[str, Any]:
    doc: dict[str, Any] = {"extension": rec.extension, "name": rec.name or rec.extension}
    for f in USER_FIELDS[1:]:
        value = getattr(rec, f)
        if value:
            doc[f] = list(value) if isinstance(value, tuple) else value
    return doc


def _group_doc(rec: GroupRecord) -> dict[str, Any]:
    return {
        "extension": rec.extension,
        "name": rec.name,
        "context": rec.context,
        "members": list(rec.members),
        "strategy": rec.strategy,
        "ring_time": rec.ring_time,
    }


def _context_doc(rec: ContextRecord, dids: Sequence[DidRecord]) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": rec.name, "kind": rec.kind}
    for f in ("users", "groups", "conferences", "include"):
        if getattr(rec, f):
            doc[f] = list(getattr(rec, f))
    mine = [
        {"number": d.number, "destination": d.destination} for d in dids if d.context == rec.name
    ]
    if mine:
        doc["dids"] = mine
    return doc


def _plain(value: Any) -> Any:
    """An override's value as site.yaml data (models to mappings, tuples to lists)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_none=True)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _apply(entries: dict[str, dict[str, Any]], key: str, overrides: Sequence[Any]) -> list[str]:
    """Overrides on entries keyed by ``key``: given fields replace, new entries are added."""
    problems = []
    for item in overrides:
        given = {f: _plain(getattr(item, f)) for f in type(item).model_fields}
        given = {k: v for k, v in given.items() if v is not None}
        name = given[key]
        if name in entries:
            entries[name].update(given)
        elif "name" in given and ("context" in given or key == "name"):
            entries[name] = given
        else:
            where = f" ({item.source})" if item.source else ""
            problems.append(
                f"override {name}{where}: no source has it; give name and context to add it"
            )
    return problems


def _kept_dids(sources: Sequence[SourceData], rings: set[str], notes: list[str]) -> list[DidRecord]:
    """The DIDs (first source wins) whose destination is a user or group kept."""
    found = _first_by("number", [x for d in sources for x in d.dids]).values()
    kept = [d for d in found if d.destination in rings]
    if len(kept) < len(found):
        notes.append(f"{len(found) - len(kept)} DIDs ring no user or group of the site: left out")
    return kept


def _source_documents(
    sources: Sequence[SourceData], excluded: set[str], notes: list[str]
) -> tuple[dict[str, dict[str, Any]], ...]:
    """Users, groups and contexts of the sources as site.yaml mappings, by key."""
    users, user_notes = merge_users(sources)
    notes += user_notes
    notes += resolve_managers(users, sources)
    notes += [n for d in sources for n in d.notes]
    groups = _first_by("extension", [g for d in sources for g in d.groups])
    contexts = _first_by("name", [c for d in sources for c in d.contexts])
    user_docs = {e: _user_doc(r) for e, r in users.items() if e not in excluded}
    group_docs = {e: _group_doc(g) for e, g in groups.items() if e not in excluded}
    dids = _kept_dids(sources, user_docs.keys() | group_docs.keys(), notes)
    context_docs = {n: _context_doc(c, dids) for n, c in contexts.items()}
    return user_docs, group_docs, context_docs


def merge(sources: Sequence[SourceData], overrides: Overrides, site_name: str = "site") -> Merged:
    """The site document the sources and overrides describe; MergeError if they clash."""
    problems = [p for data in sources for p in _duplicates(data)]
    if problems:
        raise MergeError(problems)
    notes: list[str] = []
    users, groups, contexts = _source_documents(sources, set(overrides.exclude), notes)
    problems += _apply(contexts, "name", overrides.contexts)
    problems += _apply(users, "extension", overrides.users)
    problems += _apply(groups, "extension", overrides.groups)
    if problems:
        raise MergeError(problems)
    for doc in groups.values():  # members the overrides excluded are no users
        doc["members"] = [m for m in doc.get("members", []) if m in users]
    document = {
        "name": overrides.name or site_name,
        "contexts": list(contexts.values()),
        "users": list(users.values()),
        "groups": list(groups.values()),
    }
    if overrides.tandems:
        document["tandems"] = _plain(overrides.tandems)
    return Merged(document, tuple(notes))
