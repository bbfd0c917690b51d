"""directory.yaml: sources, number plan, caller name, cache, phone access.

Read with autocom.config.load_yaml and validated into frozen models; a file
source is read here too, so `autocom check` reports its bad lines.  The
result, :class:`DirectoryRules`, is what ``config.rules["directory"]`` holds.
"""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from autocom.config import RuleModel
from autocom.directory import (
    AttributeMap,
    Entry,
    LdapSettings,
    NumberPlan,
)
from autocom.directory.merge import DEFAULT_MERGE_ON, MergeKey
from autocom.directory.model import NumberKind

FORMAT_FIELDS = frozenset(
    {
        "NAME",
        "name",
        "first_name",
        "FIRST_NAME",
        "department",
        "title",
        "room",
        "email",
        "extension",
        "source",
        "number",
    }
)
VENDORS = ("yealink", "cisco", "polycom", "snom", "aastra", "fanvil", "gigaset", "grandstream")


class ExtensionDidRule(RuleModel):
    prefix: str  # E.164: '+33388'
    length: int = Field(ge=1, le=10)

    @field_validator("prefix")
    @classmethod
    def _e164(cls, v: str) -> str:
        if not (v.startswith("+") and v[1:].isdigit()):
            raise ValueError(f"prefix {v!r}: write it in E.164, e.g. '+33388'")
        return v


class NumbersRule(RuleModel):
    country_code: str = "33"
    national_prefix: str = "0"
    international_prefix: str = "00"
    line_prefix: str | None = None  # None: the site's outgoing line prefix
    extension_dids: tuple[ExtensionDidRule, ...] = ()
    max_extension_length: int = Field(default=6, ge=1, le=10)

    @field_validator("country_code", "national_prefix", "international_prefix")
    @classmethod
    def _digits(cls, v: str) -> str:
        if v and not v.isdigit():
            raise ValueError(f"{v!r}: write digits only")
        return v


class SiteSourceRule(RuleModel):
    type: Literal["site"]
    name: str = "site"


class FileSourceRule(RuleModel):
    type: Literal["file"]
    name: str = "file"
    path: str  # .csv, .yaml or .yml, relative to directory.yaml's folder


_ATTRIBUTES = AttributeMap()  # the defaults: inetOrgPerson


class AttributesRule(RuleModel):
    """``attributes:`` of an LDAP source: the fields of :class:`AttributeMap`, same defaults."""

    name: tuple[str, ...] = _ATTRIBUTES.name
    first_name: tuple[str, ...] = _ATTRIBUTES.first_name
    department: tuple[str, ...] = _ATTRIBUTES.department
    title: tuple[str, ...] = _ATTRIBUTES.title
    email: tuple[str, ...] = _ATTRIBUTES.email
    room: tuple[str, ...] = _ATTRIBUTES.room
    display_name: tuple[str, ...] = _ATTRIBUTES.display_name
    numbers: dict[NumberKind, tuple[str, ...]] = dict(_ATTRIBUTES.numbers)
    search_key: str = ""  # e.g. autocomSearchKey: folded word starts, indexed eq,sub
    uid: tuple[str, ...] = ()  # the person's id, e.g. uid: for merge_on: [uid]

    @field_validator(
        "name",
        "first_name",
        "department",
        "title",
        "email",
        "room",
        "display_name",
        "uid",
        mode="before",
    )
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return (v,) if isinstance(v, str) else v

    @field_validator("numbers", mode="before")
    @classmethod
    def _numbers(cls, v: object) -> object:
        if isinstance(v, dict):
            return {k: ((x,) if isinstance(x, str) else x) for k, x in v.items()}
        return v

    @model_validator(mode="after")
    def _attribute_names(self) -> AttributesRule:
        names = [
            *self.name,
            *self.first_name,
            *self.department,
            *self.title,
            *self.email,
            *self.room,
            *self.display_name,
        ]
        for group in self.numbers.values():
            names.extend(group)
        if self.search_key:
            names.append(self.search_key)
        for attr in names:
            if not attr or not all(c.isalnum() or c in "-;" for c in attr):
                raise ValueError(f"{attr!r} is not an LDAP attribute name")
        return self


class IndexRule(RuleModel):
    """``index:`` of an LDAP source: searches answered from memory, kept fresh from LDAP."""

    refresh: float = Field(default=60, ge=1, le=86400)  # seconds between checks for changes
    full_refresh: float = Field(default=86400, ge=60)  # seconds between reads of everything
    max_age: float = Field(default=600, ge=1)  # older (LDAP down): answers flagged degraded
    max_fetch: int = Field(default=200, ge=0, le=100_000)  # more changes: read everything


