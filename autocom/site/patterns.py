"""Asterisk extension patterns, and what a code or pattern would shadow on a site.

Syntax (as Asterisk reads it): a plain extension ("*21", "2001") matches itself;
a pattern starts with "_" and then ``X`` = 0-9, ``Z`` = 1-9, ``N`` = 2-9,
``[1-5]`` / ``[135-7]`` = one character of the set, ``.`` = one or more of
anything, ``!`` = zero or more of anything; other characters match themselves
and ``-`` is ignored (``_0-X.`` is ``_0X.``).  ``.`` and ``!`` end the pattern:
Asterisk ignores what follows, so a pattern with characters after them is
reported as one that cannot match as written.

Features check their codes with ``shadowed_extensions(site, code)`` in their
``check()``, or ``shadow_issues(...)`` which builds the ConfigIssues directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from autocom.config.errors import ConfigIssue
from autocom.config.model import SourceRef
from autocom.site.model import Site

DIGITS = frozenset("0123456789")
CLASSES = {
    "X": DIGITS,
    "Z": frozenset("123456789"),
    "N": frozenset("23456789"),
}
Tail = Literal["", ".", "!"]


class PatternError(ValueError):
    """The pattern is not valid Asterisk pattern syntax."""


@dataclass(frozen=True)
class Pattern:
    """A parsed pattern: one character set per position, then an optional tail."""

    text: str
    positions: tuple[frozenset[str], ...]
    tail: Tail  # "" exact length, "." one or more more, "!" zero or more more

    @property
    def min_length(self) -> int:
        return len(self.positions) + (1 if self.tail == "." else 0)

    def matches(self, number: str) -> bool:
        n = len(self.positions)
        if len(number) < n:
            return False
        if not all(ch in allowed for ch, allowed in zip(number, self.positions, strict=False)):
            return False
        rest = len(number) - n
        if self.tail == "":
            return rest == 0
        if self.tail == ".":
            return rest >= 1
        return True


@lru_cache(maxsize=1024)
def parse_pattern(text: str) -> Pattern:
    """Parse a plain extension or a ``_`` pattern; PatternError if it is not valid."""
    if not text:
        raise PatternError("an empty pattern")
    if not text.startswith("_"):
        return Pattern(text, tuple(frozenset(ch) for ch in text), "")
    body = text[1:]
    if not body:
        raise PatternError(f"{text!r}: nothing after '_'")
    positions: list[frozenset[str]] = []
    tail: Tail = ""
    i = 0
    while i < len(body):
        ch = body[i]
        if ch in ".!":
            if i != len(body) - 1:
                raise PatternError(
                    f"{text!r}: characters after {ch!r} are ignored by Asterisk; put {ch!r} last"
                )
            tail = "." if ch == "." else "!"
        elif ch == "-":
            pass
        elif ch.upper() in CLASSES:
            positions.append(CLASSES[ch.upper()])
        elif ch == "[":
            end = body.find("]", i + 1)
            if end < 0:
                raise PatternError(f"{text!r}: '[' without ']'")
            positions.append(_char_class(text, body[i + 1 : end]))
            i = end
        else:
            positions.append(frozenset(ch))
        i += 1
    return Pattern(text, tuple(positions), tail)


def _char_class(text: str, inner: str) -> frozenset[str]:
    chars: set[str] = set()
    i = 0
    while i < len(inner):
        if i + 2 < len(inner) and inner[i + 1] == "-":
            lo, hi = inner[i], inner[i + 2]
            if lo > hi:
                raise PatternError(
                    f"{text!r}: the range [{lo}-{hi}] is reversed: write [{hi}-{lo}]"
                )
            chars.update(chr(c) for c in range(ord(lo), ord(hi) + 1))
            i += 3
        else:
            chars.add(inner[i])
            i += 1
    if not chars:
        raise PatternError(f"{text!r}: an empty set []")
    return frozenset(chars)


def pattern_problem(pattern: str) -> str | None:
    """Why the pattern cannot match, or None."""
    try:
        parse_pattern(pattern)
    except PatternError as exc:
        return str(exc)
    return None


def pattern_matches(pattern: str, number: str) -> bool:
    """Does the extension ``number`` match ``pattern`` (plain or ``_`` pattern)?"""
    try:
        return parse_pattern(pattern).matches(number)
    except PatternError:
        return False


def overlap_example(a: str, b: str) -> str | None:
    """A dialed string both patterns match, or None when there is none or a
    pattern is not valid."""
    try:
        pa, pb = parse_pattern(a), parse_pattern(b)
    except PatternError:
        return None
    if len(pa.positions) > len(pb.positions):
        pa, pb = pb, pa
    chars = [min(x & y or x) for x, y in zip(pa.positions, pb.positions, strict=False)]
    chars += [min(y) for y in pb.positions[len(pa.positions) :]]
    for extra in ("", "0"):  # a "." tail wants one more character
        text = "".join(chars) + extra
        if pattern_matches(a, text) and pattern_matches(b, text):
            return text
    return None


def patterns_overlap(a: str, b: str) -> bool:
    """Is there a number both patterns match?"""
    return overlap_example(a, b) is not None


def range_matches(pattern: str, start: str, end: str) -> str | None:
    """The first number of the range start..end (same length) matching, or None."""
    try:
        p = parse_pattern(pattern)
    except PatternError:
        return None
    width = len(start)
    if p.min_length > width or (p.tail == "" and len(p.positions) != width):
        return None
    lo, hi = int(start), int(end)
    if hi - lo > 200_000:  # too many to try: compare the fixed prefix only
        return start if patterns_overlap(pattern, "_" + "X" * width) else None
    for value in range(lo, hi + 1):
        number = str(value).zfill(width)
        if p.matches(number):
            return number
    return None


@dataclass(frozen=True)
class Shadowed:
    """Something of the site that a code or pattern would hide (or be hidden by)."""

    kind: Literal["user", "group", "emergency", "range", "outgoing"]
    number: str  # the extension, emergency number, first number of the range, or prefix
    what: str  # human description, e.g. "user 2001 Martin Sophie"
    source: SourceRef | None

    def where(self) -> str:
        return str(self.source) if self.source is not None else "site.yaml"


def shadowed_extensions(site: Site, code_or_pattern: str) -> list[Shadowed]:
    """Users, groups, emergency numbers, numbering ranges and outgoing prefixes
    that ``code_or_pattern`` (a feature code, a speed-dial code, an Asterisk pattern)
    would match, each with the file:line where it is declared."""
    out: list[Shadowed] = []
    for user in site.users:
        if pattern_matches(code_or_pattern, user.extension):
            out.append(
                Shadowed(
                    "user",
                    user.extension,
                    f"user {user.extension} {user.display_name}",
                    user.source,
                )
            )
    for group in site.groups:
        if pattern_matches(code_or_pattern, group.extension):
            out.append(
                Shadowed(
                    "group", group.extension, f"group {group.extension} {group.name}", group.source
                )
            )
    taken = {s.number for s in out}
    for ctx in site.contexts:
        if ctx.kind == "outgoing":
            for _, number in ctx.emergency_dialed():
                if pattern_matches(code_or_pattern, number):
                    out.append(
                        Shadowed(
                            "emergency",
                            number,
                            f"emergency number {number} of context {ctx.name}",
                            ctx.source,
                        )
                    )
            outside = ctx.outside_pattern  # digits only: a * or # code never overlaps it
            if patterns_overlap(code_or_pattern, outside):
                out.append(
                    Shadowed(
                        "outgoing",
                        ctx.line_prefix,
                        f"outside calls of context {ctx.name} ({outside})",
                        ctx.source,
                    )
                )
            continue
        for label, ranges in ctx.ranges().items():
            for rng in ranges:
                hit = range_matches(code_or_pattern, rng.start, rng.end)
                if hit is not None and hit not in taken:
                    out.append(
                        Shadowed(
                            "range",
                            hit,
                            f"the {label} range {rng} of context {ctx.name}",
                            ctx.source,
                        )
                    )
    return out


def shadow_issues(
    site: Site, code_or_pattern: str, file: str, line: int | None, label: str = "code"
) -> list[ConfigIssue]:
    """ConfigIssues for a code/pattern declared at file:line: bad syntax, or each
    thing it shadows (naming both file:lines)."""
    problem = pattern_problem(code_or_pattern)
    if problem is not None:
        return [ConfigIssue(file, line, f"{label} {problem}", "fix the pattern")]
    here = f"{file}:{line}" if line is not None else file
    return [
        ConfigIssue(
            file,
            line,
            f"{label} {code_or_pattern!r} shadows {s.what} ({s.where()})",
            f"choose a {label} that matches no extension; it is declared at {here}",
        )
        for s in shadowed_extensions(site, code_or_pattern)
    ]
