"""Collecting a rule file's issues while compiling it, each at its file:line.

A compile step is a small pure function ``(model, ..., issues) -> part``; it
reports what is wrong with ``issues.add(path, message, hint)`` (``path`` is
the YAML path, e.g. ``("classes", "staff", "mobile")``, read back to a line
through the :class:`~autocom.config.yaml_source.Document`) and goes on, so one
run lists every problem. ``issues.raise_if_any()`` ends the compilation.
"""

from __future__ import annotations

from collections.abc import Iterator

from autocom.config.errors import ConfigError, ConfigIssue
from autocom.config.yaml_source import Document

Path_ = tuple[str | int, ...]


class Issues:
    """The issues found so far in one document."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.file = doc.file
        self._found: list[ConfigIssue] = []

    def add(self, path: Path_, message: str, hint: str = "") -> None:
        self._found.append(ConfigIssue(self.file, self.doc.line_of(path), message, hint))

    __call__ = add  # a step written for an ``issue(path, message, hint)`` callback

    def where(self, *path: str | int) -> str:
        """``file:line`` of ``path`` (the nearest written parent), else the file."""
        line = self.doc.line_of(path)
        return f"{self.file}:{line}" if line is not None else self.file

    def raise_if_any(self) -> None:
        if self._found:
            raise ConfigError(self._found)

    def __iter__(self) -> Iterator[ConfigIssue]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)
