"""Text helpers for directory matching: accent folding, phone keypad digits.

Pure functions, no I/O.  ``fold`` is what every source compares on (so
"lefevre" finds "Lefèvre" and "ELODIE" finds "Élodie"); ``keypad`` turns a
name into the digits a caller keys on a phone (dial by name).
"""

from __future__ import annotations

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
    out = []
    for ch in text.casefold():
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
            continue
        for part in unicodedata.normalize("NFKD", ch):
            if not unicodedata.combining(part):
                out.append(part)
    return "".join(out)


# what starts a word inside a name or department: 'Le Gall', 'Dupont-Moreau', "O'Neil"
WORD_SEPARATORS = (" ", "-", "'", "\u2019")


def starts_word(folded_field: str, folded_word: str) -> bool:
    """True if a word of the field starts with ``folded_word`` (both folded).

    'dup' and 'mor' start words of 'dupont-moreau'; 'pont' does not.
    """
    if folded_field.startswith(folded_word):
        return True
    return any(sep + folded_word in folded_field for sep in WORD_SEPARATORS)


def keypad(text: str) -> str:
    """The digits that spell ``text`` on a phone keypad; non-letters are skipped."""
    return "".join(KEYPAD[c] for c in fold(text) if c in KEYPAD)


def keypad_letters(digit: str) -> str:
    """Every lower-case letter (accents included) a keypad digit stands for."""
    base = "".join(k for k, v in KEYPAD.items() if v == digit)
    return "".join(dict.fromkeys("".join(ACCENTED.get(c, c) for c in base)))


def accentable(ch: str) -> bool:
    """True if an LDAP server could hold an accented form of this folded letter."""
    return ch in ACCENTED
