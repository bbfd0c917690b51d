"""rights.yaml read one class at a time, so that a reload after an edit parses,
validates and compiles again only the classes whose text changed.

The file is cut at the entries of ``classes:`` (:func:`autocom.config.yaml_blocks.
split_section`); the rest (slots, categories, assign, pins...) is parsed as before,
each class on its own, and a class whose text is that of the previous load is taken
from it (:class:`~autocom.rights.rules.ClassPart`, kept in ``TimeRules.parts``):
its model, and its compiled form when the category and slot names are the same
(:func:`autocom.rights.compile.compile_rules`), wherever it moved: a class holds no
line of its own (its key's line is in ``TimeRules.class_lines``, its rule lines are
offsets from it), so lines added or removed above 4000 classes change one table,
not the classes.  Anything this
cannot read exactly as the whole file would be read gives None, and the caller
reads the whole file: the same data, the same errors at the same lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from autocom.config.errors import ConfigError
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

    doc: Document  # the rest's data (classes: null); the lines of the rest, of fresh
    # classes, and of every class's key
    model: RightsFile  # the whole file's model, its classes those of ``parts``
    parts: dict[str, ClassPart]  # every class, by name
    fresh: frozenset[str]  # the classes read now (the others were kept)
    lines: dict[Path_, int]  # ``doc``'s lines (a dict, to be emptied a piece at a time)


def read_by_class(text: str, file: str, kept: ClassParts | None) -> ReadByClass | None:
    """``text`` (the file ``file``) read class by class, keeping ``kept``'s classes
    whose text is the same, wherever they are now; None when the whole file must be
    read."""
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
    parts: dict[str, ClassPart] = {}
    models: dict[str, RightsClass] = {}
    fresh: set[str] = set()
    by_text = {part.text: part for part in (kept or {}).values()}
    for entry in split.entries:
        part = by_text.get(entry.text)
        if part is None:
            part = _read_class(entry, file, lines)
            if part is None:
                return None
            fresh.add(part.name)
        if part.name in models:
            return None  # a class given twice: the whole file's parse says where
        models[part.name] = part.model
        parts[part.name] = part
        lines[(SECTION, part.name)] = entry.line
    model = _validate(data, models)
    if model is None:
        return None
    return ReadByClass(Document(file, data, lines), model, parts, frozenset(fresh), lines)


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
    return ClassPart(read.key, entry.text, model)


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
