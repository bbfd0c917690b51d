"""rights.yaml read one class at a time, so that a reload after an edit parses,
validates and compiles again only the classes whose text changed.

The file is cut at the entries of ``classes:`` (:func:`autocom.config.yaml_blocks.
split_section`); the rest (slots, categories, assign, pins...) is parsed as before,
each class on its own, and a class whose text is that of the previous load is taken
from it (:class:`~autocom.rights.rules.ClassPart`, kept in ``TimeRules.parts``):
its model, and its compiled form when the category and slot names are the same
(:func:`autocom.rights.compile.compile_rules`); when lines were added or removed
above it, with its line moved (:func:`moved`: its rule lines are kept as they
are, their lines being offsets from the class's).  Anything this
cannot read exactly as the whole file would be read gives None, and the caller
reads the whole file: the same data, the same errors at the same lines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import ValidationError

from autocom.config.errors import ConfigError
from autocom.config.model import SourceRef
from autocom.config.yaml_blocks import Entry, read_entry, split_section
from autocom.config.yaml_source import Document, LocatedDict, Path_, parse_yaml
from autocom.rights.rules import (
    ClassPart,
    ClassParts,
    RightsClass,
    RightsFile,
)

SECTION = "classes"


@dataclass(frozen=True)
class ReadByClass:
    """rights.yaml read class by class, before compiling."""

    doc: Document  # the rest's data (classes: null); the lines of the rest and of fresh classes
    model: RightsFile  # the whole file's model, its classes those of ``parts``
    parts: dict[tuple[int, str], ClassPart]  # every class, by (line, text)
    fresh: frozenset[str]  # the classes read now (the others were kept)
    lines: dict[Path_, int]  # ``doc``'s lines (a dict, to be emptied a piece at a time)


def read_by_class(text: str, file: str, kept: ClassParts | None) -> ReadByClass | None:
    """``text`` (the file ``file``) read class by class, keeping ``kept``'s classes
    whose text is the same (moved when their line changed); None when the whole
    file must be read."""
    split = split_section(text, SECTION)
    if split is None or not split.entries:
        return None
    try:
        rest = parse_yaml(split.rest, file)
    except ConfigError:
        return None
    data = rest.data
    if not isinstance(data, LocatedDict) or SECTION not in data or data[SECTION] is not None:
        return None
    lines = dict(rest.lines)
    parts: dict[tuple[int, str], ClassPart] = {}
    models: dict[str, RightsClass] = {}
    fresh: set[str] = set()
    by_text = {text: (line, part) for (line, text), part in (kept or {}).items()}
    same_keys = {key: key for key in kept or {}}  # a key unchanged is the last load's object
    for entry in split.entries:
        key = (entry.line, entry.text)
        key = same_keys.get(key, key)
        part = _kept_part(kept or {}, by_text, entry, file)
        if part is None:
            part = _read_class(entry, file, lines)
            if part is None:
                return None
            fresh.add(part.name)
        if part.name in models:
            return None  # a class given twice: the whole file's parse says where
        models[part.name] = part.model
        parts[key] = part
    model = _validate(data, models)
    if model is None:
        return None
    return ReadByClass(Document(file, data, lines), model, parts, frozenset(fresh), lines)


def _kept_part(
    kept: ClassParts, by_text: dict[str, tuple[int, ClassPart]], entry: Entry, file: str
) -> ClassPart | None:
    """The class of the last load with ``entry``'s text: as it was on the same line,
    moved when lines were added or removed above it (None: read it)."""
    part = kept.get((entry.line, entry.text))
    if part is not None:
        return part
    found = by_text.get(entry.text)
    return moved(found[1], entry.line - found[0], file) if found is not None else None


def moved(part: ClassPart, delta: int, file: str) -> ClassPart | None:
    """``part`` read ``delta`` lines further down: the same text gives the same
    model and rules, its line moved by ``delta`` (None: not compiled, or a class
    that is not at a line of this file).  Its rule lines are the very same objects:
    their lines are offsets from the class's (:meth:`CompiledClass.where_of`), so
    moving a class makes a few objects, however many rule lines it has."""
    compiled, source = part.compiled, part.model.source
    if compiled is None or compiled.file != file or compiled.line is None or source is None:
        return None
    model = part.model.model_copy()
    model._source = SourceRef(file, source.line + delta)
    return replace(part, model=model, compiled=replace(compiled, line=compiled.line + delta))


def _read_class(entry: Entry, file: str, lines: dict[Path_, int]) -> ClassPart | None:
    """One class's entry parsed and validated alone (its lines added to ``lines``)."""
    read = read_entry(entry, SECTION, file)
    if read is None:
        return None
    try:
        model = RightsClass.model_validate(read.value)
    except ValidationError:
        return None
    lines.update(read.lines)
    return ClassPart(read.key, model)


def _validate(data: LocatedDict, models: dict[str, RightsClass]) -> RightsFile | None:
    """The whole file's model, the classes given already validated (pydantic keeps
    a model instance as it is)."""
    whole = LocatedDict(data)
    whole.file, whole.line = data.file, data.line
    whole[SECTION] = models
    try:
        model = RightsFile.model_validate(whole)
    except ValidationError:
        return None
    if any(model.classes.get(name) is not cls for name, cls in models.items()):
        return None
    return model


__all__ = ["ReadByClass", "read_by_class"]
