"""LDAP search filters built from untrusted terms (RFC 4515 escaping).

Every value that comes from outside goes through :func:`escape`: the five
characters RFC 4515 reserves (``\\ * ( )`` and NUL) become ``\\5c \\2a \\28 \\29
\\00``, so ``*)(uid=*`` is looked for literally.  The filters built here are a
superset of what the query wants (slapd does not fold accents); the source
checks each entry again with :func:`autocom.directory.query.matches`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from autocom.directory.text import ACCENTED, fold, keypad_letters

_ESCAPES = {"\\": r"\5c", "*": r"\2a", "(": r"\28", ")": r"\29", "\x00": r"\00"}
MAX_ALTERNATIVES = 64


def escape(value: str) -> str:
    """Escape an assertion value (RFC 4515 section 3)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def any_of(parts: Iterable[str]) -> str:
    items = list(dict.fromkeys(parts))
    if not items:
        return "(!(objectClass=*))"  # matches nothing
    if len(items) == 1:
        return items[0]
    return "(|" + "".join(items) + ")"


def all_of(parts: Iterable[str]) -> str:
    items = list(dict.fromkeys(parts))
    if len(items) == 1:
        return items[0]
    return "(&" + "".join(items) + ")"


def word_filter(attributes: Sequence[str], word: str) -> str:
    """Entries where some attribute contains ``word`` (accents folded, as a superset).

    The folded word is cut at letters that may carry an accent on the server;
    the pieces left become ordered substring components: 'lefevre' ->
    (sn=*l*f*vr*), which matches 'Lefèvre'.  A word made only of such letters
    is looked for as typed, plus its accented spellings when few.
    """
    folded = fold(word)
    pieces: list[str] = []
    current = ""
    for ch in folded:
        if ch in ACCENTED:
            if current:
                pieces.append(current)
            current = ""
        else:
            current += ch
    if current:
        pieces.append(current)
    values: list[str] = []
    if pieces:
        values.append("*" + "*".join(escape(p) for p in pieces) + "*")
    else:
        for variant in _variants(folded):
            values.append("*" + escape(variant) + "*")
    return any_of(f"({attr}={value})" for attr in attributes for value in values)


def _variants(folded: str) -> list[str]:
    out = [""]
    for ch in folded:
        choices = ACCENTED.get(ch, ch)
        if len(out) * len(choices) > MAX_ALTERNATIVES:
            return [folded]
        out = [prefix + c for prefix in out for c in choices]
    return out


def keypad_filter(attributes: Sequence[str], digits: str) -> str:
    """Entries where some attribute starts with letters a keypad prefix may spell.

    The first letter is an initial component, the next ones 'any' components
    (names like O'Neil or Da Silva have non-letters between), as many digits as
    keep the alternatives under MAX_ALTERNATIVES per attribute.
    """
    prefixes = [""]
    for index, digit in enumerate(digits):
        letters = keypad_letters(digit)
        if not letters:
            return "(!(objectClass=*))"  # 0, 1, * and # spell no letter
        if index > 0 and len(prefixes) * len(letters) > MAX_ALTERNATIVES:
            break
        sep = "" if index == 0 else "*"
        prefixes = [p + sep + escape(c) for p in prefixes for c in letters]
    return any_of(f"({attr}={p}*)" for attr in attributes for p in prefixes)


def number_filter(attributes: Sequence[str], spellings: Iterable[str]) -> str:
    """Entries holding one of these numbers (telephoneNumberMatch ignores spaces and '-')."""
    return any_of(f"({attr}={escape(s)})" for attr in attributes for s in spellings)


def digits_filter(attributes: Sequence[str], digits: str) -> str:
    """Entries with a number containing these digits (telephoneNumberSubstringsMatch)."""
    return any_of(f"({attr}=*{escape(digits)}*)" for attr in attributes)
