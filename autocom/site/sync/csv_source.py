"""A CSV export of users: one row per user, a header naming the columns.

    extension,name,first_name,context,devices,department,email,mobile,title,manager
    2001,Martin,Sophie,personnel,martin-desk|martin-soft,Scolarité,,,Responsable,2100

``extension`` and ``name`` are required; ``devices`` holds PJSIP endpoints
separated by '|'; ``manager`` an extension.  Rows without a context take the
source's ``context``; with neither, the row only completes a user another
source gives.  Any bad row fails the whole source, naming file:line.
"""

from __future__ import annotations

from pathlib import Path

from autocom.config.csv_rows import csv_rows
from autocom.config.errors import ConfigError
from autocom.config.yaml_source import read_config_text
from autocom.site.model import DEVICE_RE, EXTENSION_RE
from autocom.site.sync.records import USER_FIELDS, SourceData, SourceFailed, UserRecord
from autocom.site.sync.settings import CsvSource

COLUMNS = ("extension", *USER_FIELDS)


def _row_problem(data: dict[str, str]) -> str | None:
    if not EXTENSION_RE.match(data.get("extension", "")):
        return f"extension {data.get('extension', '')!r}: write digits (and * or #), up to 20"
    if not data.get("name"):
        return "name is empty: write the family name"
    for dev in data.get("devices", "").split("|"):
        if dev.strip() and not DEVICE_RE.match(dev.strip()):
            return f"device {dev.strip()!r}: letters, digits, '_', '.', '-' only"
    return None


def _record(data: dict[str, str], origin: str, context: str) -> UserRecord:
    devices = tuple(d.strip() for d in data.pop("devices", "").split("|") if d.strip())
    data["context"] = data.get("context") or context
    return UserRecord(origin=origin, devices=devices, **data)


def parse_csv(text: str, file: str, settings: CsvSource) -> SourceData:
    """The users of a CSV export; SourceFailed naming every bad line."""
    header: list[str] | None = None
    users: list[UserRecord] = []
    problems: list[str] = []
    for line, row in csv_rows(text, settings.delimiter):
        if header is None:
            header = [c.strip() for c in row]
            unknown = [c for c in header if c not in COLUMNS]
            if unknown or "extension" not in header or "name" not in header:
                raise SourceFailed(
                    settings.name,
                    f"{file}:{line}: the header needs extension and name, and knows only "
                    f"{', '.join(COLUMNS)} (unknown: {', '.join(unknown) or 'none'})",
                )
            continue
        if len(row) > len(header):
            problems.append(f"{file}:{line}: {len(row)} cells for {len(header)} columns")
            continue
        data = {col: cell.strip() for col, cell in zip(header, row, strict=False)}
        problem = _row_problem(data)
        if problem:
            problems.append(f"{file}:{line}: {problem}")
            continue
        users.append(_record(data, f"{Path(file).name}:{line}", settings.context))
    if problems:
        raise SourceFailed(settings.name, "; ".join(problems[:10]))
    return SourceData(settings.name, users=tuple(users))


def read_csv_source(settings: CsvSource, base: Path) -> SourceData:
    path = Path(settings.path)
    path = path if path.is_absolute() else base / path
    try:
        text = read_config_text(path)
    except ConfigError as exc:
        raise SourceFailed(settings.name, str(exc)) from None
    return parse_csv(text, str(path), settings)
