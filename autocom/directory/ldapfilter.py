"""LDAP search filters built from untrusted terms (RFC 4515 escaping).

Every value that comes from outside goes through :func:`escape`: the five
characters RFC 4515 reserves (``\\ * ( )`` and NUL) become ``\\5c \\2a \\28 \\29
\\00``, so ``*)(uid=*`` is looked for literally.  The filters built here are a
superset of what the query wants (slapd does not fold accents); the source
checks each entry again with :func:`autocom.directory.query.matches`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from autocom.directory.text import ACCENTED, compact, fold, keypad_letters

_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPES = {"\\": r"\5c", "*": r"\2a", "(": r"\28", ")": r"\29", "\x00": r"\00"}
NOTHING = "(!(objectClass=*))"
# slapd indexes initial substrings from 2 characters (olcIndexSubstrIfMinLen):
# a 1-letter start would make it read every entry, so the start of a word or a
# keypad prefix has 2 letters whatever their spellings, more while few
MIN_INDEXED = 2
MAX_PREFIX_VARIANTS = 8  # accented spellings of a longer start of a word, per attribute
MAX_KEYPAD_PREFIXES = 256  # letter prefixes of a keypad search beyond 2 letters
# A word inside a value is looked for as an 'any' component: slapd indexes those
# from 4 characters (olcIndexSubstrAnyLen), a separator and 3 letters; shorter,
# one branch would make slapd read every entry.
WORD_INSIDE_MIN = 3
INNER_SEPARATORS = (" ", "-", "'")  # the typographic apostrophe only in ``matches``


def escape(value: str) -> str:
    """Escape an assertion value (RFC 4515 section 3).

    A lone surrogate (half of a UTF-16 pair, what ``surrogateescape`` makes of a
    byte that is not UTF-8) has no UTF-8 form for the filter: ValueError."""
    lone = _SURROGATE.search(value)
    if lone is not None:
        raise ValueError(f"unpaired surrogate U+{ord(lone[0]):04X} in an LDAP filter value")
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def any_of(parts: Iterable[str]) -> str:
    items = list(dict.fromkeys(parts))
    if not items:
        return NOTHING
    if len(items) == 1:
        return items[0]
    return "(|" + "".join(items) + ")"


def all_of(parts: Iterable[str]) -> str:
    items = list(dict.fromkeys(parts))
    if len(items) == 1:
        return items[0]
    return "(&" + "".join(items) + ")"


def word_filter(attributes: Sequence[str], word: str) -> str:
    """Entries where some attribute has a word starting with ``word`` (a superset).

    Every branch has an initial part that slapd's substring index answers:
    the first two letters of the folded word, more while their accented
    spellings stay within MAX_PREFIX_VARIANTS, each spelt out ('lefevre' -> lef, lèf, léf...); the
    rest of the word follows as 'any' components cut at letters that may carry
    an accent: (sn=lef*vr*).  A word inside the value (after a space, a hyphen
    or an apostrophe: 'Le Gall', 'Ressources humaines') is looked for too when
    the initial part has at least WORD_INSIDE_MIN letters (slapd indexes no
    shorter 'any' component); a shorter word finds only values it starts.
    """
    folded = fold(word)
    if not folded:
        return NOTHING
    prefixes, rest = _accent_prefixes(folded)
    tail = "".join("*" + escape(piece) for piece in _pieces(rest))
    branches = [f"{escape(p)}{tail}*" for p in prefixes]
    if len(prefixes[0]) >= WORD_INSIDE_MIN:
        branches += [f"*{sep}{escape(p)}{tail}*" for sep in INNER_SEPARATORS for p in prefixes]
    return any_of(f"({attr}={value})" for attr in attributes for value in branches)


def _accent_prefixes(folded: str) -> tuple[list[str], str]:
    """The spellings of the start of ``folded`` (2 letters, more while few), and the rest."""
    out = [""]
    for index, ch in enumerate(folded):
        choices = ACCENTED.get(ch, ch)
        if index >= MIN_INDEXED and len(out) * len(choices) > MAX_PREFIX_VARIANTS:
            return out, folded[index:]
        out = [prefix + c for prefix in out for c in choices]
    return out, ""


def _pieces(rest: str) -> list[str]:
    """``rest`` cut at letters that may carry an accent on the server."""
    pieces: list[str] = []
    current = ""
    for ch in rest:
        if ch in ACCENTED:
            if current:
                pieces.append(current)
            current = ""
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def keypad_prefixes(digits: str) -> list[str]:
    """The letter prefixes (accents included) the first keypad digits may spell.

    Two digits at least, a third when the prefixes stay within
    MAX_KEYPAD_PREFIXES; the caller checks the other digits on each entry.
    """
    prefixes = [""]
    for index, digit in enumerate(digits):
        letters = keypad_letters(digit)
        if not letters:
            return []  # 0, 1, * and # spell no letter
        if index >= MIN_INDEXED and len(prefixes) * len(letters) > MAX_KEYPAD_PREFIXES:
            break
        prefixes = [p + c for p in prefixes for c in letters]
    return prefixes


def keypad_filter(attributes: Sequence[str], digits: str) -> str:
    """Entries where some attribute starts with letters the first digits may spell.

    Plain initial substrings, (sn=le*), which slapd's substring index answers;
    a name whose first two characters are not both letters (O'Neil) is found
    from the file and site sources only.
    """
    prefixes = keypad_prefixes(digits)
    return any_of(f"({attr}={escape(p)}*)" for attr in attributes for p in prefixes)


def key_filter(attribute: str, word: str) -> str:
    """Entries whose search key starts with ``word`` (folded, separators dropped).

    The key attribute holds :func:`autocom.directory.text.search_keys`: one
    indexed initial substring, (autocomSearchKey=oneil*), finds exactly what
    ``matches`` accepts for a name word or a group of keypad digits.
    """
    key = compact(fold(word))
    return f"({attribute}={escape(key)}*)" if key else NOTHING


def number_filter(attributes: Sequence[str], spellings: Iterable[str]) -> str:
    """Entries holding one of these numbers (telephoneNumberMatch ignores spaces and '-')."""
    return any_of(f"({attr}={escape(s)})" for attr in attributes for s in spellings)


def digits_filter(attributes: Sequence[str], digits: str) -> str:
    """Entries with a number containing these digits (telephoneNumberSubstringsMatch)."""
    return any_of(f"({attr}=*{escape(digits)}*)" for attr in attributes)
