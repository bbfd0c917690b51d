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

    def after(self, prefix: str) -> Pattern:
        """This pattern behind the literal ``prefix``: it matches ``prefix + n`` when this
        one matches ``n``, with the same rank among patterns behind the same prefix."""
        if not prefix:
            return self
        sets = tuple(frozenset(c) for c in prefix) + self.sets
        return Pattern(
            prefix + self.text, sets, self.tail, re.compile(re.escape(prefix) + self.regex.pattern)
        )

    def matches(self, number: str) -> bool:
        return self.regex.fullmatch(number) is not None

    def key(self, number: str) -> tuple[int, ...]:
        """Specificity along ``number`` (smaller is more specific); only for a match."""
        sizes = [len(s) for s in self.sets]
        sizes.extend([WILDCARD_SIZE] * (len(number) - len(self.sets)))
        sizes.append(_TAIL_RANK[self.tail])
        return tuple(sizes)

    def rank_key(self) -> tuple[int, ...]:
        """Orders the patterns matching one number as ``key(number)`` does, whatever
        the number: a pattern longer than another matches its extra positions with
        sets, where the shorter one has its wildcard."""
        return (*(len(s) for s in self.sets), WILDCARD_SIZE, _TAIL_RANK[self.tail])

    def ambiguous_with(self, other: Pattern) -> bool:
        """True if some number matches both with the same specificity."""
        if self.tail != other.tail or len(self.sets) != len(other.sets):
            return False
        return all(len(a) == len(b) and a & b for a, b in zip(self.sets, other.sets, strict=True))

    def __str__(self) -> str:
        return self.text


class _Node:
    """A trie node: one edge per distinct character set, the patterns ending here."""

    __slots__ = ("edges", "ends", "tails")

    def __init__(self) -> None:
        self.edges: dict[frozenset[str], _Node] = {}
        self.ends: list[int] = []  # patterns of exactly this length ("" tail)
        self.tails: list[tuple[int, int]] = []  # (pattern, characters needed after: 1 or 0)


class _State:
    """The trie nodes a prefix of the number reaches (a DFA state, built when first met)."""

    __slots__ = ("depth", "final", "final_rank", "next", "nodes", "run", "tail_rank", "tails")

    def __init__(self, nodes: tuple[_Node, ...], rank: list[int], depth: int = 0) -> None:
        self.nodes = nodes
        self.depth = depth  # the characters read to get here (every node is that deep)
        self.next: dict[str, _State] = {}  # _DEAD: no pattern goes on with that character
        # matched when at least one more (dialable) character follows: "." and "!"
        self.tails = [i for node in nodes for i, _ in node.tails]
        # matched when the number ends here: exact patterns, and "!"
        self.final = [i for node in nodes for i in node.ends]
        self.final.extend(i for node in nodes for i, need in node.tails if need == 0)
        # the best (smallest) rank of each list, _NO_RANK when empty: what ``best`` reads
        self.tail_rank = min((rank[i] for i in self.tails), default=_NO_RANK)
        self.final_rank = min((rank[i] for i in self.final), default=_NO_RANK)
        self.run = _run_of(nodes, rank)
        if self.run is not None:
            self.tail_rank = -1  # (no tails here) so that ``best`` looks, at no extra cost


def _run_of(nodes: tuple[_Node, ...], rank: list[int]) -> tuple[int, str, int] | None:
    """``(length, characters, rank)`` when every way on from ``nodes`` is ``length``
    positions of one character set, then exact patterns only (the 8 X of a mobile
    number after 06): ``best`` checks the rest of the number at once."""
    length, chars, ends = -1, frozenset[str](), list[int]()
    for node in nodes:
        count = 0
        while len(node.edges) == 1 and not node.ends and not node.tails:
            ((step, node),) = node.edges.items()
            if step != chars and chars:
                return None
            chars, count = step, count + 1
        if node.edges or node.tails or not node.ends or length not in (-1, count):
            return None
        length = count
        ends.extend(node.ends)
    if length < 2:
        return None
    return length, "".join(chars), min(rank[i] for i in ends)


MAX_STATES = 100_000  # states kept; past that, the rest is walked without keeping them
_NO_RANK = 1 << 62  # greater than any rank: nothing matched
_DEAD = _State((), [])  # no pattern matches a number going this way


