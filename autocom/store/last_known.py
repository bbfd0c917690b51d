"""The last value this server saw of each state key, to decide through an outage.

A forward or a boss's filter read from the state store is also kept here; when
the store does not answer (Redis down or hung), the hook decides on that last
known value instead of "no forward" or the rule file's default, and says so to
the dialplan (``AUTOCOM_DEGRADED=store``).  Values come from this server's own
reads and writes, and from a snapshot of a namespace a feature takes at start
(``remember_namespace``).  Bounded: the least recently used keys go first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from autocom.store.base import StateStore, StoreError

__all__ = ["LastKnown", "Recalled"]


@dataclass(frozen=True, slots=True)
class Recalled:
    """A value read from the store, or recalled when the store did not answer."""

    value: str | None  # None: no value (not set, or never seen during an outage)
    stale: bool = False  # the store did not answer: this is the last value seen here
    known: bool = True  # False: the store did not answer and this server never saw the key
    error: str = ""  # why the store did not answer


class LastKnown:
    """Bounded memory of (namespace, key) -> value (None: known to be unset)."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[tuple[str, str], str | None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._values)

    def remember(self, namespace: str, key: str, value: str | None) -> None:
        values = self._values
        values[(namespace, key)] = value
        values.move_to_end((namespace, key))
        while len(values) > self.max_entries:
            values.popitem(last=False)

    def remember_namespace(self, namespace: str, items: Mapping[str, str]) -> None:
        """A whole namespace as read (``store.items``): keys not in it are unset."""
        for ns, key in [k for k in self._values if k[0] == namespace and k[1] not in items]:
            self._values[(ns, key)] = None
        for key, value in items.items():
            self.remember(namespace, key, value)

    def recall(self, namespace: str, key: str) -> tuple[bool, str | None]:
        """(known, value) without asking the store."""
        try:
            return True, self._values[(namespace, key)]
        except KeyError:
            return False, None

    async def get(self, store: StateStore, namespace: str, key: str) -> Recalled:
        """``store.get``, remembered; when the store fails, the last value seen here."""
        try:
            value = await store.get(namespace, key)
        except StoreError as exc:
            known, value = self.recall(namespace, key)
            return Recalled(value, stale=True, known=known, error=str(exc))
        self.remember(namespace, key, value)
        return Recalled(value)

    async def set(self, store: StateStore, namespace: str, key: str, value: str) -> None:
        """``store.set`` (StoreError raised as is), remembered once written."""
        await store.set(namespace, key, value)
        self.remember(namespace, key, value)

    async def snapshot(self, store: StateStore, namespace: str) -> bool:
        """Remember a whole namespace (at a feature's start); False if the store failed."""
        try:
            items = await store.items(namespace)
        except StoreError:
            return False
        self.remember_namespace(namespace, items)
        return True
