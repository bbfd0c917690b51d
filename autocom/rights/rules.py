"""The rights rule file (rights.yaml) as frozen models, and the types of its compiled form.

:class:`RightsFile` is the schema (pydantic, file:line errors);
:class:`TimeRules` is what :func:`autocom.rights.compile.load_rules` builds from
it: the lookup structures the decision uses (category table, compiled slots,
per-class verdict lists, the caller -> class index).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, field_validator

from autocom.config import RuleModel
from autocom.config.settings import known_timezone
from autocom.rights.categories import (
    CategoryTable,
)
from autocom.rights.lockout import LockoutPolicy, format_duration, parse_duration
from autocom.rights.pins import check_hash_format
from autocom.rights.slots import (
    CompiledSlot,
    DateRule,
    HolidayCalendar,
    HourRange,
    LocalTimes,
    parse_dates,
    parse_hours,
    parse_weekdays,
)
from autocom.site.model import NumberRange, Site

Verdict = Literal["allow", "deny", "pin"]
VERDICTS: tuple[str, ...] = ("allow", "deny", "pin")
DEFAULT_TIMEZONE = "Europe/Paris"
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")


def _rule(value: Any) -> dict[str, str]:
    """A category rule: 'allow' or {slot: verdict, ..., default: verdict}."""
    if isinstance(value, str):
        if value not in VERDICTS:
            raise ValueError(f"{value!r} is not a verdict: write allow, deny or pin")
        return {"default": value}
    if isinstance(value, Mapping):
        out: dict[str, str] = {}
        for slot, verdict in value.items():
            if not isinstance(verdict, str) or verdict not in VERDICTS:
                raise ValueError(
                    f"{slot}: {verdict!r} is not a verdict: write '{slot}: allow' (or deny, pin)"
                )
            out[str(slot)] = verdict
        if not out:
            raise ValueError("empty mapping: write a verdict, or 'slot_name: verdict' lines")
        return out
    raise ValueError("write a verdict (allow, deny, pin) or 'slot_name: verdict' lines")


def _pin_hash(value: str) -> str:
    check_hash_format(value)
    return value


PinHash = Annotated[str, AfterValidator(_pin_hash)]

# Ordered {slot name: verdict}; the key "default" applies when no slot is active.
CategoryRule = Annotated[dict[str, str], BeforeValidator(_rule)]


class HolidaySettings(RuleModel):
    """Public holidays: a country and optional subdivision of the holidays library."""

    country: str = "FR"
    subdivision: str | None = None

    def calendar(self) -> HolidayCalendar:
        return HolidayCalendar(self.country, self.subdivision)

    @field_validator("subdivision")
    @classmethod
    def _subdiv(cls, value: str | None) -> str | None:
        return value or None

    def model_post_init(self, context: Any) -> None:
        HolidayCalendar.check(self.country, self.subdivision)  # ValueError -> file:line


class SlotModel(RuleModel):
    """A named time slot: every condition written must hold (and)."""

    description: str = ""
    weekdays: tuple[int, ...] | None = None  # 0 = Monday
    hours: tuple[HourRange, ...] | None = None  # any of them; end exclusive
    dates: tuple[DateRule, ...] | None = None  # any of them; whole days, ends included
    holidays: bool | HolidaySettings | None = None  # true: the file's calendar
    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = Field(default=(), alias="not")

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True
    )

    @field_validator("weekdays", mode="before")
    @classmethod
    def _weekdays(cls, value: Any) -> Any:
        return None if value is None else parse_weekdays(value)

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        return None if value is None else parse_hours(value)

    @field_validator("dates", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        return None if value is None else parse_dates(value)

    @field_validator("all_of", "any_of", "none_of", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        return value

    @field_validator("holidays", mode="before")
    @classmethod
    def _holidays(cls, value: Any) -> Any:
        if isinstance(value, str):
            low = value.lower()
            if low in ("true", "yes", "on"):
                return True
            if low in ("false", "no", "off"):
                return False
            raise ValueError(
                f"holidays: {value!r}: write 'true' (the file's calendar) or "
                "'{country: FR, subdivision: \"57\"}'"
            )
        return value


class RightsClass(RuleModel):
    """A class of service: {category: rule}, a default, and forward permissions."""

    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=True)
    __pydantic_extra__: dict[str, CategoryRule] = Field(init=False)  # category -> rule
    remembers_source: ClassVar[bool] = False  # its line: TimeRules.class_lines

    description: str = ""
    default: CategoryRule = Field(default_factory=lambda: {"default": "deny"})
    forward: dict[str, CategoryRule] = {}

    @property
    def categories(self) -> dict[str, dict[str, str]]:
        return dict(self.__pydantic_extra__ or {})


class Assign(RuleModel):
    """Who gets which class; most specific first (see docs/time_rules.md)."""

    extensions: dict[str, str] = {}  # "2001": boss
    ranges: dict[str, str] = {}  # "2100-2199": students (narrower ranges first)
    groups: dict[str, str] = {}  # group extension or name: security
    departments: dict[str, str] = {}  # site User.department: class
    contexts: dict[str, str] = {}  # site context name: class
    default: str | None = None  # everybody else

    @field_validator("ranges")
    @classmethod
    def _ranges(cls, value: dict[str, str]) -> dict[str, str]:
        for text in value:
            NumberRange.parse(text)
        return value


def _duration_between(low: int, high: int) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the defaults, already seconds
        seconds = parse_duration(value)
        if not low <= seconds <= high:
            raise ValueError(
                f"{value!r}: write a duration from {format_duration(low)}"
                f" to {format_duration(high)}"
            )
        return seconds

    return BeforeValidator(check)


def _failures(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip().isdigit() or not 1 <= int(value) <= 100:
            raise ValueError(f"{value!r}: write a number of wrong PINs from 1 to 100, e.g. 5")
        return int(value)
    return value


class LockoutSettings(RuleModel):
    """``pin: lockout:``: wrong PINs per PIN owner, counted across calls and servers."""

    failures: Annotated[int, BeforeValidator(_failures)] = 5  # wrong PINs ...
    window: Annotated[int, _duration_between(60, 7 * 86400)] = 3600  # ... within (seconds)
    lock: Annotated[int, _duration_between(60, 30 * 86400)] = 3600  # lock time (seconds)


def _lockout(value: Any) -> Any:
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("off", "false", "no"):
            return None
        if low in ("on", "true", "yes"):
            return {}
    if value is None or isinstance(value, str):
        said = "is empty" if value is None else f"{value!r} is not a setting"
        raise ValueError(
            f"lockout {said}: write 'lockout: off', or failures:, window: and lock: lines"
            " (e.g. '{failures: \"5\", window: 1h, lock: 1h}')"
        )
    return value


class PinSettings(RuleModel):
    attempts: int = Field(default=3, ge=1, le=10)
    min_digits: int = Field(default=4, ge=1, le=20)
    max_digits: int = Field(default=8, ge=1, le=20)
    timeout_ms: int = Field(default=6000, ge=1000, le=60000)
    # None: off (`lockout: off`); absent: the defaults (5 wrong PINs within 1h lock 1h)
    lockout: Annotated[LockoutSettings | None, BeforeValidator(_lockout)] = LockoutSettings()


class RightsFile(RuleModel):
    """rights.yaml."""

    timezone: str | None = None  # default Europe/Paris; must match autocom.yaml's
    line_prefix: str | None = None  # default: the site's outgoing context line_prefix
    plan: Literal["fr", "none"] = "fr"  # built-in categories
    holidays: HolidaySettings = HolidaySettings()
    categories: dict[str, tuple[str, ...]] = {}
    slots: dict[str, SlotModel] = {}
    classes: dict[str, RightsClass] = {}
    assign: Assign = Assign()
    pins: dict[str, PinHash] = {}  # extension -> salted hash (autocom rights hash-pin)
    pin: PinSettings = PinSettings()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else known_timezone(value)

    @field_validator("line_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9*#]{0,4}", value):
            raise ValueError(f'line_prefix {value!r}: write up to 4 digits, e.g. "0"')
        return value

    @field_validator("categories", mode="before")
    @classmethod
    def _cats(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: ((v,) if isinstance(v, str) else v) for k, v in value.items()}
        return value


# --------------------------------------------------------------------------- compiled


@dataclass(frozen=True)
class RuleLine:
    """One verdict of a class for a category: active in ``slot`` (None = default).

    Its line is kept as an offset from its class's line, and the class's line apart
    (``TimeRules.class_lines``), so that a class that moves down the file is the very
    same compiled class (:mod:`autocom.rights.incremental`):
    :meth:`TimeRules.where_of` gives its ``file:line``."""

    slot: str | None
    verdict: Verdict
    offset: int | None  # its line minus its class's (None: the file names no line)
    text: str  # "staff.international.office_hours: allow"


@dataclass(frozen=True)
class CompiledClass:
    """A class's rule lines; where it is written is the rules' (``TimeRules.where_of``)."""

    name: str
    calls: Mapping[str, tuple[RuleLine, ...]]  # category -> lines (slot order, default last)
    call_default: tuple[RuleLine, ...]
    forwards: Mapping[str, tuple[RuleLine, ...]]
    forward_default: tuple[RuleLine, ...]


@dataclass(frozen=True)
class Assignment:
    """Who gets which class.  One of rights.yaml's ``assign:`` keeps its line as an
    offset from the ``assign:`` key's (``TimeRules.assign_line``), so that lines
    added above the section leave it the very assignment of the last load (a reload
    through the loader process then sends none of 4000 again);
    :meth:`TimeRules.where_of_assignment` gives its ``file:line``."""

    class_name: str
    selector: str  # "extension 2001", "range 2100-2199", "group 6000", ...
    where: str  # a department fragment's file:line; rights.yaml's file for an offset
    offset: int | None = None  # its line minus the assign: key's (None: ``where`` says)


@dataclass(frozen=True)
class ClassPart:
    """One class as a load read and compiled it, for the next reload to keep when its
    text is the same, wherever it moved in the file (:mod:`autocom.rights.incremental`)."""

    name: str
    text: str  # the class's entry in the file, from its key's line
    model: RightsClass
    compiled: CompiledClass | None = None  # None until the whole file compiled
    categories: frozenset[str] = frozenset()  # the names it was compiled against
    slots: frozenset[str] = frozenset()


# class name -> what its text gave
ClassParts = Mapping[str, ClassPart]


class PlanStep(NamedTuple):
    """A rule line as the decision tries it, with its texts
    (:func:`autocom.rights.decision.plan_steps`)."""

    slot: str | None  # the slot that must be active; None: the line applies
    verdict: Verdict
    slot_name: str | None  # the decision's slot
    reason: str
    trace: tuple[str, ...]  # what the trace says after the category and class lines


@dataclass(frozen=True)
class TimeRules:
    """The compiled rule file: ``config.rules["time_rules"]``."""

    model: RightsFile
    file: str
    tz: ZoneInfo  # the site's zone: every instant is read as wall-clock time there
    line_prefix: str  # "" when external numbers are dialed without a prefix
    categories: CategoryTable
    slots: Mapping[str, CompiledSlot]
    classes: Mapping[str, CompiledClass]
    # class name -> the line of its key (absent: the file names no line): apart from
    # the classes, so that lines added above a class leave it as it was
    class_lines: Mapping[str, int]
    by_extension: Mapping[str, Assignment]  # every site user and explicit extension
    ranges: tuple[tuple[NumberRange, Assignment], ...]  # narrower first
    groups: Mapping[str, Assignment]  # group extension -> assignment
    departments: Mapping[str, Assignment]
    contexts: Mapping[str, Assignment]
    default: Assignment | None
    pins: Mapping[str, str] = field(default_factory=dict)
    lockout: LockoutPolicy | None = None  # None: `pin: lockout: off`
    assign_line: int | None = None  # the line of the assign: key (an Assignment's offset)
    # each class's text, model and compiled form: what a reload keeps (None: not split)
    parts: ClassParts | None = field(default=None, compare=False, repr=False)
    # (class, purpose, category) -> its steps, made when first decided: texts of the
    # rule lines and slots of this load (at most decision.MAX_PLANS of them)
    plans: dict[tuple[str, str, str], tuple[PlanStep, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    local_times: LocalTimes = field(init=False, compare=False, repr=False)
    # assignment -> its trace line ("file:line selector -> class name"), made when
    # first decided (at most one per assignment of this load)
    assigned: dict[Assignment, str] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "local_times", LocalTimes(self.tz))

    def slot_names(self) -> set[str]:
        return set(self.slots)

    def where_of(self, name: str, rule: RuleLine | None = None) -> str:
        """``file:line`` of class ``name``'s key, or of one of its rule lines."""
        line = self.class_lines.get(name)
        if rule is None:
            return self.file if line is None else f"{self.file}:{line}"
        if rule.offset is None:
            return self.file
        return f"{self.file}:{(line or 0) + rule.offset}"

    def where_of_assignment(self, assignment: Assignment) -> str:
        """``file:line`` of an assignment."""
        if assignment.offset is None or self.assign_line is None:
            return assignment.where
        return f"{self.file}:{self.assign_line + assignment.offset}"

    def trace_of(self, assignment: Assignment) -> str:
        """The decision's trace line of an assignment (made once)."""
        found = self.assigned.get(assignment)
        if found is None:
            where = self.where_of_assignment(assignment)
            found = f"{where} {assignment.selector} -> class {assignment.class_name}"
            self.assigned[assignment] = found
        return found


