"""The one codec of values features keep in the state store: a JSON object per key.

``encode`` writes the fields; ``decode`` reads back a JSON object we wrote, or
None for anything else (not JSON, not an object), so a foreign or damaged value
is skipped by the feature, never fatal. Each feature checks its own fields'
types on the mapping ``decode`` returns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def encode(fields: Mapping[str, Any], *, ascii_only: bool = True) -> str:
    """The stored text of ``fields`` (``ascii_only=False`` keeps accents as written)."""
    return json.dumps(dict(fields), ensure_ascii=ascii_only)


def decode(value: str | None) -> dict[str, Any] | None:
    """The JSON object stored in ``value``, or None when it is not one."""
    if value is None:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
