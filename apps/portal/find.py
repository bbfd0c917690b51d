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


def find_users(users: Iterable[User], query: str, limit: int = LIMIT) -> list[User]:
    """Users whose extension starts with ``query`` or whose name, first name or
    department contains it (accents and case ignored), at most ``limit``, by extension."""
    wanted = fold(query.strip())
    if not wanted:
        return []
    found: list[User] = []
    for user in users:
        if user.extension.startswith(wanted) or any(
            wanted in fold(text) for text in (user.name, user.first_name, user.department)
        ):
            found.append(user)
    return sorted(found, key=lambda u: u.extension)[:limit]
