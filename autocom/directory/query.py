"""Parse a search term and check an entry against it: the one definition of a match.

Every source filters with :func:`matches` (the file and site sources on their
own, the LDAP source after slapd returned a superset), so the same term gives
the same answer whatever holds the entry.
"""

from __future__ import annotations

import re

from autocom.directory.model import Entry, Query
from autocom.directory.numbers import NumberPlan
from autocom.directory.text import fold, keypad, starts_word

MAX_TERM_LENGTH = 64
MAX_WORDS = 4
_DIGITS = re.compile(r"^\+?[\d\s.\-]+$")


def parse_term(term: str) -> Query:
    """'' -> all; '0388 40' -> number; 'dupont j' -> name (words folded)."""
    text = "".join(ch for ch in term if ch.isprintable())[:MAX_TERM_LENGTH].strip()
    if not text or text == "*":
        return Query("all")
    if _DIGITS.match(text):
        digits = "".join(ch for ch in text if ch.isdigit())
        if digits:
            return Query("number", digits=digits)
    words = tuple(w for w in fold(text).split() if w)[:MAX_WORDS]
    return Query("name", words=words) if words else Query("all")


def keypad_query(digits: str) -> Query:
    """Dial by name: the digits keyed, anything else dropped."""
    return Query("keypad", digits="".join(ch for ch in digits if ch in "23456789")[:16])


def matches(entry: Entry, query: Query, plan: NumberPlan) -> bool:
    """Name terms: every word starts a word of the name, first name or department."""
    if query.kind == "all":
        return True
    if query.kind == "name":
        haystack = (
            fold(entry.name),
            fold(entry.first_name),
            fold(entry.department),
        )
        return all(any(starts_word(f, word) for f in haystack) for word in query.words)
    if query.kind == "number":
        digits = query.digits
        for number in entry.numbers:
            plain = "".join(ch for ch in number.raw if ch.isdigit())
            if digits in plain:
                return True
            if number.canonical and digits in number.canonical:
                return True
            if any(digits in s for s in plan.spellings(number.canonical)):
                return True
        return False
    # keypad
    if not query.digits:
        return False
    digits = query.digits
    return keypad(entry.name).startswith(digits) or keypad(entry.first_name).startswith(digits)


def sort_key(entry: Entry) -> tuple[str, str, str]:
    return (fold(entry.name), fold(entry.first_name), entry.id)
