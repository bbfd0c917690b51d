"""VIP entries: a number, an extension or an Asterisk pattern (autocom.site.patterns).

A VIP entry is a number or extension written as is (``0145678900``, ``2010``),
or an Asterisk pattern starting with ``_``: ``X`` is any digit, ``Z`` 1-9,
``N`` 2-9, ``[1-5]`` one character of the set, ``.`` one or more characters,
``!`` zero or more; any other character stands for itself.  Matching is on
the whole number, as Asterisk matches an extension.  The patterns are read by
the site's one pattern parser, :func:`autocom.site.patterns.parse_pattern`;
this module only says which entries a VIP list takes.
"""

from __future__ import annotations

import re

from autocom.site.patterns import PatternError, parse_pattern

_ENTRY_RE = re.compile(r"^(?:_[0-9*#+XZNxzn.!\[\]\-]{1,40}|\+?[0-9*#]{1,30})$")
_SET_RE = re.compile(r"\[[^\]]*\]")


def check_entry(entry: str) -> str:
    """Return ``entry`` if it is a number, an extension or a valid pattern; else raise."""
    if not _ENTRY_RE.match(entry):
        raise ValueError(
            f"VIP entry {entry!r}: write a number (0145678900), an extension (2010) "
            "or an Asterisk pattern such as _06XXXXXXXX"
        )
    if entry.startswith("_"):
        if "]" in _SET_RE.sub("", entry):
            raise ValueError(f"VIP entry {entry!r}: ']' without '['; write a set as [67]")
        try:
            parse_pattern(entry)
        except PatternError as exc:
            raise ValueError(f"VIP entry: {exc}") from exc
    return entry


def matches(entry: str, number: str) -> bool:
    """True if ``number`` is ``entry`` (plain) or matches it (pattern)."""
    if not number:
        return False
    if entry.startswith("_"):
        return parse_pattern(entry).matches(number)
    return entry == number
