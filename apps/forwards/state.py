"""Forward state in the state store: namespace "forwards", one key per user and type.

Key ``<extension>:<type>`` (e.g. ``2001:unconditional``), value JSON
``{"destination": "0612345678", "enabled": true}``.  One key per type keeps
writes small and independent: two servers changing two types of the same
user never overwrite each other.  A turned-off forward keeps its destination,
so dialing the code alone turns it back on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from apps.forwards.engine import Forward
from apps.forwards.rules import FORWARD_TYPES, ForwardType
from autocom.store import codec
from autocom.store.base import StateStore
from autocom.store.last_known import LastKnown, Recalled

NAMESPACE = "forwards"


def _key(user: str, ftype: ForwardType) -> str:
    return f"{user}:{ftype}"


def encode(fwd: Forward) -> str:
    return codec.encode({"destination": fwd.destination, "enabled": fwd.enabled})


def decode(value: str) -> Forward | None:
    """A stored value, or None if it is not one we wrote (ignored, never fatal)."""
    data = codec.decode(value)
    if data is None:
        return None
    dest, enabled = data.get("destination"), data.get("enabled")
    if not isinstance(dest, str) or not isinstance(enabled, bool):
        return None
    return Forward(dest, enabled)


def _parse(items: Mapping[str, str]) -> dict[str, dict[ForwardType, Forward]]:
    out: dict[str, dict[ForwardType, Forward]] = {}
    for key, value in items.items():
        user, _, raw_type = key.partition(":")
        for ftype in FORWARD_TYPES:
            if raw_type == ftype:
                fwd = decode(value)
                if fwd is not None:
                    out.setdefault(user, {})[ftype] = fwd
    return out


async def _get(store: StateStore, user: str, ftype: ForwardType) -> Forward | None:
    value = await store.get(NAMESPACE, _key(user, ftype))
    return decode(value) if value is not None else None


async def load(store: StateStore, user: str) -> dict[ForwardType, Forward]:
    """Every forward of ``user``: one GET per type, at once.

    Never ``store.items(prefix)`` here: a feature code runs on a live call, and
    on Redis ``items`` walks SCAN over the whole database.
    """
    found = await asyncio.gather(*(_get(store, user, ftype) for ftype in FORWARD_TYPES))
    return {ftype: fwd for ftype, fwd in zip(FORWARD_TYPES, found, strict=True) if fwd is not None}


async def load_type(store: StateStore, user: str, ftype: ForwardType) -> dict[ForwardType, Forward]:
    """Only the forward of one type (what a ring-time decision needs): one GET."""
    fwd = await _get(store, user, ftype)
    return {ftype: fwd} if fwd is not None else {}


async def recall_type(
    memory: LastKnown, store: StateStore, user: str, ftype: ForwardType
) -> tuple[dict[ForwardType, Forward], Recalled]:
    """``load_type`` through ``memory``: when the store does not answer, the forward
    this server last saw (``Recalled.stale``), never "no forward" by default."""
    recalled = await memory.get(store, NAMESPACE, _key(user, ftype))
    fwd = decode(recalled.value) if recalled.value is not None else None
    return ({ftype: fwd} if fwd is not None else {}), recalled


def remember(
    memory: LastKnown,
    user: str,
    forwards: Mapping[ForwardType, Forward],
    types: Iterable[ForwardType] = FORWARD_TYPES,
) -> None:
    """Keep what was read or written for ``user`` (a type not in ``forwards``: none)."""
    for ftype in types:
        fwd = forwards.get(ftype)
        memory.remember(NAMESPACE, _key(user, ftype), encode(fwd) if fwd is not None else None)


async def snapshot(memory: LastKnown, store: StateStore) -> bool:
    """Every user's forwards into ``memory`` (at start; a SCAN on Redis, never on a call)."""
    return await memory.snapshot(store, NAMESPACE)


async def load_all(store: StateStore) -> dict[str, dict[ForwardType, Forward]]:
    """Every user's forwards, for `autocom forwards list` (a SCAN on Redis: never on a call)."""
    return _parse(await store.items(NAMESPACE))


DND_KEY = "dnd"  # key <extension>:dnd, value JSON {"enabled": true}


async def save_dnd(store: StateStore, user: str, on: bool) -> None:
    await store.set(NAMESPACE, f"{user}:{DND_KEY}", codec.encode({"enabled": on}))


def remember_dnd(memory: LastKnown, user: str, on: bool) -> None:
    memory.remember(NAMESPACE, f"{user}:{DND_KEY}", codec.encode({"enabled": on}))


async def recall_dnd(memory: LastKnown, store: StateStore, user: str) -> tuple[bool, Recalled]:
    """Whether ``user`` has do-not-disturb on, through ``memory`` (last known in an outage)."""
    recalled = await memory.get(store, NAMESPACE, f"{user}:{DND_KEY}")
    data = codec.decode(recalled.value) if recalled.value is not None else None
    return (data is not None and data.get("enabled") is True), recalled


async def save(store: StateStore, user: str, changes: Mapping[ForwardType, Forward]) -> None:
    for ftype, fwd in changes.items():
        await store.set(NAMESPACE, _key(user, ftype), encode(fwd))


async def clear(store: StateStore, user: str) -> int:
    """Forget every forward of ``user`` (destinations too); the number removed."""
    removed = 0
    for ftype in FORWARD_TYPES:
        if await store.delete(NAMESPACE, _key(user, ftype)):
            removed += 1
    return removed
