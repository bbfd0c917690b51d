"""Read YAML 1.2 as written: every scalar stays the string the admin typed.

ruamel.yaml composes the node tree (with libyaml's parser when ruamel.yaml.clib is
there; a document it refuses is parsed again by the pure parser for the error
message); we build plain Python values from it
ourselves so that ``0612345670`` stays ``"0612345670"`` and ``08:00`` stays
``"08:00"``.  Only an unquoted ``~``, ``null`` or empty value becomes None.
Mappings and sequences come back as :class:`LocatedDict` / :class:`LocatedList`,
which remember the file and line they came from; pydantic models built on
:class:`autocom.config.model.RuleModel` pick that up, and
:func:`autocom.config.validate.validate` maps a validation error's location
back to a line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from autocom.config.errors import ConfigError, ConfigIssue

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
MAX_FILE_BYTES = 32 * 1024 * 1024

Path_ = tuple[str | int, ...]


class LocatedDict(dict[str, Any]):
    """A mapping read from a file, with the file and line (1-based) it starts on."""

    file: str = ""
    line: int = 0


class LocatedList(list[Any]):
    """A sequence read from a file, with the file and line (1-based) it starts on."""

    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Document:
    """A YAML file read as data, with the line of every key and item."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """Line of the longest prefix of ``path`` that we know."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def read_config_text(path: Path | str) -> str:
    """A config file's text: bounded in size, UTF-8 (a BOM is accepted, as spreadsheet
    exports write one); a missing, too large or undecodable file raises ConfigError."""
    file = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError.single(file, None, f"cannot read file: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError.single(file, None, f"file larger than {MAX_FILE_BYTES} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError.single(
            file, None, f"not UTF-8 (byte {exc.start})", "save the file as UTF-8"
        ) from exc


_NOT_CONTENT = ("", "---", "...", "~", "null", "Null", "NULL")


def holds_nothing(text: str) -> bool:
    """Only blanks, comments, ``---``, ``...`` or a null: what an editor that truncates
    a file before writing it shows for a moment (a rule file must say "none")."""
    for line in _lines(text):
        word = line.strip()
        if word not in _NOT_CONTENT and not word.startswith("#"):
            return False
    return True


def _lines(text: str, size: int = 64 * 1024) -> Iterator[str]:
    """``text.splitlines()`` 64 KiB at a time: one call on a 2.5 MB rule file holds
    the GIL 20 ms (a reload in a thread stalls the calls as long), and the content
    is on its first lines."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        yield from text[start:end].splitlines()
        start = end


def load_yaml(path: Path | str) -> Document:
    """Read ``path``; a missing, unreadable or malformed file raises ConfigError."""
    return parse_yaml(read_config_text(path), str(path))


def _untagged_composer() -> Any:
    """libyaml's composer (ruamel.yaml.clib) with tag resolution left out, or None.

    ruamel.yaml resolves every scalar's implicit tag (int? float? bool? date?) in
    Python while composing: two thirds of the time on a 100,000-line file.  The
    tags are never read here (:func:`_build` keeps every scalar the string that
    was typed), so the composer is given a resolver that names the node kind only.
    """
    try:
        from _ruamel_yaml import CParser
    except ImportError:  # no ruamel.yaml.clib: the pure parser
        return None
    tags = {ScalarNode: "tag:yaml.org,2002:str", SequenceNode: "tag:yaml.org,2002:seq"}
    mapping = "tag:yaml.org,2002:map"

    def resolve(self: Any, kind: type[Node], value: Any, implicit: Any) -> str:
        return tags.get(kind, mapping)

    def unused(self: Any, *args: Any) -> None:
        return None

    members = {"resolve": resolve, "descend_resolver": unused, "ascend_resolver": unused}
    return type("UntaggedComposer", (CParser,), members)


_COMPOSER = _untagged_composer()


def _compose_fast(text: str) -> Node | Exception | None:
    """The node tree by libyaml's parser (ruamel.yaml.clib, a dependency of ruamel.yaml;
    the pure one when it is missing), tags unresolved: about 15 times faster than the
    pure parser on a 100,000-line file.  A syntax error is returned, not raised: the
    caller asks the pure parser, whose messages name the problem the way they always
    have."""
    try:
        if _COMPOSER is None:
            node: Node | None = YAML(typ="safe", pure=False).compose(text)
            return node
        parser = _COMPOSER(text)
        try:
            found: Node | None = parser.get_single_node()
        finally:
            parser.dispose()
    except YAMLError as exc:
        return exc
    return found


def parse_yaml(text: str, file: str = "<string>") -> Document:
    """Parse YAML text; syntax errors raise ConfigError with the line."""
    try:
        node = _compose_fast(text)
        if isinstance(node, Exception):
            node = YAML(typ="rt").compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError.single(file, line, f"YAML syntax error: {exc.problem or exc}") from exc
    except YAMLError as exc:
        raise ConfigError.single(file, None, f"YAML syntax error: {exc}") from exc
    lines: dict[Path_, int] = {}
    issues: list[ConfigIssue] = []
    if node is None:
        return Document(file, None, {(): 1})
    data = _build(node, (), file, lines, issues)
    if issues:
        raise ConfigError(issues)
    return Document(file, data, lines)


def _build(
    node: Node,
    path: Path_,
    file: str,
    lines: dict[Path_, int],
    issues: list[ConfigIssue],
    offset: int = 0,
) -> Any:
    """Plain values from ``node``, recording the line of every key and item in
    ``lines``; ``offset``: lines above the text that was parsed (a part of a file)."""
    lines[path] = node.start_mark.line + 1 + offset
    if isinstance(node, ScalarNode):
        value: str = node.value
        if not node.style and value in _NULLS:  # plain: None (pure parser) or "" (libyaml)
            return None
        return value
    if isinstance(node, SequenceNode):
        seq = LocatedList()
        seq.file, seq.line = file, node.start_mark.line + 1 + offset
        for index, item in enumerate(node.value):
            seq.append(_build(item, (*path, index), file, lines, issues, offset))
        return seq
    if isinstance(node, MappingNode):
        mapping = LocatedDict()
        mapping.file, mapping.line = file, node.start_mark.line + 1 + offset
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1 + offset
            if not isinstance(key_node, ScalarNode):
                issues.append(ConfigIssue(file, key_line, "a key must be a plain word or string"))
                continue
            key = key_node.value
            if key in mapping:
                first = lines.get((*path, key))
                issues.append(
                    ConfigIssue(
                        file,
                        key_line,
                        f"key {key!r} given twice (first on line {first})",
                        "keep one of them",
                    )
                )
                continue
            mapping[key] = _build(value_node, (*path, key), file, lines, issues, offset)
            lines[(*path, key)] = key_line
        return mapping
    issues.append(ConfigIssue(file, node.start_mark.line + 1 + offset, "unsupported YAML node"))
    return None
