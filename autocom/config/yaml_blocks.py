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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.nodes import MappingNode, ScalarNode

from autocom.config.errors import ConfigIssue
from autocom.config.yaml_source import Path_, _build, _compose_fast

_CONTENT_AT_COLUMN_0 = re.compile(r"\n[^ \n#]")
_FIRST_CONTENT = re.compile(r"\n( +)[^ \n#]")
_PLAIN_KEY = r"[A-Za-z0-9_][A-Za-z0-9_.-]*:(?:[ ]|$)"
# A regular expression scan holds the GIL: a 2.5 MB file is scanned 64 KiB at a time
# (the event loop may take it in between).  The patterns start with a newline and
# match within one line, so a window that ends on a newline cuts no match.
_WINDOW = 64 * 1024


def _find_all(pattern: re.Pattern[str], text: str, pos: int, end: int) -> Iterator[int]:
    """Where ``pattern`` matches in ``text[pos:end]``, one window at a time."""
    while pos < end:
        upto = text.find("\n", min(pos + _WINDOW, end))
        upto = end if upto < 0 or upto > end else upto
        for found in pattern.finditer(text, pos, upto):
            yield found.start()
        pos = upto


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
    at = 0 if text.startswith(f"{section}:") else text.find(f"\n{section}:") + 1
    header = re.compile(rf"{re.escape(section)}:[ ]*(?:#[^\n]*)?\n").match(text, at)
    if at < 0 or header is None:
        return None
    start = header.end()  # the section's first line; ``start - 1`` its newline
    after = next(_find_all(_CONTENT_AT_COLUMN_0, text, start - 1, len(text)), None)
    end = len(text) if after is None else after + 1
    first = _FIRST_CONTENT.search(text, start - 1, end)
    if first is None:
        return None
    keys = _entry_starts(text, start - 1, end, len(first.group(1)))
    if not keys:
        return None
    first_line = line = text.count("\n", 0, start) + 1  # the line of ``start``
    entries: list[Entry] = []
    for prev, at, upto in zip([start, *keys], keys, [*keys[1:], end], strict=False):
        line += text.count("\n", prev, at)
        entries.append(Entry(line, text[at:upto]))
    blank = line - first_line + text.count("\n", keys[-1], end)  # the section's newlines
    rest = text[:start] + "\n" * blank + text[end:]
    return Split(section, rest, tuple(entries))


def _entry_starts(text: str, pos: int, end: int, indent: int) -> list[int] | None:
    """Where each entry of the section in ``text[pos:end]`` starts (its key line);
    None when a line is less indented than the first key, or a key is not a plain
    word."""
    if indent > 1:
        less = re.compile(rf"\n {{1,{indent - 1}}}[^ \n#]")
        if next(_find_all(less, text, pos, end), None) is not None:
            return None
    key = re.compile(rf" {{{indent}}}{_PLAIN_KEY}", re.M)
    keys = [at + 1 for at in _find_all(re.compile(rf"\n {{{indent}}}[^ \n#]"), text, pos, end)]
    return keys if all(key.match(text, at) for at in keys) else None


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
