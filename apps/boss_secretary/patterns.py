"""Asterisk extension patterns for VIP lists, matched in pure Python.

A VIP entry is a number or extension written as is (``0145678900``, ``2010``),
or an Asterisk pattern starting with ``_``: ``X`` is any digit, ``Z`` 1-9,
``N`` 2-9, ``[1-5a]`` one character of the set, ``.`` one or more characters,
``!`` zero or more; any other character stands for itself.  Matching is on
the whole number, as Asterisk matches an extension.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CLASSES = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]"}
_ENTRY_RE = re.compile(r"^(?:_[0-9*#+XZNxzn.!\[\]\-]{1,40}|\+?[0-9*#]{1,30})$")


def check_entry(entry: str) -> str:
    """Return ``entry`` if it is a number, an extension or a valid pattern; else raise."""
    if not _ENTRY_RE.match(entry):
        raise ValueError(
            f"VIP entry {entry!r}: write a number (0145678900), an extension (2010) "
            "or an Asterisk pattern such as _06XXXXXXXX"
        )
    if entry.startswith("_"):
        _compile(entry)
    return entry


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    body = pattern[1:]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        upper = ch.upper()
        if upper in _CLASSES:
            out.append(_CLASSES[upper])
        elif ch == ".":
            if i != len(body) - 1:
                raise ValueError(f"pattern {pattern!r}: '.' must be the last character")
            out.append(".+")
        elif ch == "!":
            if i != len(body) - 1:
                raise ValueError(f"pattern {pattern!r}: '!' must be the last character")
            out.append(".*")
        elif ch == "[":
            end = body.find("]", i)
            if end <= i + 1:
                raise ValueError(f"pattern {pattern!r}: '[' without a closing ']' or empty set")
            content = body[i + 1 : end]
            if not re.fullmatch(r"[0-9*#+]([0-9*#+]|-[0-9])*", content):
                raise ValueError(f"pattern {pattern!r}: a set holds digits and ranges like [1-5]")
            out.append("[" + re.escape(content).replace("\\-", "-") + "]")
            i = end
        elif ch == "]":
            raise ValueError(f"pattern {pattern!r}: ']' without '['")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out))


def matches(entry: str, number: str) -> bool:
    """True if ``number`` is ``entry`` (plain) or matches it (pattern)."""
    if not number:
        return False
    if entry.startswith("_"):
        return _compile(entry).fullmatch(number) is not None
    return entry == number
