"""The state store interface every feature uses.

Values are strings (features store JSON when they need structure).  Keys live
in namespaces ("forwards", "speeddial", "filters", "dircache", ...).  A write
that returned is durable: SQLite commits with synchronous=FULL, Redis is the
site's to configure (AOF).  Every operation is bounded by the store's timeout
and raises StoreUnavailable when the backend cannot answer, so a hook can take
its safe path.
"""

from __future__ import annotations

import math
import re
from typing import Protocol

COUNTER_RE = re.compile(r"0|-?[1-9][0-9]*")
COUNTER_MAX = 2**63 - 1  # a counter is a signed 64-bit integer, as in Redis


class StoreError(Exception):
    """Base of state store errors."""


class StoreUnavailable(StoreError):
    """The backend did not answer (down, timed out, locked)."""


class StoreClosed(StoreError):
    """The store was closed; opening a new one is the caller's job."""


def check_args(namespace: str, ttl: float | None = None) -> None:
    """Refuse what every backend must refuse the same way (a bug in the caller).

    A namespace is a non-empty name without ':' (Redis keys are
    ``<prefix>:<namespace>:<key>``, so a ':' would make two namespaces collide);
    keys may hold any character.  A ttl is a finite number of seconds > 0.
    """
    if not namespace or ":" in namespace:
        raise ValueError(f"bad store namespace {namespace!r}: write a non-empty name without ':'")
    check_text("namespace", namespace)
    if ttl is not None and not (ttl > 0 and math.isfinite(ttl)):
        raise ValueError(f"bad ttl {ttl!r}: write a number of seconds > 0, or None to keep")


def check_key(namespace: str, key: str, what: str = "key") -> None:
    """The arguments of get and delete (and of items, with ``what="prefix"``)."""
    check_args(namespace)
    check_text(what, key)


def check_entry(namespace: str, key: str, value: str, ttl: float | None) -> None:
    """The arguments of set: a valid namespace and ttl, a str value, valid text."""
    check_args(namespace, ttl)
    if not isinstance(value, str):
        raise TypeError(f"store values are str, not {type(value).__name__}: encode it first")
    check_text("key", key)
    check_text("value", value)


def next_count(namespace: str, key: str, value: str | None) -> int:
    """What ``incr`` makes of the stored value (None: absent or expired).

    Reads a counter as Redis does: ``0`` or an optional ``-`` then digits
    without a leading zero, in the signed 64-bit range; anything else (a
    value written by ``set``: ``"01"``, ``" 1"``, ``"1.0"``, ``"abc"``, ``""``)
    raises StoreError, as does going past the range, so every backend answers
    the same.
    """
    if value is None:
        return 1
    if len(value) > 20 or COUNTER_RE.fullmatch(value) is None:
        raise StoreError(not_a_counter(namespace, key, value))
    count = int(value)
    if not -COUNTER_MAX - 1 <= count < COUNTER_MAX:
        raise StoreError(not_a_counter(namespace, key, value))
    return count + 1


def not_a_counter(namespace: str, key: str, value: str | None) -> str:
    shown = "" if value is None else f" holds {value[:40]!r}:"
    return (
        f"incr {namespace}/{key!r}:{shown} not an integer counter (or past 2**63-1);"
        " delete it, or keep counters in keys that only incr writes"
    )


def check_text(what: str, text: str) -> None:
    """Refuse a key or value that is not valid Unicode (every backend stores UTF-8).

    Text decoded with ``surrogateescape`` (the AGI parser does, for bytes that
    are not UTF-8, e.g. a forged caller id) holds lone surrogates: validate such
    input before it becomes a key.
    """
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"store {what} {text[:40]!r} is not valid Unicode (lone surrogate, e.g. from"
                " undecodable caller-id bytes): validate or escape it before storing"
            ) from None


class StateStore(Protocol):
    async def get(self, namespace: str, key: str) -> str | None:
        """The value, or None if unset or expired."""
        ...

    async def set(self, namespace: str, key: str, value: str, ttl: float | None = None) -> None:
        """Store value; with ttl (seconds) it expires after that."""
        ...

    async def incr(self, namespace: str, key: str, ttl: float | None = None) -> int:
        """Add 1 to the integer counter at key, atomically, and return the new count.

        An absent (or expired) key starts at 0, so the first call returns 1 and
        that call alone sets ``ttl``: the key expires ``ttl`` seconds after it
        was created, whatever later calls say (a window that starts at the
        first event).  A key written by ``set`` with a value that is not an
        integer raises StoreError (not StoreUnavailable).  No increment is
        lost however many callers, connections, processes or servers sharing
        the backend call at once; a call that raised StoreUnavailable may or
        may not have counted.
        """
        ...

    async def delete(self, namespace: str, key: str) -> bool:
        """Remove the key; True if it existed."""
        ...

    async def items(self, namespace: str, prefix: str = "") -> dict[str, str]:
        """Every live key (starting with prefix) of the namespace, with its value."""
        ...

    async def ping(self) -> bool:
        """True if the backend answers now."""
        ...

    async def close(self) -> None: ...
