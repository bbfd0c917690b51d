"""Base for every rule-file model: frozen, no unknown keys, knows its file:line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, model_validator
from pydantic_core import ErrorDetails

from autocom.config.errors import ConfigError, ConfigIssue
from autocom.config.renamed import renamed
from autocom.config.yaml_source import Document, LocatedDict


@dataclass(frozen=True)
class SourceRef:
    """Where a rule was written: shown by `autocom explain`."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class RuleModel(BaseModel):
    """Frozen pydantic model for rule files; remembers the mapping it came from.

    Fields meant to hold phone numbers, codes and times are ``str``; the YAML
    reader already keeps every scalar a string, so nothing is ever turned into
    a number behind the admin's back.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    _source: SourceRef | None = PrivateAttr(default=None)
    # False: the object's line is kept elsewhere (a rights class: TimeRules.class_lines,
    # so that a class moved down the file is the very same model)
    remembers_source: ClassVar[bool] = True

    @model_validator(mode="wrap")
    @classmethod
    def _remember_source(cls, data: Any, handler: Any) -> Self:
        obj: Self = handler(data)
        if cls.remembers_source and isinstance(data, LocatedDict) and data.file:
            obj._source = SourceRef(data.file, data.line)
        return obj

    @property
    def source(self) -> SourceRef | None:
        """The file:line of the mapping this object was read from, if any."""
        return self._source


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], doc: Document) -> M:
    """Validate a document; every error becomes a ConfigIssue with its line."""
    try:
        return model.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as exc:
        raise ConfigError(issues_from_validation(exc, doc)) from None


def issues_from_validation(
    exc: ValidationError, doc: Document, prefix: tuple[str | int, ...] = ()
) -> list[ConfigIssue]:
    """Each error as a ConfigIssue at its line; ``prefix``: where in ``doc`` the
    validated value sits (an item validated on its own)."""
    issues = []
    for err in exc.errors(include_url=False):
        path = prefix + tuple(p for p in err["loc"] if isinstance(p, str | int))
        issues.append(
            ConfigIssue(doc.file, doc.line_of(_known_prefix(path, doc)), *_describe(err, path))
        )
    return issues


def _known_prefix(path: tuple[str | int, ...], doc: Document) -> tuple[str | int, ...]:
    # pydantic inserts union/tag names into loc; keep the parts that are real keys
    real: list[str | int] = []
    for part in path:
        if (*real, part) in doc.lines:
            real.append(part)
    return tuple(real)


def _describe(err: ErrorDetails, path: tuple[str | int, ...]) -> tuple[str, str]:
    where = ".".join(str(p) for p in path) or "file"
    kind = err["type"]
    if kind == "extra_forbidden":
        moved = renamed(path) if path else None
        if moved is not None:
            return moved
        parent = ".".join(str(p) for p in path[:-1])
        key = f"unknown key {path[-1]!r}" if path else "unknown key"
        return (f"{parent}: {key}" if parent else key), "check its spelling"
    if kind == "missing":
        return f"{where}: required key missing", f"add '{path[-1]}: ...'" if path else ""
    if kind in ("string_type",):
        return f"{where}: expected text, got {type(err['input']).__name__}", "quote the value"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where}: expected a mapping (key: value lines)", ""
    if kind == "list_type":
        return f"{where}: expected a list ('- item' lines)", ""
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{where}: {msg}", ""
