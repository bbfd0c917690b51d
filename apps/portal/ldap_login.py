"""Login by LDAP bind against the site's directory (portal.yaml ``ldap:``).

A service account finds the login's entry (``(<login_attribute>=<login>)``, the login
escaped as RFC 4515 says), then the portal binds as that entry with the password
typed: the directory decides.  The roles are ``user`` when the entry's
``extension_attribute`` names a user of the site, plus each role whose group (a
groupOfNames / groupOfUniqueNames DN) lists the entry.  Blocking ldap3 calls: run
them in a thread.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import ldap3
from ldap3.core.exceptions import LDAPException

from apps.portal.rules import LdapLogin, Role
from autocom.directory.ldapfilter import escape

LOGIN_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


@dataclass(frozen=True)
class LdapPerson:
    dn: str
    extension: str
    roles: tuple[Role, ...]


class LdapUnavailable(Exception):
    """No server of the list answered (the login is refused, with this reason logged)."""


def _connect(settings: LdapLogin, dn: str, password: str) -> ldap3.Connection | None:
    """A bound connection, None when the directory refuses these credentials."""
    failures: list[str] = []
    for url in settings.servers:
        try:
            server = ldap3.Server(
                url.rstrip("/"), get_info=ldap3.NONE, connect_timeout=settings.timeout
            )
            conn = ldap3.Connection(
                server,
                user=dn,
                password=password,
                receive_timeout=max(1, math.ceil(settings.timeout)),  # whole seconds only
                read_only=True,
            )
            if conn.bind():
                return conn
            return None  # the server answered: wrong credentials
        except LDAPException as exc:
            failures.append(f"{url}: {exc}")
    raise LdapUnavailable("; ".join(failures) or "no LDAP server listed")


MIN_TAIL = 3  # a shorter tail of a phone number would name an extension by chance


def extension_of(values: Iterable[str], site_extensions: frozenset[str]) -> str:
    """The site user an attribute names: its digits, or their longest tail of at least
    MIN_TAIL digits that is a site extension ('+33 3 88 41 20 01' -> '2001'); '' when
    none."""
    for value in values:
        digits = re.sub(r"\D", "", str(value))
        if digits in site_extensions:
            return digits
        for start in range(1, len(digits) - MIN_TAIL + 1):
            if digits[start:] in site_extensions:
                return digits[start:]
    return ""


def _groups(conn: ldap3.Connection, settings: LdapLogin, dn: str) -> tuple[Role, ...]:
    roles: list[Role] = []
    member = escape(dn)
    for role, group in settings.groups.items():
        found = conn.search(
            group,
            f"(|(member={member})(uniqueMember={member}))",
            search_scope=ldap3.BASE,
            attributes=[],
        )
        if found and conn.entries:
            roles.append(role)
    return tuple(roles)


def authenticate(
    settings: LdapLogin, login: str, password: str, site_extensions: frozenset[str]
) -> LdapPerson | None:
    """The login's entry when the directory accepts this password, else None."""
    if not LOGIN_RE.match(login) or not password:
        return None  # never an anonymous bind with an empty password
    service = _connect(settings, settings.bind_dn, settings.password)
    if service is None:
        raise LdapUnavailable("the portal's service account is refused (ldap.bind_dn)")
    try:
        service.search(
            settings.base,
            f"({settings.login_attribute}={escape(login)})",
            attributes=[settings.extension_attribute],
            size_limit=2,
        )
        entries = list(service.entries)
        if len(entries) != 1:
            return None
        entry = entries[0]
        dn = str(entry.entry_dn)
        values = (
            entry[settings.extension_attribute].values
            if settings.extension_attribute in entry
            else []
        )
        extension = extension_of(values, site_extensions)
        personal = _connect(settings, dn, password)
        if personal is None:
            return None
        personal.unbind()
        roles: tuple[Role, ...] = ("user",) if extension else ()
        return LdapPerson(dn, extension, roles + _groups(service, settings, dn))
    except LDAPException as exc:  # the directory went away in the middle
        raise LdapUnavailable(str(exc)) from exc
    finally:
        with contextlib.suppress(LDAPException):
            service.unbind()
