"""Finding users for the helpdesk: pure, over the site's users."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from autocom.site.model import User

LIMIT = 20


def fold(text: str) -> str:
    """Lower case without accents: 'Lefèvre' -> 'lefevre'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# The folded text of each user of the last site searched (the site's tuple of users
# is kept, so its id cannot be reused by another tuple while it is cached).
_folded: tuple[tuple[User, ...], list[tuple[User, str]]] | None = None


def _index(users: tuple[User, ...]) -> list[tuple[User, str]]:
    global _folded
    if _folded is None or _folded[0] is not users:
        index = [
            (u, "\n".join(fold(text) for text in (u.name, u.first_name, u.department)))
            for u in users
        ]
        _folded = (users, index)
    return _folded[1]


def find_users(users: Iterable[User], query: str, limit: int = LIMIT) -> list[User]:
    """Users whose extension starts with ``query`` or whose name, first name or
    department contains it (accents and case ignored), at most ``limit``, by extension."""
    wanted = fold(query.strip())
    if not wanted or "\n" in wanted:
        return []
    everyone = users if isinstance(users, tuple) else tuple(users)
    found = [u for u, text in _index(everyone) if u.extension.startswith(wanted) or wanted in text]
    return sorted(found, key=lambda u: u.extension)[:limit]
