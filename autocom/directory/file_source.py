"""A directory file (CSV or YAML): the embedded default source.

CSV: a header line naming the columns, UTF-8, comma-separated; several
numbers in one cell are separated by '|'::

    name,first_name,department,title,email,room,extension,office,mobile
    Dupont,Jean,Comptabilité,,jean.dupont@example.org,B104,2001,+33 3 88 40 20 01|03 88 40 20 99,

YAML: ``people:`` then one mapping per person with the same keys (a number
key may hold a list).  Unknown columns or keys, a missing name or a value that
is not a phone number are errors naming file:line.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError, field_validator

from autocom.config import ConfigError, ConfigIssue, RuleModel, load_yaml, read_config_text
from autocom.config.csv_rows import csv_rows
from autocom.config.model import issues_from_validation
from autocom.config.yaml_source import Document
from autocom.directory.memory import MemorySource
from autocom.directory.model import Entry, Number, NumberKind
from autocom.directory.numbers import NumberPlan

NUMBER_COLUMNS: tuple[NumberKind, ...] = ("extension", "office", "mobile", "home", "fax", "other")
TEXT_COLUMNS = ("name", "first_name", "department", "title", "email", "room", "uid")


class PersonRecord(RuleModel):
    name: str
    first_name: str = ""
    department: str = ""
    title: str = ""
    email: str = ""
    room: str = ""
    uid: str = ""
    extension: tuple[str, ...] = ()
    office: tuple[str, ...] = ()
    mobile: tuple[str, ...] = ()
    home: tuple[str, ...] = ()
    fax: tuple[str, ...] = ()
    other: tuple[str, ...] = ()

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v:
            raise ValueError("name is empty: write the family name")
        return v

    @field_validator(*NUMBER_COLUMNS, mode="before")
    @classmethod
    def _numbers(cls, v: object) -> object:
        if v is None:
            return ()
        if isinstance(v, str):
            return tuple(p.strip() for p in v.split("|") if p.strip())
        return v


class PeopleFile(RuleModel):
    people: tuple[PersonRecord, ...] = ()


def _entry(record: PersonRecord, plan: NumberPlan, source: str, ident: str) -> Entry:
    numbers = []
    for kind in NUMBER_COLUMNS:
        for raw in getattr(record, kind):
            numbers.append(Number(kind, raw, plan.canonical(raw)))
    return Entry(
        source=source,
        id=ident,
        name=record.name,
        first_name=record.first_name,
        numbers=tuple(numbers),
        department=record.department,
        title=record.title,
        email=record.email,
        room=record.room,
        uid=record.uid,
    )


def _check_numbers(
    record: PersonRecord, plan: NumberPlan, file: str, line: int
) -> list[ConfigIssue]:
    issues = []
    for kind in NUMBER_COLUMNS:
        for raw in getattr(record, kind):
            if not plan.clean(raw):
                issues.append(
                    ConfigIssue(
                        file,
                        line,
                        f"{kind}: {raw!r} is not a phone number",
                        "write digits, with spaces, '.', '-' or a leading '+' if you like",
                    )
                )
    return issues


def read_csv(path: Path, plan: NumberPlan, source: str) -> list[Entry]:
    file = str(path)
    text = read_config_text(path)
    issues: list[ConfigIssue] = []
    entries: list[Entry] = []
    header: list[str] | None = None
    known = set(TEXT_COLUMNS) | set(NUMBER_COLUMNS)
    for line, row in csv_rows(text):
        if header is None:
            header = [c.strip() for c in row]
            for col in header:
                if col not in known:
                    issues.append(
                        ConfigIssue(
                            file, line, f"unknown column {col!r}", f"use {', '.join(sorted(known))}"
                        )
                    )
            if "name" not in header:
                issues.append(ConfigIssue(file, line, "no 'name' column", "add a name column"))
            if issues:
                raise ConfigError(issues)
            continue
        if len(row) > len(header):
            issues.append(
                ConfigIssue(
                    file,
                    line,
                    f"{len(row)} cells for {len(header)} columns",
                    "quote cells holding commas",
                )
            )
            continue
        data = {col: cell.strip() for col, cell in zip(header, row, strict=False)}
        try:
            record = PersonRecord.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                where = ".".join(str(p) for p in err["loc"])
                msg = err["msg"].removeprefix("Value error, ")
                issues.append(ConfigIssue(file, line, f"{where}: {msg}"))
            continue
        found = _check_numbers(record, plan, file, line)
        if found:
            issues.extend(found)
            continue
        entries.append(_entry(record, plan, source, f"{path.name}:{line}"))
    if issues:
        raise ConfigError(issues)
    return entries


def read_yaml(path: Path, plan: NumberPlan, source: str) -> list[Entry]:
    doc: Document = load_yaml(path)
    try:
        people = PeopleFile.model_validate(doc.data if doc.data is not None else {})
    except ValidationError as exc:
        raise ConfigError(issues_from_validation(exc, doc)) from None
    issues: list[ConfigIssue] = []
    entries = []
    for index, record in enumerate(people.people):
        line = doc.line_of(("people", index)) or 0
        found = _check_numbers(record, plan, str(path), line)
        issues.extend(found)
        if not found:
            entries.append(_entry(record, plan, source, f"{path.name}:{line}"))
    if issues:
        raise ConfigError(issues)
    return entries


def read_people(path: Path, plan: NumberPlan, source: str) -> list[Entry]:
    """Read a CSV or YAML directory file; raise ConfigError with every issue."""
    if path.suffix.lower() == ".csv":
        return read_csv(path, plan, source)
    if path.suffix.lower() in (".yaml", ".yml"):
        return read_yaml(path, plan, source)
    raise ConfigError.single(
        str(path), None, "unknown directory file type", "name it .csv, .yaml or .yml"
    )


class FileSource(MemorySource):
    def __init__(self, name: str, entries: list[Entry], plan: NumberPlan) -> None:
        super().__init__(name, entries, plan)

    @classmethod
    def read(cls, name: str, path: Path, plan: NumberPlan) -> FileSource:
        return cls(name, read_people(path, plan, name), plan)
