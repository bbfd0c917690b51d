"""sync.yaml (where the users come from) and the overrides file (what autocom alone knows)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from autocom.config.model import RuleModel
from autocom.site.model import Did, Overflow, Tandem


class ConfdSource(RuleModel):
    """Wazo/XiVO's configuration REST API (wazo-confd 1.1)."""

    type: Literal["confd"]
    name: str = "wazo"
    url: str  # e.g. https://wazo.example.org/api/confd/1.1
    token: str = ""
    token_file: str = ""  # relative to sync.yaml; read at each sync (tokens expire)
    tenant: str = ""  # Wazo-Tenant header, for a multi-tenant server
    page_size: int = Field(default=500, ge=1, le=5000)
    timeout: float = Field(default=10.0, gt=0)  # seconds per request
    verify_tls: bool = True

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"url {v!r}: write http(s)://host[:port]/api/confd/1.1")
        return v.rstrip("/")


class LdapAttributes(RuleModel):
    """LDAP attribute names (inetOrgPerson defaults); '' leaves a field out."""

    uid: str = "uid"  # the person's identifier (the directory may merge on it)
    name: str = "sn"
    first_name: str = "givenName"
    department: str = "departmentNumber"
    extension: str = "telephoneNumber"
    mobile: str = "mobile"
    manager: str = "manager"
    title: str = "title"
    email: str = "mail"


class LdapSource(RuleModel):
    """An HR directory: names, departments, titles, mobiles, managers by extension."""

    type: Literal["ldap"]
    name: str = "ldap"
    servers: tuple[str, ...] = Field(min_length=1)
    base: str
    bind_dn: str = ""
    password: str = ""
    password_file: str = ""
    filter: str = "(objectClass=inetOrgPerson)"
    attributes: LdapAttributes = LdapAttributes()
    # the extension is the last N digits of the attribute's value (0: all of them)
    extension_digits: int = Field(default=0, ge=0, le=20)
    # empty: LDAP only completes the users the other sources give; a context name:
    # every person with an extension becomes a user of that context
    context: str = ""
    timeout: float = Field(default=10.0, gt=0)
    page_size: int = Field(default=500, ge=1, le=5000)


class CsvSource(RuleModel):
    """A CSV export: extension,name,first_name,context,devices (|-separated),..."""

    type: Literal["csv"]
    name: str = "csv"
    path: str  # relative to sync.yaml
    context: str = ""  # for rows without a context column (or an empty cell)
    delimiter: str = Field(default=",", min_length=1, max_length=1)


SourceSettings = Annotated[ConfdSource | LdapSource | CsvSource, Field(discriminator="type")]


class SyncSettings(RuleModel):
    """sync.yaml."""

    output: str = ""  # the generated site file; default: autocom.yaml's site:
    overrides: str = "site.yaml"  # what autocom alone knows (relative to sync.yaml)
    max_removed_share: float = Field(default=0.1, ge=0, le=1)  # more needs --force
    interval: float = Field(default=0, ge=0)  # serve: seconds between syncs; 0: never
    sources: tuple[SourceSettings, ...] = Field(min_length=1)

    @field_validator("sources")
    @classmethod
    def _names(cls, v: tuple[SourceSettings, ...]) -> tuple[SourceSettings, ...]:
        names = [s.name for s in v]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two sources are named {name!r}: give each a name")
        return v


class UserOverride(RuleModel):
    """A user's fields as the admin wants them; a user no source has is added
    (then name and context are needed)."""

    extension: str
    name: str | None = None
    first_name: str | None = None
    context: str | None = None
    devices: tuple[str, ...] | None = None
    voicemail: str | None = None
    department: str | None = None
    email: str | None = None
    mobile: str | None = None
    title: str | None = None
    manager: str | None = None
    language: str | None = None


class GroupOverride(RuleModel):
    extension: str
    name: str | None = None
    context: str | None = None
    members: tuple[str, ...] | None = None
    strategy: Literal["ringall", "linear"] | None = None
    ring_time: int | None = Field(default=None, ge=1, le=600)
    overflow: Overflow | None = None


class ContextOverride(RuleModel):
    name: str
    kind: Literal["internal", "incoming", "outgoing"] | None = None
    users: str | list[str] | None = None
    groups: str | list[str] | None = None
    conferences: str | list[str] | None = None
    include: tuple[str, ...] | None = None
    dids: tuple[Did, ...] | None = None
    line_prefix: str | None = None
    trunks: tuple[str, ...] | None = None
    emergency: tuple[str, ...] | None = None


class Overrides(RuleModel):
    """The overrides file (site.yaml under a sync): only what autocom alone knows."""

    name: str | None = None
    contexts: tuple[ContextOverride, ...] = ()
    users: tuple[UserOverride, ...] = ()
    groups: tuple[GroupOverride, ...] = ()
    # tandems are autocom's alone (no source has them): copied into the generated site
    tandems: tuple[Tandem, ...] = ()
    exclude: tuple[str, ...] = ()  # extensions the sources give that the site leaves out
