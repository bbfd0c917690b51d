"""A top-level section of a YAML file read one entry at a time, for reloads that
parse again only what an edit changed.

``classes:`` of a 100,000-line rights.yaml is 4000 entries of 30 lines; an edit
changes one.  :func:`split_section` cuts the section's text at its entries' key
lines, without parsing; :func:`read_entry` parses one entry's text alone, with
the lines it has in the file.  The split is refused (None) for anything but the
plain layout an admin or a generator writes (every entry's key a plain word at
the same indentation, nothing less indented inside, no tab or CR at all): the
caller then parses the whole file, as it always did.  An entry parsed alone gives
the same data and lines as the whole file (tests/unit/config/test_yaml_blocks.py);
what would differ (an alias to another entry's anchor, a key given twice across
entries, an unclosed quote) makes the entry or the rest fail, and the caller
parses the whole file for the error message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.nodes import MappingNode, ScalarNode

from autocom.config.errors import ConfigIssue
from autocom.config.yaml_source import Path_, _build, _compose_fast

_CONTENT_AT_COLUMN_0 = re.compile(r"^[^ \n#]", re.M)
_FIRST_CONTENT = re.compile(r"^( +)[^ \n#]", re.M)
_PLAIN_KEY = r"[A-Za-z0-9_][A-Za-z0-9_.-]*:(?:[ ]|$)"
# A regular expression scan holds the GIL: a 2.5 MB file is scanned 64 KiB at a time
# (the event loop gets it back in between).  Patterns searched so match at most
# _OVERLAP characters and never end on ``$``.
_WINDOW = 64 * 1024
_OVERLAP = 256


def _search(pattern: re.Pattern[str], text: str, pos: int = 0) -> re.Match[str] | None:
    """``pattern.search(text, pos)``, one window at a time."""
    end = len(text)
    while True:
        upto = min(pos + _WINDOW, end)
        found = pattern.search(text, pos, upto)
        if found is not None or upto == end:
            return found
        pos = upto - _OVERLAP


@dataclass(frozen=True)
class Entry:
    """One entry of a section: its text, from its key line to the next entry's."""

    line: int  # the key's line in the file (1-based)
    text: str


@dataclass(frozen=True)
class Split:
    """A file cut at a section's entries."""

    section: str
    rest: str  # the file with the section's entries blanked (same lines: `section:` is null)
    entries: tuple[Entry, ...]


def split_section(text: str, section: str) -> Split | None:
    """``text`` cut at the entries of the top-level block mapping ``section``;
    None when the section is missing, empty, or not written plainly (see module)."""
    if "\t" in text or "\r" in text:
        return None
    header = _search(re.compile(rf"^{re.escape(section)}:[ ]*(?:#[^\n]*)?\n", re.M), text)
    if header is None:
        return None
    start = header.end()
    after = _search(_CONTENT_AT_COLUMN_0, text, start)
    end = after.start() if after is not None else len(text)
    body = text[start:end]
    first = _FIRST_CONTENT.search(body)
    if first is None:
        return None
    indent = len(first.group(1))
    keys = _entry_starts(body, indent)
    if not keys:
        return None
    line = text.count("\n", 0, start) + 1  # the section's first line after its header
    entries: list[Entry] = []
    for at, upto in zip(keys, [*keys[1:], len(body)], strict=True):
        line += body.count("\n", keys[len(entries) - 1] if entries else 0, at)
        entries.append(Entry(line, body[at:upto]))
    blank = line - 1 + body.count("\n", keys[-1]) - text.count("\n", 0, start)
    rest = text[:start] + "\n" * blank + text[end:]
    return Split(section, rest, tuple(entries))


def _entry_starts(body: str, indent: int) -> list[int] | None:
    """Where each entry of the section's ``body`` starts (its key line); None when
    a line is less indented than the first key, or a key is not a plain word."""
    starts = re.compile(rf"^ {{{indent}}}[^ \n#]", re.M)
    key = re.compile(rf" {{{indent}}}{_PLAIN_KEY}", re.M)
    less = re.compile(rf"^ {{1,{indent - 1}}}[^ \n#]", re.M) if indent > 1 else None
    keys: list[int] = []
    found = _search(starts, body)
    while found is not None:
        at = found.start()
        if not key.match(body, at):
            return None
        keys.append(at)
        found = _search(starts, body, found.end())
        upto = found.start() if found is not None else len(body)
        if less is not None and less.search(body, at, upto):
            return None
    return keys


@dataclass(frozen=True)
class ReadEntry:
    """An entry parsed alone: ``{key: value}`` of the section, with its lines."""

    key: str
    value: Any
    lines: dict[Path_, int]  # as the whole file's Document has them


def read_entry(entry: Entry, section: str, file: str) -> ReadEntry | None:
    """Parse ``entry`` alone; None when it does not parse cleanly on its own (a
    syntax error, a key given twice: the whole file is parsed for the message)."""
    node = _compose_fast(entry.text)
    if not isinstance(node, MappingNode) or len(node.value) != 1:
        return None
    key_node, value_node = node.value[0]
    if not isinstance(key_node, ScalarNode):
        return None
    key: str = key_node.value
    offset = entry.line - 1 - key_node.start_mark.line
    lines: dict[Path_, int] = {}
    issues: list[ConfigIssue] = []
    value = _build(value_node, (section, key), file, lines, issues, offset)
    if issues:
        return None
    lines[(section, key)] = entry.line
    return ReadEntry(key, value, lines)


__all__ = ["Entry", "ReadEntry", "Split", "read_entry", "split_section"]
