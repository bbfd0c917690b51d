"""Text helpers for directory matching: accent folding, phone keypad digits.

Pure functions, no I/O.  ``fold`` is what every source compares on (so
"lefevre" finds "Lefèvre" and "ELODIE" finds "Élodie"); ``keypad`` turns a
name into the digits a caller keys on a phone (dial by name); ``starts_word``
and ``keypad_starts`` say where a term may match (the start of any word,
separators ignored); ``search_keys`` is the same rule written out for an LDAP
attribute a server can index.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPECIAL = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "\u0131": "i", "þ": "th"}

KEYPAD = {
    **dict.fromkeys("abc", "2"),
    **dict.fromkeys("def", "3"),
    **dict.fromkeys("ghi", "4"),
    **dict.fromkeys("jkl", "5"),
    **dict.fromkeys("mno", "6"),
    **dict.fromkeys("pqrs", "7"),
    **dict.fromkeys("tuv", "8"),
    **dict.fromkeys("wxyz", "9"),
}

# Lower-case letters an LDAP server may hold for each base letter (slapd
# compares case-insensitively but does not fold accents).
ACCENTED = {
    "a": "aàâäáã",
    "c": "cç",
    "e": "eéèêë",
    "i": "iîïí",
    "o": "oôöóø",
    "u": "uùûüú",
    "y": "yÿ",
    "n": "nñ",
}


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents: 'Élodie Lefèvre-Schœlcher' -> 'elodie lefevre-schoelcher'."""
    lowered = text.casefold()
    if lowered.isascii():  # nothing to fold further: most names, every term typed
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    if any(ch in _SPECIAL for ch in decomposed):  # œ, ø, ... (and ǿ, which holds ø)
        return _fold_each(lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _fold_each(lowered: str) -> str:
    """``fold`` a character at a time: the special letters first, then the accents."""
    out = []
    for ch in lowered:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
            continue
        for part in unicodedata.normalize("NFKD", ch):
            if not unicodedata.combining(part):
                out.append(part)
    return "".join(out)


# what separates the words of a name or department: 'Le Gall', 'Dupont-Moreau', "O'Neil"
_SEPARATORS = re.compile(r"[\s\-'\u2019\u02bc\u2010\u2011\u2013]+")
MAX_WORDS_OF_FIELD = 12  # a field's word starts are bounded (a long department name)


def words_of(folded: str) -> list[str]:
    """The words of a folded field, split on spaces, hyphens and apostrophes."""
    return [w for w in _SEPARATORS.split(folded) if w]


def compact(folded: str) -> str:
    """A folded term without its separators: "o'neil" -> 'oneil', 'anne-elise' -> 'anneelise'."""
    return "".join(words_of(folded))


@lru_cache(maxsize=65536)
def word_starts(folded: str) -> tuple[str, ...]:
    """The field read from the start of each of its words, separators dropped.

    "anne-elise" -> ('anneelise', 'elise'); "o'neil" -> ('oneil', 'neil').  A
    term matches the field when it starts one of these: the start of any word,
    going on across the separators ('oneil', 'o', 'neil', 'el', 'elise').
    """
    words = words_of(folded)[:MAX_WORDS_OF_FIELD]
    return tuple("".join(words[i:]) for i in range(len(words)))


def starts_word(folded_field: str, folded_word: str) -> bool:
    """True if ``folded_word`` (separators ignored) starts a word of the field (both folded).

    'dup', 'mor' and 'dupontmor' start words of 'dupont-moreau'; 'pont' does not.
    """
    word = compact(folded_word)
    return bool(word) and any(start.startswith(word) for start in word_starts(folded_field))


def keypad_starts(text: str) -> tuple[str, ...]:
    """The keypad digits of ``text`` read from the start of each word (T9 twin of word_starts)."""
    return tuple(_keypad_folded(start) for start in word_starts(fold(text)))


def search_keys(name: str, first_name: str = "", department: str = "") -> tuple[str, ...]:
    """The values of the LDAP search-key attribute for one person (docs/directory.md).

    The word starts of the folded name, first name and department, and the
    keypad digits of those of the name and first name: the server finds a term
    with one indexed initial substring, (autocomSearchKey=oneil*), exactly
    what :func:`starts_word` and :func:`keypad_starts` accept.
    """
    keys: list[str] = []
    for text in (name, first_name, department):
        keys.extend(word_starts(fold(text)))
    for text in (name, first_name):
        keys.extend(keypad_starts(text))
    return tuple(dict.fromkeys(k for k in keys if k))


def keypad(text: str) -> str:
    """The digits that spell ``text`` on a phone keypad; non-letters are skipped."""
    return _keypad_folded(fold(text))


def _keypad_folded(folded: str) -> str:
    return "".join(KEYPAD[c] for c in folded if c in KEYPAD)


def keypad_letters(digit: str) -> str:
    """Every lower-case letter (accents included) a keypad digit stands for."""
    base = "".join(k for k, v in KEYPAD.items() if v == digit)
    return "".join(dict.fromkeys("".join(ACCENTED.get(c, c) for c in base)))


def accentable(ch: str) -> bool:
    """True if an LDAP server could hold an accented form of this folded letter."""
    return ch in ACCENTED