class PatternIndex:
    """Which of ``patterns`` match a number, and the most specific one: a trie.

    The patterns share their common prefixes (one edge per distinct character set
    at each position); the sets of trie nodes a number's prefixes reach are kept
    as states with one transition per character, built the first time a number
    needs them.  Matching a number is then one dictionary lookup per character:
    its cost depends on the number's length, never on how many patterns there
    are.  ``best`` gives what scanning every pattern gives (the smallest
    ``Pattern.key``, the earlier pattern on a tie).

    ``priority`` (one integer per pattern): when given, a pattern of a smaller
    priority beats every pattern of a greater one, whatever their specificity
    (several pattern groups in one index, walked once: :mod:`autocom.rights.categories`).
    """

    __slots__ = ("_order", "_rank", "_start", "_states", "patterns")

    def __init__(
        self, patterns: tuple[Pattern, ...] | list[Pattern], priority: list[int] | None = None
    ) -> None:
        self.patterns = tuple(patterns)
        root = _Node()
        for i, pattern in enumerate(self.patterns):
            node = root
            for chars in pattern.sets:
                child = node.edges.get(chars)
                if child is None:
                    child = node.edges[chars] = _Node()
                node = child
            if pattern.tail:
                node.tails.append((i, 1 if pattern.tail == "." else 0))
            else:
                node.ends.append(i)
        # Among patterns matching the same number, ``key`` orders them as this does:
        # the set sizes, then a wildcard position (bigger than any set: a longer
        # pattern wins), then the tail.  So the winner's rank is known in advance.
        prio = priority or [0] * len(self.patterns)
        self._order = sorted(
            range(len(self.patterns)), key=lambda i: (prio[i], self.patterns[i].rank_key(), i)
        )  # rank -> pattern
        self._rank = [0] * len(self._order)  # pattern -> rank
        for rank, i in enumerate(self._order):
            self._rank[i] = rank
        self._start = _State((root,), self._rank)
        self._states = {self._start.nodes: self._start}  # one state per set of nodes

    def _step(self, state: _State, char: str) -> _State:
        nodes = tuple(
            child for node in state.nodes for chars, child in node.edges.items() if char in chars
        )
        if not nodes:
            following = _DEAD
        else:
            following = self._states.get(nodes) or _State(nodes, self._rank, state.depth + 1)
            if len(self._states) < MAX_STATES:
                self._states[nodes] = following
        if len(self._states) < MAX_STATES:
            state.next[char] = following
        return following

    def matching(self, number: str) -> list[int]:
        """The indexes of the patterns that match ``number`` (in no particular order)."""
        found: list[int] = []
        state = self._start
        # from this position on, every character is dialable (what a tail may cover)
        tail_ok = len(number.rstrip(ALPHABET))
        for pos, char in enumerate(number):
            if state.tails and pos >= tail_ok:
                found.extend(state.tails)
            following = state.next.get(char) or self._step(state, char)
            if following is _DEAD:
                return found
            state = following
        found.extend(state.final)
        return found

    def best(self, number: str) -> int | None:
        """The index of the most specific pattern matching ``number``, or None.

        One walk keeping the best rank met: each state knows the best rank of its
        patterns, so no list of matches is built."""
        state = self._start
        best = _NO_RANK
        tail_ok = -1  # from this position on, every character is dialable (-1: not known yet)
        dead = _DEAD
        for char in number:
            if state.tail_rank < best:
                if state.run is not None:  # a run of one set to exact patterns: at once
                    length, chars, rank = state.run
                    depth = state.depth
                    if len(number) == depth + length and len(number.rstrip(chars)) <= depth:
                        best = min(best, rank)
                    return None if best == _NO_RANK else self._order[best]
                if tail_ok < 0:
                    tail_ok = len(number.rstrip(ALPHABET))
                if state.depth >= tail_ok:
                    best = state.tail_rank
            following = state.next.get(char) or self._step(state, char)
            if following is dead:
                break
            state = following
        else:
            if state.final_rank < best:
                best = state.final_rank
        return None if best == _NO_RANK else self._order[best]
