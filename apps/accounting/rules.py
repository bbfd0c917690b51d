"""accounting.yaml: where CEL comes from, where tickets go, tariffs and retention.

Example (docs/accounting.md has every key)::

    ami: {host: 127.0.0.1, port: 5038, user: autocom, secret: change-me}
    backlog: /var/log/asterisk/cel.sqlite.db
    asterisk_timezone: Europe/Paris
    storage: {backend: sqlite, path: var/calls.sqlite}
    currency: EUR
    tariffs:
      - {category: international, setup: "0.10", per_minute: "0.30"}
      - {category: national, setup: "0.05", per_minute: "0.02", days: mon-fri, hours: "08:00-19:00"}
      - {category: national, setup: "0.05", per_minute: "0.01"}
    retention: {mask_external_after_months: 6, delete_after_months: 60}
    api_tokens: {compta: "a long secret"}
"""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from autocom.config.model import RuleModel
from autocom.config.settings import known_timezone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS_RE = re.compile(r"^([0-2][0-9]):([0-5][0-9])-([0-2][0-9]):([0-5][0-9])$")


def _days(text: str) -> frozenset[int]:
    out: set[int] = set()
    for part in text.replace(" ", "").lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"days {text!r}: write e.g. 'mon-fri' or 'sat,sun'")
        a, b = DAYS.index(first), DAYS.index(last or first)
        out.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(out)


def _hours(text: str) -> tuple[time, time]:
    m = _HOURS_RE.match(text.replace(" ", ""))
    if not m or int(m.group(1)) > 24 or int(m.group(3)) > 24:
        raise ValueError(f"hours {text!r}: write e.g. '08:00-19:00' (the end excluded)")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    end = time(23, 59, 59, 999999) if (h2, m2) == (24, 0) else time(h2, m2)
    return time(h1 % 24, m1), end


class Tariff(RuleModel):
    """Price of one category of call: setup + per minute, optionally by day and hours."""

    category: str
    setup: Decimal = Decimal(0)
    per_minute: Decimal = Decimal(0)
    increment: int = Field(default=1, ge=1, le=3600)  # billed by steps of this many seconds
    days: str = ""  # e.g. "mon-fri"; empty: every day
    hours: str = ""  # e.g. "08:00-19:00"; empty: all day

    @field_validator("setup", "per_minute")
    @classmethod
    def _money(cls, v: Decimal) -> Decimal:
        if v < 0:
            raise ValueError("a price cannot be negative: write e.g. '0.05'")
        return v

    @field_validator("days")
    @classmethod
    def _check_days(cls, v: str) -> str:
        if v:
            _days(v)
        return v

    @field_validator("hours")
    @classmethod
    def _check_hours(cls, v: str) -> str:
        if v:
            _hours(v)
        return v

    def applies(self, at: datetime) -> bool:
        if self.days and at.weekday() not in _days(self.days):
            return False
        if not self.hours:
            return True
        start, end = _hours(self.hours)
        now = at.time().replace(tzinfo=None)
        return start <= now < end if start <= end else (now >= start or now < end)


class AmiSource(RuleModel):
    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    user: str = "autocom"
    secret: str = ""
    timeout: float = Field(default=5.0, gt=0)


class Storage(RuleModel):
    backend: Literal["sqlite", "postgresql"] = "sqlite"
    path: str = "var/calls.sqlite"  # sqlite, relative to autocom.yaml's folder
    dsn: str = ""  # postgresql, e.g. postgresql://autocom@127.0.0.1:5432/calls

    @model_validator(mode="after")
    def _dsn_needed(self) -> Storage:
        if self.backend == "postgresql" and not self.dsn:
            raise ValueError("backend postgresql needs dsn: postgresql://user@host:port/db")
        return self


class Retention(RuleModel):
    mask_external_after_months: int | None = Field(default=None, ge=1)  # last 4 digits kept
    delete_after_months: int | None = Field(default=None, ge=1)
    events_after_days: int = Field(default=7, ge=1)  # raw CEL of finished calls


class AccountingRules(RuleModel):
    ami: AmiSource | None = None  # no ami: no live collection (CLI and backlog only)
    backlog: str = ""  # the cel_sqlite3_custom database Asterisk writes
    asterisk_timezone: str = ""  # zone of AMI's EventTime; empty: autocom.yaml's
    storage: Storage = Storage()
    currency: str = "EUR"
    tariffs: tuple[Tariff, ...] = ()
    retention: Retention = Retention()
    api_tokens: dict[str, str] = {}  # HTTP API: name -> bearer token
    pending_after_hours: int = Field(default=12, ge=1)  # a call open longer is closed as is

    @field_validator("asterisk_timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return known_timezone(v) if v else v

    @field_validator("api_tokens")
    @classmethod
    def _tokens(cls, v: dict[str, str]) -> dict[str, str]:
        for name, token in v.items():
            if len(token) < 16:
                raise ValueError(f"api token {name!r}: write at least 16 characters")
        return v
