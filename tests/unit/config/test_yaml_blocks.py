"""A section read entry by entry gives what the whole file gives, or is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocom.config import ConfigError, LocatedDict, parse_yaml
from autocom.config.yaml_blocks import read_entry, split_section

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

RIGHTS = """\
# rights
slots:
  day: {hours: "08:00-18:00"}
classes:
  # the staff
  staff:
    national: allow
    mobile: {day: allow, default: pin}

  lab:
    description: "a lab,
      two lines"
    default: deny
  lobby: {internal: allow}
assign:
  extensions: {"2001": staff}
"""


def by_entries(text: str, section: str, file: str = "f.yaml") -> tuple[Any, dict[Any, int]] | None:
    """The data and lines read by entries (None: refused somewhere on the way)."""
    split = split_section(text, section)
    if split is None:
        return None
    try:
        rest = parse_yaml(split.rest, file)
    except ConfigError:
        return None
    if not isinstance(rest.data, LocatedDict) or rest.data.get(section, "") is not None:
        return None
    mapping = LocatedDict()
    mapping.file, mapping.line = file, split.entries[0].line
    lines = dict(rest.lines)
    for entry in split.entries:
        read = read_entry(entry, section, file)
        if read is None or read.key in mapping:
            return None
        mapping[read.key] = read.value
        lines.update(read.lines)
    data = LocatedDict(rest.data)
    data[section] = mapping
    return data, lines


def assert_same_as_whole(text: str, section: str) -> bool:
    """Entry by entry equals the whole file when it is not refused; a file the whole
    parse refuses is refused too.  True when read by entries."""
    got = by_entries(text, section)
    try:
        whole = parse_yaml(text, "f.yaml")
    except ConfigError:
        assert got is None
        return False
    if got is None:
        return False
    data, lines = got
    assert data == whole.data
    assert lines == whole.lines
    assert data[section].line == whole.data[section].line
    for key, value in data[section].items():
        if isinstance(value, LocatedDict):
            reference = whole.data[section][key]
            assert (value.file, value.line) == (reference.file, reference.line)
    return True


def test_entries_and_their_lines() -> None:
    split = split_section(RIGHTS, "classes")
    assert split is not None
    assert [(e.line, e.text.split(":")[0].strip()) for e in split.entries] == [
        (6, "staff"),
        (10, "lab"),
        (14, "lobby"),
    ]
    assert split.rest.count("\n") == RIGHTS.count("\n")
    assert "national" not in split.rest and "assign:" in split.rest
    assert assert_same_as_whole(RIGHTS, "classes")


@pytest.mark.parametrize(
    "text",
    [
        "classes:\n\tstaff: {}\n",  # a tab
        "classes:\r\n  staff: {}\r\n",  # CR LF
        "classes: {staff: {}}\n",  # a flow mapping: nothing to cut
        "slots: {}\n",  # no such section
        "classes:\n    staff: {}\n  lab: {}\n",  # an entry less indented than the first
        "classes:\n  'staff': {}\n",  # a quoted key
        "classes:\n  - staff\n",  # a sequence
        "classes:\n# only a comment\n",
    ],
)
def test_refused_layouts(text: str) -> None:
    assert split_section(text, "classes") is None


@pytest.mark.parametrize(
    "text",
    [
        # an alias to another entry's anchor: that entry alone does not parse
        "classes:\n  a: &x {national: allow}\n  b: *x\n",
        # a class given twice (across entries): the whole file names both lines
        "classes:\n  a: {national: allow}\n  a: {mobile: allow}\n",
        # a quote left open up to the next entry
        "classes:\n  a: {description: 'open}\n  b: {national: allow}\n",
        # content at column 0 inside the section
        "classes:\n  a:\n    description: x\nnot a key\n  b: {}\n",
    ],
)
def test_what_entries_alone_would_read_differently_is_refused(text: str) -> None:
    assert not assert_same_as_whole(text, "classes")


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_section_of_the_examples(name: str) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    for section in parse_yaml(text).data or {}:
        assert_same_as_whole(text, section)


LINE = st.sampled_from(
    [
        "",
        "# comment",
        "  # indented comment",
        "  new: allow",
        "    national: allow",
        "    mobile: {day: allow}",
        "      deep: x",
        "  &anchor a: b",
        "  b: *anchor",
        "    text: |",
        "      block text",
        "    quoted: 'open",
        "      closed'",
        " one: space",
        "top: level",
        "  - item",
        "  staff: {}",
        '  "quoted": key',
        "classes:",
    ]
)


# the pure parser, asked for the message of a file libyaml refused, warns of an anchor
# given twice (the file is refused either way)
@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), LINE), max_size=6))
def test_edited_files_read_by_entries_as_whole(edits: list[tuple[int, str]]) -> None:
    """Lines inserted anywhere: whenever reading by entries is not refused, it reads
    exactly what the whole file reads."""
    lines = RIGHTS.splitlines()
    for at, line in edits:
        lines.insert(min(at, len(lines)), line)
    assert_same_as_whole("\n".join(lines) + "\n", "classes")
