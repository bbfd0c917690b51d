"""Speed-dial tables: CSV import/export and edits of speeddial.yaml that keep comments.

CSV (one header line; ',' ';' or tab; UTF-8)::

    kind,code,user,number,label,bypass_rights
    collective,8001,,00388123456,Pharmacie,no
    personal,07,2001,0612345678,Maman,

``code`` is the collective code, or the slot (0-99) of a personal entry.
:func:`plan_import` validates every row first and returns what would be
written and what is refused (with the line and why); the CLI writes only when
nothing is refused, so a table is never half-imported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from apps.speed_dial.checks import check_rules, shadowed
from apps.speed_dial.engine import Classify, PersonalEntry, slot_of
from apps.speed_dial.rules import Entry, SpeedDialRules, check_label, check_number
from autocom.config import ConfigError, ConfigIssue, parse_yaml, validate
from autocom.site.model import Site

COLUMNS = ("kind", "code", "user", "number", "label", "bypass_rights")
MAX_ROWS = 100_000
TRUE = {"yes", "true", "1", "oui", "y"}
FALSE = {"", "no", "false", "0", "non", "n"}


@dataclass(frozen=True)
class Refused:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportPlan:
    collective: list[Entry] = field(default_factory=list)
    personal: list[tuple[str, str, PersonalEntry]] = field(default_factory=list)  # user, slot
    refused: list[Refused] = field(default_factory=list)
    replaced: int = 0  # personal slots that already held a number

    @property
    def ok(self) -> bool:
        return not self.refused


def read_csv(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[Refused]]:
    """Rows (line number, column -> value) and problems with the file's shape."""
    lines = text.splitlines()
    if not lines:
        return [], [Refused(1, "empty file: write the header " + ",".join(COLUMNS))]
    head = lines[0]
    delimiter = max((",", ";", "\t"), key=head.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in ("kind", "code", "number") if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        what = []
        if missing:
            what.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            what.append(f"unknown column(s) {', '.join(unknown)}")
        return [], [Refused(1, "; ".join(what) + f": the header is {','.join(COLUMNS)}")]
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[Refused] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            problems.append(Refused(line, f"more than {MAX_ROWS} rows"))
            break
        if len(values) > len(header):
            problems.append(Refused(line, f"{len(values)} columns, the header has {len(header)}"))
            continue
        row = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        rows.append((line, row))
    return rows, problems


def plan_import(
    text: str,
    rules: SpeedDialRules,
    site: Site,
    classify: Classify | None,
    existing_personal: Mapping[str, Mapping[str, PersonalEntry]],
) -> ImportPlan:
    """Validate a whole CSV table; nothing is written here."""
    rows, problems = read_csv(text)
    importer = _Importer(rules, site, existing_personal, ImportPlan(refused=list(problems)))
    for line, row in rows:
        kind = row.get("kind", "").lower()
        why = _number_problems(row.get("number", ""), row.get("label", ""), classify)
        if kind == "collective":
            importer.collective(line, row, why)
        elif kind == "personal":
            importer.personal(line, row, why)
        else:
            importer.plan.refused.append(
                Refused(line, f"kind {kind!r}: write collective or personal")
            )
    return importer.plan


def _number_problems(number: str, label: str, classify: Classify | None) -> list[str]:
    why: list[str] = []
    try:
        check_number(number)
    except ValueError as exc:
        why.append(str(exc))
    try:
        check_label(label)
    except ValueError as exc:
        why.append(str(exc))
    if not why and classify is not None and classify(number) is None:
        why.append(f"the numbering plan cannot classify {number}")
    return why


class _Importer:
    """The rows accepted so far, and where each code and slot was first seen."""

    def __init__(
        self,
        rules: SpeedDialRules,
        site: Site,
        existing: Mapping[str, Mapping[str, PersonalEntry]],
        plan: ImportPlan,
    ) -> None:
        self.rules, self.site, self.existing, self.plan = rules, site, existing, plan
        self.codes: dict[str, int] = {}
        self.slots: dict[tuple[str, str], int] = {}

    def collective(self, line: int, row: dict[str, str], why: list[str]) -> None:
        code, col = row.get("code", ""), self.rules.collective
        bypass_text = row.get("bypass_rights", "").lower()
        if bypass_text not in TRUE | FALSE:
            why.append(f"bypass_rights {bypass_text!r}: write yes or no")
        if row.get("user", ""):
            why.append("a collective entry has no user: leave the column empty")
        if not col.in_range(code):
            why.append(f"code {code!r} is outside the {col.describe_range()}")
        elif self.rules.entry(code) is not None:
            why.append(f"code {code} is already in speeddial.yaml")
        elif code in self.codes:
            why.append(f"code {code} already on line {self.codes[code]}")
        what = shadowed(code, self.site)
        if what is not None:
            why.append(f"code {code} shadows {what}")
        if why:
            self.plan.refused.append(Refused(line, "; ".join(why)))
            return
        self.codes[code] = line
        entry = Entry(
            code=code,
            number=row.get("number", ""),
            label=row.get("label", ""),
            bypass_rights=bypass_text in TRUE,
        )
        self.plan.collective.append(entry)

    def personal(self, line: int, row: dict[str, str], why: list[str]) -> None:
        user, code = row.get("user", ""), row.get("code", "")
        slot = slot_of(code, self.rules.personal.slots)
        if slot is None:
            why.append(f"slot {code!r}: write 0 to {self.rules.personal.slots - 1}")
        if self.site.user(user) is None:
            why.append(f"user {user!r} is not in the site file")
        if row.get("bypass_rights", "").lower() not in FALSE:
            why.append("bypass_rights is only for collective entries")
        if slot is not None and (user, slot) in self.slots:
            why.append(f"user {user} slot {slot} already on line {self.slots[user, slot]}")
        if why or slot is None:
            self.plan.refused.append(Refused(line, "; ".join(why)))
            return
        self.slots[user, slot] = line
        if slot in self.existing.get(user, {}):
            self.plan.replaced += 1
        entry = PersonalEntry(row.get("number", ""), row.get("label", ""))
        self.plan.personal.append((user, slot, entry))


def export_csv(rules: SpeedDialRules, personal: Mapping[str, Mapping[str, PersonalEntry]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for e in rules.collective.entries:
        writer.writerow(
            ["collective", e.code, "", e.number, e.label, "yes" if e.bypass_rights else "no"]
        )
    for user in sorted(personal):
        for slot in sorted(personal[user]):
            p = personal[user][slot]
            writer.writerow(["personal", slot, user, p.number, p.label, ""])
    return out.getvalue()


# ------------------------------------------------------------------ speeddial.yaml edits


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    return y


def _entry_map(e: Entry) -> CommentedMap:
    m = CommentedMap()
    m["code"] = DoubleQuotedScalarString(e.code)
    m["number"] = DoubleQuotedScalarString(e.number)
    if e.label:
        m["label"] = DoubleQuotedScalarString(e.label)
    if e.bypass_rights:
        m["bypass_rights"] = True
    return m


def edit_collective(
    text: str,
    add: Iterable[Entry] = (),
    remove: Iterable[str] = (),
    default_range: str = "8000-8999",
) -> tuple[str, list[str]]:
    """New speeddial.yaml text with entries added / removed, comments kept.

    Returns the text and the codes asked to be removed that were not there.
    """
    y = _yaml()
    data = y.load(text) if text.strip() else None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ValueError("speeddial.yaml: the file is not a mapping (key: value lines)")
    col = data.get("collective")
    if col is None:
        col = CommentedMap()
        col["range"] = DoubleQuotedScalarString(default_range)
        data["collective"] = col
    if not isinstance(col, CommentedMap):
        raise ValueError("speeddial.yaml: collective: is not a mapping")
    entries = col.get("entries")
    if entries is None:
        entries = CommentedSeq()
        col["entries"] = entries
    if not isinstance(entries, CommentedSeq):
        raise ValueError("speeddial.yaml: collective.entries is not a list")
    missing = []
    for code in remove:
        index = next(
            (i for i, item in enumerate(entries) if str(item.get("code", "")) == code), None
        )
        if index is None:
            missing.append(code)
        else:
            del entries[index]
    for e in add:
        entries.append(_entry_map(e))
    out = io.StringIO()
    y.dump(data, out)
    return out.getvalue(), missing


def validate_text(text: str, file: str, site: Site, classify: Classify | None) -> list[ConfigIssue]:
    """Every issue `autocom check` would report for this speeddial.yaml text."""
    try:
        rules = validate(SpeedDialRules, parse_yaml(text, file))
    except ConfigError as exc:
        return list(exc.issues)
    except ValidationError as exc:  # pragma: no cover - validate() converts these
        return [ConfigIssue(file, None, str(exc))]
    return check_rules(rules, site, classify, file)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
