"""Dial by name over the site's users: keypad-prefix search, pure."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from apps.ivr.engine import Match
from autocom.site.model import User

_KEYPAD = {
    **dict.fromkeys("abc", "2"),
    **dict.fromkeys("def", "3"),
    **dict.fromkeys("ghi", "4"),
    **dict.fromkeys("jkl", "5"),
    **dict.fromkeys("mno", "6"),
    **dict.fromkeys("pqrs", "7"),
    **dict.fromkeys("tuv", "8"),
    **dict.fromkeys("wxyz", "9"),
}


def keypad(text: str) -> str:
    """The keys that spell ``text``: 'Lefèvre' -> '533873'; other characters skipped."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(_KEYPAD[c] for c in folded if c in _KEYPAD)


def find_users(users: Iterable[User], keys: str, limit: int) -> tuple[Match, ...]:
    """Users whose family name (or 'first last') starts with ``keys``, sorted by name."""
    found = [
        u
        for u in users
        if keys and (keypad(u.name).startswith(keys) or keypad(u.first_name).startswith(keys))
    ]
    found.sort(key=lambda u: (keypad(u.name), u.name, u.first_name, u.extension))
    return tuple(Match(u.display_name, u.extension) for u in found[:limit])
