"""Dial by name, pure: directory entries or site users -> the matches offered.

The directory (apps/directory) does the keypad search over its sources; here
its entries become matches the IVR can put the caller through to.  The site's
users are searched here directly when the directory cannot answer, with the
directory's own rule (autocom.directory.query: ``keypad_query`` and ``matches``):
the keys start any word of the family or first name, accents and separators
ignored, so 4255 finds "Le Gall" and 663 finds "O'Neil" whichever path answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from apps.ivr.engine import Match
from autocom.directory import Entry
from autocom.directory.numbers import NumberPlan
from autocom.directory.query import keypad_query, matches
from autocom.directory.text import keypad  # the one keypad spelling (accents folded)
from autocom.site.model import User

DIALABLE_RE = re.compile(r"^[0-9]{1,20}$")  # what the IVR may send to the dialplan


_PLAN = NumberPlan()  # matches() reads a number plan for number terms only


def find_users(users: Iterable[User], keys: str, limit: int) -> tuple[Match, ...]:
    """Users whose family or first name the keypad ``keys`` spell as the directory
    reads them (the start of any word, accents and separators ignored), sorted by name."""
    query = keypad_query(keys)
    if not query.words:
        return ()
    found = [u for u in users if matches(_name_entry(u), query, _PLAN)]
    found.sort(key=lambda u: (keypad(u.name), u.name, u.first_name, u.extension))
    return tuple(Match(u.display_name, u.extension) for u in found[:limit])


def _name_entry(user: User) -> Entry:
    """The user's names as a directory entry (what a keypad search compares)."""
    return Entry(source="site", id=user.extension, name=user.name, first_name=user.first_name)


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
