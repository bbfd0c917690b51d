"""Read departments.yaml and every department's fragment files (the I/O part).

Nothing is checked here beyond each file's schema: autocom.departments.check says
what a department may not set, the features merge the rest.
"""

from __future__ import annotations

from pathlib import Path

from autocom.config.errors import ConfigError, ConfigIssue
from autocom.config.model import validate
from autocom.config.yaml_source import (
    Document,
    LocatedDict,
    holds_nothing,
    parse_yaml,
    read_config_text,
)
from autocom.departments.compiled import Departments, Setting
from autocom.departments.model import ADMIN_ONLY, Department, DepartmentsFile, Fragment


def folder_of(base: Path, slug: str, department: Department) -> Path:
    name = department.folder or f"departments/{slug}"
    path = Path(name)
    return path if path.is_absolute() else base / path


def fragment_files(folder: Path) -> list[Path]:
    """The fragments of a department's folder: its ``*.yaml`` files, in name order;
    hidden ones (an editor's or a copy's temporary ``.name.yaml``) are not read."""
    return sorted(f for f in folder.glob("*.yaml") if not f.name.startswith(".") and f.is_file())


def read_departments(path: Path, base: Path) -> tuple[Departments, list[ConfigIssue]]:
    """departments.yaml at ``path`` and the fragments of its folders (``base``:
    autocom.yaml's folder); every problem of every file is returned, not raised."""
    issues: list[ConfigIssue] = []
    try:
        text = read_config_text(path)
        if holds_nothing(text):
            raise ConfigError.single(
                str(path),
                1,
                "departments: the file is empty (a save cut short looks the same)",
                "to have no department, say so: write `departments: {}`",
            )
        doc = parse_yaml(text, str(path))
        model = validate(DepartmentsFile, doc)
    except ConfigError as exc:
        return Departments(str(path), files=(path,)), list(exc.issues)
    files: list[Path] = [path]
    folders: list[Path] = []
    settings: list[Setting] = []
    for slug, department in model.departments.items():
        folder = folder_of(base, slug, department)
        folders.append(folder)
        if not folder.is_dir():
            issues.append(
                ConfigIssue(
                    str(path),
                    doc.line_of(("departments", slug)),
                    f"department {slug}: its folder {folder} does not exist",
                    f"create it (mkdir -p {folder}) or write folder: <its path>",
                )
            )
            continue
        for file in fragment_files(folder):
            files.append(file)
            try:
                settings += read_fragment(file, slug, department)
            except ConfigError as exc:
                issues.extend(exc.issues)
    departments = Departments(
        str(path), dict(model.departments), tuple(settings), tuple(files), tuple(folders), doc.lines
    )
    return departments, issues


def read_fragment(file: Path, slug: str, department: Department) -> list[Setting]:
    """One fragment file's settings; a key of the main admin's files, or anything
    else the schema refuses, raises ConfigError naming its line."""
    text = read_config_text(file)
    if holds_nothing(text):
        raise ConfigError.single(
            str(file),
            1,
            f"department {slug}: the fragment is empty (a save cut short looks the same)",
            "to have none, delete the file, or write `assign: {}`",
        )
    doc = parse_yaml(text, str(file))
    data = doc.data if isinstance(doc.data, LocatedDict) else None
    issues = []
    if data is not None:
        kept = LocatedDict({k: v for k, v in data.items() if k not in ADMIN_ONLY})
        kept.file, kept.line = data.file, data.line
        for key in data.keys() - kept.keys():
            message, hint = ADMIN_ONLY[key]
            if key == "classes":
                hint += f": {', '.join(department.may.assign) or 'none'}"
            issues.append(ConfigIssue(str(file), doc.line_of((key,)), f"{key}: {message}", hint))
        doc = Document(doc.file, kept, doc.lines)
    try:
        fragment = validate(Fragment, doc)
    except ConfigError as exc:
        issues.extend(exc.issues)
    if issues:
        raise ConfigError(sorted(issues, key=lambda i: i.line or 0))
    return settings_of(fragment, doc, slug)


def settings_of(fragment: Fragment, doc: Document, slug: str) -> list[Setting]:
    def at(kind: str, key: str | int) -> int | None:
        return doc.line_of((kind, key))

    out = [
        Setting("assign", slug, ext, (cls,), doc.file, at("assign", ext))
        for ext, cls in fragment.assign.items()
    ]
    out += [
        Setting("speed_dial", slug, sd.code, (sd.number, sd.label), doc.file, at("speed_dials", i))
        for i, sd in enumerate(fragment.speed_dials)
    ]
    out += [
        Setting("group", slug, grp, members, doc.file, at("groups", grp))
        for grp, members in fragment.groups.items()
    ]
    out += [
        Setting("prompt", slug, menu, sounds, doc.file, at("prompts", menu))
        for menu, sounds in fragment.prompts.items()
    ]
    return out
