"""Number patterns: Asterisk pattern syntax and plain prefixes, with specificity.

Two ways to write a pattern:

- ``_0[67]XXXXXXXX``: an Asterisk pattern (leading ``_``). ``X`` is any digit,
  ``Z`` 1-9, ``N`` 2-9, ``[1-5]`` / ``[135]`` a set; ``.`` at the end means
  "one or more further characters", ``!`` "zero or more". Without ``.``/``!``
  the pattern matches numbers of exactly its length (``_112`` is 112 only).
- ``06``: plain digits are a prefix (``06`` matches 06 and everything after it;
  it is the Asterisk pattern ``_06!``).

Specificity (which pattern wins when several match a number): compare the two
patterns character by character along the number; at the first position where
they differ, the one allowing fewer characters there wins (a literal digit
beats ``[1-5]``, which beats ``N``, which beats ``X``, which beats a trailing
wildcard). When every position is equal, a pattern without wildcard beats
``.``, which beats ``!``. Two patterns of different categories that match a
common number with the same specificity are ambiguous: ``check`` reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from autocom.site.patterns import parse_pattern

ALPHABET = "0123456789*#"
_DIALABLE = frozenset(ALPHABET)
_PATTERN_CHARS = frozenset(ALPHABET + "XZN[]-.!")
WILDCARD_SIZE = 1000  # a position covered only by a trailing wildcard
_TAIL_RANK = {"": 0, ".": 1, "!": 2}


@dataclass(frozen=True)
class Pattern:
    """A parsed pattern: one character set per position, then an optional wildcard."""

    text: str  # as written
    sets: tuple[frozenset[str], ...]
    tail: str  # "" (exact length), "." (one or more), "!" (zero or more)
    regex: re.Pattern[str]

    @classmethod
    def parse(cls, text: str) -> Pattern:
        if not text:
            raise ValueError("empty pattern: write digits like '06' or '_0[67]XXXXXXXX'")
        if not text.startswith("_"):
            bad = [c for c in text if c not in ALPHABET]
            if bad:
                raise ValueError(
                    f"pattern {text!r}: {bad[0]!r} is not a digit, * or #; "
                    "an Asterisk pattern starts with '_' (e.g. '_0[67]XXXXXXXX')"
                )
            sets = tuple(frozenset(c) for c in text)
            return cls._make(text, sets, "!")
        bad = [c for c in text[1:] if c.upper() not in _PATTERN_CHARS]
        if bad:
            raise ValueError(
                f"pattern {text!r}: {bad[0]!r} is not allowed "
                "(use digits, * #, X Z N, [1-5], and . or ! at the end)"
            )
        parsed = parse_pattern(text)  # the one Asterisk pattern parser (autocom.site)
        if not parsed.positions:
            raise ValueError(f"pattern {text!r}: write at least one digit or set after '_'")
        for chars in parsed.positions:
            if not chars <= _DIALABLE:
                raise ValueError(f"pattern {text!r}: a set may hold only digits, * and #")
        return cls._make(text, parsed.positions, parsed.tail)

    @classmethod
    def _make(cls, text: str, sets: tuple[frozenset[str], ...], tail: str) -> Pattern:
        parts = ["[" + "".join(re.escape(c) for c in sorted(s)) + "]" for s in sets]
        rest = {"": "", ".": "[0-9*#]+", "!": "[0-9*#]*"}[tail]
        return cls(text, sets, tail, re.compile("".join(parts) + rest))

    def matches(self, number: str) -> bool:
        return self.regex.fullmatch(number) is not None

    def key(self, number: str) -> tuple[int, ...]:
        """Specificity along ``number`` (smaller is more specific); only for a match."""
        sizes = [len(s) for s in self.sets]
        sizes.extend([WILDCARD_SIZE] * (len(number) - len(self.sets)))
        sizes.append(_TAIL_RANK[self.tail])
        return tuple(sizes)

    def ambiguous_with(self, other: Pattern) -> bool:
        """True if some number matches both with the same specificity."""
        if self.tail != other.tail or len(self.sets) != len(other.sets):
            return False
        return all(len(a) == len(b) and a & b for a, b in zip(self.sets, other.sets, strict=True))

    def __str__(self) -> str:
        return self.text
