"""Dial by name, pure: directory entries or site users -> the matches offered.

The directory (apps/directory) does the keypad search over its sources; here
its entries become matches the IVR can put the caller through to.  The site's
users are searched here directly when the directory cannot answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from apps.ivr.engine import Match
from autocom.directory import Entry
from autocom.directory.text import keypad  # the one keypad spelling (accents folded)
from autocom.site.model import User

DIALABLE_RE = re.compile(r"^[0-9]{1,20}$")  # what the IVR may send to the dialplan


def find_users(users: Iterable[User], keys: str, limit: int) -> tuple[Match, ...]:
    """Users whose family name (or 'first last') starts with ``keys``, sorted by name."""
    found = [
        u
        for u in users
        if keys and (keypad(u.name).startswith(keys) or keypad(u.first_name).startswith(keys))
    ]
    found.sort(key=lambda u: (keypad(u.name), u.name, u.first_name, u.extension))
    return tuple(Match(u.display_name, u.extension) for u in found[:limit])


def matches_from_entries(
    entries: Iterable[Entry],
    limit: int,
    *,
    external: bool = False,
    dialable: Callable[[str], str] = lambda raw: raw,
) -> tuple[Match, ...]:
    """The entries the caller may be put through to, as matches sorted by name.

    An entry with an internal extension (digits) is offered with it.  An entry
    with only outside numbers is offered when ``external`` (the rule file's
    ``external: yes``) with its main number as ``dialable`` spells it (the
    directory's number plan: line prefix + national number); otherwise, and
    when nothing dialable is left, it is skipped.  Two entries reaching the same
    number are offered once.
    """
    found: list[Match] = []
    seen: set[str] = set()
    for entry in entries:
        match = _match_of(entry, external, dialable)
        if match is None or match.extension in seen:
            continue
        seen.add(match.extension)
        found.append(match)
    found.sort(key=lambda m: (keypad(m.name), m.name, m.extension))
    return tuple(found[:limit])


def _match_of(entry: Entry, external: bool, dialable: Callable[[str], str]) -> Match | None:
    name = entry.display_name
    if not keypad(name):  # nothing to spell to the caller
        return None
    for number in entry.numbers_of("extension"):
        digits = _digits(number.raw)
        if DIALABLE_RE.match(digits):
            return Match(name, digits)
    if not external:
        return None
    main = entry.main_number()
    if main is None:
        return None
    target = _digits(dialable(main.raw))
    return Match(name, target, external=True) if DIALABLE_RE.match(target) else None


def _digits(raw: str) -> str:
    """'20 01' -> '2001'; a '+' or letters stay, so the number is refused."""
    return "".join(c for c in raw if not c.isspace() and c not in ".-/()")