def resolve_assignment(
    ext: str,
    department: str,
    context: str | None,
    ranges: list[tuple[NumberRange, Assignment]],
    groups: Mapping[str, Assignment],
    site: Site,
    departments: Mapping[str, Assignment],
    contexts: Mapping[str, Assignment],
    default: Assignment | None,
    issue: Any = None,
) -> Assignment | None:
    for rng, a in ranges:
        if ext in rng:
            return a
    found = [groups[g.extension] for g in site.groups_of(ext) if g.extension in groups]
    if found:
        classes = {a.class_name for a in found}
        if len(classes) > 1 and issue is not None:
            issue(
                ("assign", "groups"),
                f"extension {ext} is in groups that give different classes "
                f"({', '.join(a.selector + ': ' + a.class_name for a in found)})",
                f"assign it under 'extensions:' ('\"{ext}\": <class>')",
            )
        return found[0]
    if department and department in departments:
        return departments[department]
    if context and context in contexts:
        return contexts[context]
    return default


def assignment_of(
    rules: TimeRules, site: Site, caller: str, context: str | None = None
) -> Assignment | None:
    """The class assignment of ``caller``: extension > range > group > department >
    context > default (precomputed for site users)."""
    hit = rules.by_extension.get(caller)
    if hit is not None:
        return hit
    user = site.user(caller)
    return resolve_assignment(
        caller,
        user.department if user else "",
        context or (user.context if user else None),
        list(rules.ranges),
        rules.groups,
        site,
        rules.departments,
        rules.contexts,
        rules.default,
    )


__all__ = [
    "VERDICTS",
    "Assign",
    "Assignment",
    "ClassPart",
    "ClassParts",
    "CompiledClass",
    "HolidaySettings",
    "LockoutSettings",
    "PinSettings",
    "PlanStep",
    "RightsClass",
    "RightsFile",
    "RuleLine",
    "SlotModel",
    "TimeRules",
    "Verdict",
    "assignment_of",
    "resolve_assignment",
]
