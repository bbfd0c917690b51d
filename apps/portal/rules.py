"""portal.yaml: where the portal listens, who may log in, and with which roles.

```yaml
listen: {host: 127.0.0.1, port: 8090}
secure_cookies: true          # false only for a plain-HTTP test on loopback
accounts: portal-accounts.txt # local accounts (`autocom portal passwd LOGIN`)
audit_log: portal-audit.log   # every change: who, what, when (JSON lines)
people:
  alice: {extension: "2001"}                   # role user by default
  sophie: {extension: "2002", roles: [user, secretary]}
  hugo: {roles: [helpdesk]}
  root: {roles: [admin]}
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator

from autocom.config import RuleModel

Role = Literal["user", "secretary", "helpdesk", "department_admin", "admin"]
ROLES: tuple[Role, ...] = ("user", "secretary", "helpdesk", "department_admin", "admin")


class Listen(RuleModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)


class Person(RuleModel):
    """What a login may do: its extension (for the user pages) and its roles."""

    extension: str = ""
    roles: tuple[Role, ...] = ("user",)
    departments: tuple[str, ...] = ()  # a department admin's (site.yaml's department:)

    @model_validator(mode="after")
    def _user_has_extension(self) -> Self:
        if "department_admin" in self.roles and not self.departments:
            raise ValueError(
                "role department_admin needs the departments it manages: write "
                "departments: [Scolarité]"
            )
        if "user" in self.roles and not self.extension:
            raise ValueError(
                'role user needs the person\'s extension: write extension: "2001", '
                "or give roles without user (e.g. roles: [helpdesk])"
            )
        return self


class RateLimit(RuleModel):
    """Failed logins allowed in ``window`` seconds, per address and per account."""

    per_address: int = Field(default=20, ge=1)
    per_account: int = Field(default=5, ge=1)
    window: float = Field(default=300, gt=0)


class LdapLogin(RuleModel):
    """Login by LDAP bind (apps.portal.ldap_login)."""

    servers: tuple[str, ...] = Field(min_length=1)  # ldap://host:port/, tried in order
    base: str  # where people are, e.g. ou=people,dc=example,dc=org
    bind_dn: str  # a read-only service account that finds the login's entry
    password: str
    login_attribute: str = "uid"
    extension_attribute: str = "telephoneNumber"  # names the person's site extension
    groups: dict[Role, str] = {}  # role -> the DN of a group whose members have it
    timeout: float = Field(default=3.0, gt=0, le=30)


class PortalRules(RuleModel):
    listen: Listen = Listen()
    secure_cookies: bool = True
    accounts: str = ""
    audit_log: str = ""
    decision_log: str = ""  # autocom serve's JSON log file, searched on the admin page
    session_minutes: int = Field(default=30, ge=1, le=24 * 60)
    login_limit: RateLimit = RateLimit()
    people: dict[str, Person] = {}  # local logins, and roles that override LDAP's
    ldap: LdapLogin | None = None
    # set by load_rules: where `accounts` and `audit_log` are read from
    base: str = ""

    def resolve(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() else Path(self.base) / path
