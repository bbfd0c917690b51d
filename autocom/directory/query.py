"""Parse a search term and check an entry against it: the one definition of a match.

Every source filters with :func:`matches` (the file and site sources on their
own, the LDAP source after slapd returned a superset), so the same term gives
the same answer whatever holds the entry.
"""

from __future__ import annotations

import re

from autocom.directory.model import Entry, Query
from autocom.directory.numbers import NumberPlan
from autocom.directory.text import fold, keypad_starts, starts_word

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


MAX_KEYPAD_DIGITS = 16
_KEYPAD_WORDS = re.compile(r"[\s\-'\u2019]+")


def keypad_query(digits: str) -> Query:
    """Dial by name: the digits keyed (2-9), in words when spaces separate them ('6 63').

    0, 1, * and # spell no letter and are dropped; each word must start a word
    of the family or first name, as name terms do.
    """
    words: list[str] = []
    budget = MAX_KEYPAD_DIGITS
    for part in _KEYPAD_WORDS.split(digits):
        kept = "".join(ch for ch in part if ch in "23456789")[:budget]
        if kept and len(words) < MAX_WORDS:
            words.append(kept)
            budget -= len(kept)
    return Query("keypad", words=tuple(words), digits="".join(words))


def matches(entry: Entry, query: Query, plan: NumberPlan) -> bool:
    """Name terms: every word starts a word of the name, first name or department.

    Case, accents, and the separators between words (spaces, hyphens,
    apostrophes) are ignored: 'el', 'elise' and 'anneelise' find Anne-Élise,
    'oneil' and 'o neil' find O'Neil, 'weiss' finds Weiß.  Keypad digits
    follow the same rule on the family and first name.
    """
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
    # keypad: every group of digits starts a word of the family or first name
    if not query.words:
        return False
    starts = (*keypad_starts(entry.name), *keypad_starts(entry.first_name))
    return all(any(s.startswith(group) for s in starts) for group in query.words)


def sort_key(entry: Entry) -> tuple[str, str, str]:
    return (fold(entry.name), fold(entry.first_name), entry.id)
