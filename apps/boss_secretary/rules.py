"""The filters rule file (filters.yaml): who filters whom, how, and when.

```yaml
caller_name: "[{boss_upper}] {caller_name}"   # what secretaries see (default)
filters:
  - name: presidency
    bosses:
      - extension: "2001"
        ring_time: 20
        vip: ["0145678900", "_06XXXXXXXX", "2010"]
    secretaries: ["2002", {extension: "2091", ring_time: 25}]   # users or hunt groups
    mode: secretaries_first_serial
    fallback: voicemail            # or hangup, or {destination: "2099"}
    slots: [office_hours]          # time slots of the time_rules file; none = always
```
"""

from __future__ import annotations

import string
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from apps.boss_secretary.patterns import check_entry
from autocom.config.model import RuleModel
from autocom.site.model import EXTENSION_RE, NAME_RE

Mode = Literal[
    "boss_first_serial",
    "boss_first_simultaneous",
    "secretaries_first_serial",
    "secretaries_first_simultaneous",
    "all_at_once",
]
MODES: tuple[str, ...] = Mode.__args__  # type: ignore[attr-defined]

# Fields the caller-name format may use (str.format names, nothing else).
NAME_FIELDS = frozenset(
    {
        "caller_name",  # the caller's name, or the number when there is none
        "caller_number",
        "boss_name",  # the boss's family name as in the site file
        "boss_upper",  # the same in capitals: DUPONT
        "boss_first_name",
        "boss_extension",
        "filter",  # the filter's name
    }
)
DEFAULT_CALLER_NAME = "[{boss_upper}] {caller_name}"
MAX_RING_TIME = 600


def check_format(value: str) -> str:
    """A caller-name format: text with {field} names from NAME_FIELDS only."""
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError as exc:
        raise ValueError(
            f"caller_name {value!r}: {exc}; write text with {{caller_name}}-style fields "
            "(double {{ }} for a literal brace)"
        ) from None
    for _text, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in NAME_FIELDS or spec or conversion:
            raise ValueError(
                f"caller_name {value!r}: unknown field {{{field}}}; "
                f"use {', '.join('{' + f + '}' for f in sorted(NAME_FIELDS))}"
            )
    if len(value) > 200:
        raise ValueError("caller_name: at most 200 characters")
    return value


def _member_shorthand(value: Any) -> Any:
    # "2002" is short for {extension: "2002"}
    if isinstance(value, str):
        return {"extension": value}
    return value


class Member(RuleModel):
    """A secretary: a user's extension or a hunt group's extension."""

    extension: str
    ring_time: int | None = Field(default=None, ge=1, le=MAX_RING_TIME)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _member_shorthand(value)

    @field_validator("extension")
    @classmethod
    def _ext(cls, value: str) -> str:
        if not EXTENSION_RE.match(value):
            raise ValueError(f"extension {value!r}: write digits (and * or #), up to 20")
        return value


class Boss(Member):
    """A boss: a user; ``vip`` numbers reach the boss directly."""

    vip: tuple[str, ...] = ()

    @field_validator("vip")
    @classmethod
    def _vip(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            check_entry(entry)
        return value


class Destination(RuleModel):
    """Fallback to another extension or number, routed in ``context``."""

    destination: str
    context: str | None = None  # dialplan context; default: the boss's site context

    @field_validator("destination")
    @classmethod
    def _dest(cls, value: str) -> str:
        if not EXTENSION_RE.match(value):
            raise ValueError(f"destination {value!r}: write an extension or a number")
        return value

    @field_validator("context")
    @classmethod
    def _ctx(cls, value: str | None) -> str | None:
        if value is not None and not NAME_RE.match(value):
            raise ValueError(f"context {value!r}: letters, digits, '_' and '-' only")
        return value


Fallback = Literal["voicemail", "hangup"] | Destination


class Filter(RuleModel):
    name: str
    bosses: tuple[Boss, ...] = Field(min_length=1)
    secretaries: tuple[Member, ...] = Field(min_length=1)
    mode: Mode = "secretaries_first_serial"
    boss_ring_time: int = Field(default=20, ge=1, le=MAX_RING_TIME)
    secretary_ring_time: int = Field(default=15, ge=1, le=MAX_RING_TIME)
    fallback: Fallback = "voicemail"
    slots: tuple[str, ...] = ()  # active in any of these slots; empty: always
    caller_name: str | None = None  # format; None: the file's
    vip: tuple[str, ...] = ()  # for every boss of this filter
    default: bool = True  # on or off when the state store says nothing

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError(f"filter name {value!r}: letters, digits, '_' and '-' only")
        return value

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in MODES:
            raise ValueError(f"mode {value!r}: write one of {', '.join(MODES)}")
        return value

    @field_validator("fallback", mode="before")
    @classmethod
    def _fallback(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in ("voicemail", "hangup"):
            raise ValueError(
                f"fallback {value!r}: write voicemail, hangup, or 'destination: <extension>'"
            )
        return value

    @field_validator("caller_name")
    @classmethod
    def _format(cls, value: str | None) -> str | None:
        return None if value is None else check_format(value)

    @field_validator("vip")
    @classmethod
    def _vip(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            check_entry(entry)
        return value

    @model_validator(mode="after")
    def _distinct(self) -> Filter:
        bosses = [b.extension for b in self.bosses]
        secretaries = [s.extension for s in self.secretaries]
        for label, items in (("boss", bosses), ("secretary", secretaries)):
            if len(set(items)) != len(items):
                raise ValueError(f"filter {self.name!r}: a {label} is listed twice")
        both = set(bosses) & set(secretaries)
        if both:
            raise ValueError(
                f"filter {self.name!r}: {', '.join(sorted(both))} is both boss and secretary"
            )
        return self

    def boss(self, extension: str) -> Boss | None:
        return next((b for b in self.bosses if b.extension == extension), None)


class FilterRules(RuleModel):
    """The whole filters.yaml."""

    _lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)
    _file: str = PrivateAttr(default="")

    caller_name: str = DEFAULT_CALLER_NAME
    filters: tuple[Filter, ...] = ()
    # seconds between two syncs of the BLF lamps from the state store, over the ARI
    # of autocom.yaml (no ari: section: lamps change only by *37 calls)
    lamp_sync: float = Field(default=30.0, gt=0, le=86400)

    @field_validator("caller_name")
    @classmethod
    def _format(cls, value: str) -> str:
        return check_format(value)

    def where(self, *path: str | int) -> tuple[str, int | None]:
        """file, line of a key or item (the nearest known parent) for error messages."""
        for end in range(len(path), -1, -1):
            line = self._lines.get(tuple(path[:end]))
            if line is not None:
                return self._file, line
        return self._file, None

    def remember_lines(self, file: str, lines: dict[tuple[str | int, ...], int]) -> None:
        self._file, self._lines = file, dict(lines)

    def filter_of(self, boss: str) -> Filter | None:
        """The filter in which ``boss`` is a boss."""
        return next((f for f in self.filters if f.boss(boss) is not None), None)

    def bosses(self) -> list[str]:
        return [b.extension for f in self.filters for b in f.bosses]