class LdapSourceRule(RuleModel):
    type: Literal["ldap"]
    name: str = "ldap"
    servers: tuple[str, ...]  # tried in order: ldap://host:389, ldaps://host:636
    base: str
    bind_dn: str = ""
    password: str = ""
    password_file: str = ""  # read at load; relative to directory.yaml's folder
    filter: str = "(objectClass=inetOrgPerson)"
    attributes: AttributesRule = AttributesRule()
    pool_size: int = Field(default=4, ge=1, le=64)
    connect_timeout: float = Field(default=2.0, gt=0, le=60)
    timeout: float = Field(default=3.0, gt=0, le=120)
    page_size: int = Field(default=100, ge=1, le=1000)
    retry_after: int = Field(default=5, ge=1, le=3600)
    # the entries in memory, searched there (absent: the defaults); false: every
    # search asks the server
    index: IndexRule | Literal[False] = IndexRule()

    @field_validator("servers", mode="before")
    @classmethod
    def _servers(cls, v: object) -> object:
        return (v,) if isinstance(v, str) else v

    @field_validator("index", mode="before")
    @classmethod
    def _index(cls, v: object) -> object:
        """``index:`` alone or ``index: true``: the defaults; ``index: false``: none."""
        word = str(v).lower() if isinstance(v, str | bool) else None
        if v is None or word == "true":
            return {}
        if word == "false":
            return False
        if not isinstance(v, Mapping):
            raise ValueError("write its settings ({} for the defaults), or false for none")
        return v

    @field_validator("servers")
    @classmethod
    def _urls(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("list at least one server, e.g. ldap://ldap.example.org:389")
        for url in v:
            if not url.startswith(("ldap://", "ldaps://")):
                raise ValueError(f"server {url!r}: write ldap://host[:port] or ldaps://host[:port]")
        return v

    @field_validator("filter")
    @classmethod
    def _filter(cls, v: str) -> str:
        if not (v.startswith("(") and v.endswith(")")) or v.count("(") != v.count(")"):
            raise ValueError(f"filter {v!r}: write an LDAP filter such as (objectClass=person)")
        return v


SourceRule = Annotated[
    SiteSourceRule | FileSourceRule | LdapSourceRule, Field(discriminator="type")
]


class CallerNameRule(RuleModel):
    enabled: bool = True
    budget_ms: int = Field(default=300, ge=10, le=5000)
    # the first format whose fields all have a value is used
    formats: tuple[str, ...] = (
        "{NAME} {first_name} - {department}",
        "{NAME} {first_name}",
        "{NAME}",
    )
    replace: Literal["always", "if_empty"] = "always"
    max_length: int = Field(default=48, ge=8, le=200)

    @field_validator("formats", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return (v,) if isinstance(v, str) else v

    @field_validator("formats")
    @classmethod
    def _formats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("give at least one format, e.g. '{NAME} {first_name}'")
        for fmt in v:
            format_fields(fmt)
        return v


def format_fields(fmt: str) -> tuple[str, ...]:
    """The fields of a caller-name format; ValueError for anything but plain {field}."""
    found = []
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError as exc:
        raise ValueError(f"format {fmt!r}: {exc} (write {{{{ for a literal brace)") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in FORMAT_FIELDS or spec or conversion:
            raise ValueError(
                f"format {fmt!r}: {{{name}}} is not a field; use "
                + ", ".join("{" + f + "}" for f in sorted(FORMAT_FIELDS))
            )
        found.append(name)
    return tuple(found)


class CacheRule(RuleModel):
    ttl: int = Field(default=600, ge=0)  # seconds an answer is fresh
    search_ttl: int = Field(default=60, ge=0)  # seconds a search page is fresh
    miss_ttl: int = Field(default=60, ge=0)  # seconds 'nobody has this number' is fresh
    stale_ttl: int = Field(default=7 * 86400, ge=0)  # kept for outages that long


class BasicAuthRule(RuleModel):
    username: str
    password: str = ""
    password_file: str = ""


class PhonesRule(RuleModel):
    enabled: bool = True
    allow: tuple[str, ...] = ("127.0.0.0/8", "::1/128")  # source subnets; [] = any
    auth: BasicAuthRule | None = None
    page_size: int = Field(default=16, ge=1, le=100)
    max_results: int = Field(default=500, ge=1, le=5000)  # whole-book vendors (Grandstream)
    title: str = "Annuaire"
    timeout: float = Field(default=3.0, gt=0, le=30)  # seconds for one phone request
    vendors: tuple[str, ...] = VENDORS

    @field_validator("allow", mode="before")
    @classmethod
    def _allow_list(cls, v: object) -> object:
        return (v,) if isinstance(v, str) else v

    @field_validator("allow")
    @classmethod
    def _subnets(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for net in v:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"{net!r}: write a subnet such as 10.0.0.0/8") from None
        return v

    @field_validator("vendors")
    @classmethod
    def _vendors(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for vendor in v:
            if vendor not in VENDORS:
                raise ValueError(f"vendor {vendor!r}: use {', '.join(VENDORS)}")
        return v


class DirectoryFile(RuleModel):
    """The whole directory.yaml."""

    numbers: NumbersRule = NumbersRule()
    sources: tuple[SourceRule, ...] = (SiteSourceRule(type="site"),)
    # what makes two entries of different sources one person (autocom.directory.merge)
    merge_on: tuple[MergeKey, ...] = DEFAULT_MERGE_ON
    caller_name: CallerNameRule = CallerNameRule()
    cache: CacheRule = CacheRule()
    phones: PhonesRule = PhonesRule()

    @model_validator(mode="after")
    def _unique_names(self) -> DirectoryFile:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"two sources are named {source.name!r}: give each a name")
            seen.add(source.name)
        return self


@dataclass(frozen=True)
class DirectoryRules:
    """config.rules['directory']: the validated file plus what it points to, read."""

    model: DirectoryFile
    plan: NumberPlan
    file: str  # directory.yaml, or '<built-in>'
    memory: Mapping[str, tuple[Entry, ...]] = field(default_factory=dict)  # site/file sources
    ldap: Mapping[str, LdapSettings] = field(default_factory=dict)
    phone_password: str = ""
    lines: Mapping[str, int] = field(default_factory=dict)  # section -> line, for traces

    def where(self, section: str) -> str:
        line = self.lines.get(section)
        return f"{self.file}:{line}" if line else self.file
