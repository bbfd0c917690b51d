"""When a value of a new load counts as the one of the last load: what a reload may
keep (rights/compile.py keeps tables, transfer.py sends a table as its changes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# an equal value of these types is as good as the very object (not float: 0.0 == -0.0)
_EQUAL_IS_SAME: Final = frozenset({str, int, bytes})


def same_value(new: object, old: object) -> bool:
    """The very object, or an equal text, integer or bytes of the same type."""
    return new is old or (type(new) in _EQUAL_IS_SAME and type(old) is type(new) and new == old)


def same_keys(new: Mapping[object, object], old: Mapping[object, object]) -> bool:
    """The same keys, in the same order."""
    return len(new) == len(old) and all(map(same_value, new, old))


def same_items(new: Mapping[object, object], old: Mapping[object, object]) -> bool:
    """Tables of one type, the same keys in the same order, each with the same value
    (:func:`same_value`)."""
    return (
        type(new) is type(old)
        and same_keys(new, old)
        and all(map(same_value, new.values(), old.values()))
    )
