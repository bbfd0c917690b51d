"""What the loader keeps of departments.yaml and the fragments: every setting with the
department that wrote it and its file:line, for the features to merge (pure data)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from autocom.config.errors import ConfigIssue
from autocom.departments.model import Department

Kind = Literal["assign", "speed_dial", "group", "prompt"]


@dataclass(frozen=True)
class Setting:
    """One thing a fragment sets.

    ``assign``: key an extension, value (class,); ``speed_dial``: key a code, value
    (number, label); ``group``: key a group extension, value its members; ``prompt``:
    key an IVR menu, value its sound names."""

    kind: Kind
    department: str  # the slug in departments.yaml
    key: str
    value: tuple[str, ...]
    file: str
    line: int | None

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True)
class Departments:
    """departments.yaml and its departments' fragments, read and checked."""

    file: str  # departments.yaml
    declared: Mapping[str, Department] = field(default_factory=dict)  # slug -> declaration
    settings: tuple[Setting, ...] = ()
    files: tuple[Path, ...] = ()  # departments.yaml, then every fragment read
    folders: tuple[Path, ...] = ()  # the departments' folders (a new file there reloads)
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict)  # of departments.yaml

    def of(self, kind: Kind) -> tuple[Setting, ...]:
        return tuple(s for s in self.settings if s.kind == kind)

    def granted_line(self, slug: str, *path: str) -> int | None:
        """The line of departments.yaml where the department's ``may:`` (or a key under
        it) is written, else the department's own line."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(("departments", slug, "may", *path[:end]))
            if line is not None:
                return line
        return self.lines.get(("departments", slug))

    def granted(self, slug: str, *path: str) -> str:
        """``departments.yaml:N`` of ``granted_line``."""
        line = self.granted_line(slug, *path)
        return f"{self.file}:{line}" if line is not None else self.file

    def missing_grants(
        self, key: Literal["assign", "prompts"], what: str, known: Collection[str], source: str
    ) -> list[ConfigIssue]:
        """A class or menu departments.yaml grants (``may.<key>``) that ``source``
        (rights.yaml, ivr.yaml: the names ``known``) does not have."""
        return [
            ConfigIssue(
                self.file,
                self.granted_line(slug, key),
                f"department {slug}: may.{key}: no {what} {name!r} in {source}",
                f"name one of {source}'s: {', '.join(sorted(known)) or '(none)'}",
            )
            for slug, dep in self.declared.items()
            for name in getattr(dep.may, key)
            if name not in known
        ]

    def name_of(self, slug: str) -> str:
        """The department's name as the site's users write it."""
        return self.declared[slug].name

    def summary(self) -> list[str]:
        """One line per department: what `autocom check` prints."""
        out = []
        for slug, dep in self.declared.items():
            mine = [s for s in self.settings if s.department == slug]
            files = len({s.file for s in mine})
            out.append(f"{slug} ({dep.name}): {len(mine)} setting(s) in {files} file(s)")
        return out
