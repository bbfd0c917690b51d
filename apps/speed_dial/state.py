"""Personal speed dials in the state store: namespace "speeddial".

Key ``<extension>:<slot>`` (e.g. ``2001:07``), value JSON
``{"number": "0612345678", "label": "Maman"}``.  One key per slot, so two
servers storing two slots of the same user never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Mapping

from apps.speed_dial.engine import PersonalEntry
from autocom.store import codec
from autocom.store.base import StateStore

NAMESPACE = "speeddial"


def encode(entry: PersonalEntry) -> str:
    return codec.encode({"number": entry.number, "label": entry.label}, ascii_only=False)


def decode(value: str) -> PersonalEntry | None:
    """A stored value, or None if it is not one we wrote (ignored, never fatal)."""
    data = codec.decode(value)
    if data is None:
        return None
    number, label = data.get("number"), data.get("label", "")
    if not isinstance(number, str) or not number.isdigit() or not isinstance(label, str):
        return None
    return PersonalEntry(number, label)


def parse_items(items: Mapping[str, str]) -> dict[str, dict[str, PersonalEntry]]:
    """Store items -> user -> slot -> entry (foreign keys and values skipped)."""
    out: dict[str, dict[str, PersonalEntry]] = {}
    for key, value in items.items():
        user, _, slot = key.partition(":")
        if not (user and len(slot) == 2 and slot.isdigit()):
            continue
        entry = decode(value)
        if entry is not None:
            out.setdefault(user, {})[slot] = entry
    return out


async def load(store: StateStore, user: str) -> dict[str, PersonalEntry]:
    return parse_items(await store.items(NAMESPACE, f"{user}:")).get(user, {})


async def load_slot(store: StateStore, user: str, slot: str) -> dict[str, PersonalEntry]:
    """Only one slot (what dialing **07 needs): one store round trip."""
    value = await store.get(NAMESPACE, f"{user}:{slot}")
    entry = decode(value) if value is not None else None
    return {slot: entry} if entry is not None else {}


async def load_all(store: StateStore) -> dict[str, dict[str, PersonalEntry]]:
    return parse_items(await store.items(NAMESPACE))


async def apply(store: StateStore, user: str, changes: Mapping[str, PersonalEntry | None]) -> None:
    for slot, entry in changes.items():
        if entry is None:
            await store.delete(NAMESPACE, f"{user}:{slot}")
        else:
            await store.set(NAMESPACE, f"{user}:{slot}", encode(entry))
