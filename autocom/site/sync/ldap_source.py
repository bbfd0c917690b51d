"""An HR directory (LDAP) as a site source: who has which extension, and their details.

One paged search (RFC 2696: slapd's size limit cuts searches that do not page)
of every entry of ``filter`` under ``base``, run in a thread (ldap3 has no
asyncio), bounded by the connect and receive timeouts.  Each entry with an
extension becomes a ``UserRecord``: the extension is the digits of the mapped
attribute (its last ``extension_digits`` digits when set: '+33 3 89 33 60 01'
-> '6001' with 4).  Without ``context`` the records only complete the users of
the other sources; ``manager`` holds the manager's DN (or uid), turned into an
extension by the merge; ``uid`` (the ``uid`` attribute by default) is written to
the site for the directory to merge on.  Any LDAP error fails the source.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import ldap3
from ldap3.core.exceptions import LDAPException

from autocom.site.sync.records import SourceData, SourceFailed, UserRecord, read_secret
from autocom.site.sync.settings import LdapSource


def extension_of(value: str, digits: int) -> str:
    """The extension in a number attribute's value; '' when it has no digits."""
    found = "".join(c for c in value if c.isdigit())
    return found[-digits:] if digits and len(found) >= digits else found


def _first(attrs: dict[str, Any], name: str) -> str:
    if not name:
        return ""
    value = attrs.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    return "" if value is None else str(value).strip()


def record_of(dn: str, attrs: dict[str, Any], settings: LdapSource) -> UserRecord | None:
    """One LDAP entry as a user record; None when it has no extension."""
    names = settings.attributes
    extension = extension_of(_first(attrs, names.extension), settings.extension_digits)
    if not extension or len(extension) > 20:
        return None

    def value(field: str) -> str:
        return _first(attrs, getattr(names, field))

    return UserRecord(
        extension=extension,
        origin=dn,
        ref=dn,
        uid=value("uid"),
        context=settings.context,
        name=value("name"),
        first_name=value("first_name"),
        department=value("department"),
        mobile=value("mobile"),
        manager=value("manager"),
        title=value("title"),
        email=value("email"),
    )


def _search(settings: LdapSource, password: str) -> list[tuple[str, dict[str, Any]]]:
    timeout = max(1, round(settings.timeout))
    # ldap3 otherwise sleeps 10 s after a pass over servers that are all down
    ldap3.set_config_parameter("POOLING_LOOP_TIMEOUT", 0)
    servers = [
        ldap3.Server(url.rstrip("/"), get_info=ldap3.NONE, connect_timeout=timeout)
        for url in settings.servers
    ]
    pool = ldap3.ServerPool(
        servers,
        ldap3.FIRST,
        active=1,
        exhaust=True,
    )
    wanted = sorted({v for v in settings.attributes.model_dump().values() if v})
    conn = ldap3.Connection(
        pool,
        user=settings.bind_dn or None,
        password=password or None,
        receive_timeout=timeout,
        read_only=True,
        raise_exceptions=True,
    )
    try:
        conn.bind()
        found = conn.extend.standard.paged_search(
            settings.base,
            settings.filter,
            attributes=wanted,
            paged_size=settings.page_size,
            time_limit=timeout,
            generator=False,
        )
        return [
            (e["dn"], dict(e["attributes"])) for e in found if e.get("type") == "searchResEntry"
        ]
    finally:
        conn.unbind()


async def read_ldap_source(settings: LdapSource, base: Path) -> SourceData:
    file = settings.password_file
    password = read_secret(settings.name, file, base) if file else settings.password
    try:
        entries = await asyncio.wait_for(
            asyncio.to_thread(_search, settings, password), settings.timeout * 3
        )
    except LDAPException as exc:
        raise SourceFailed(settings.name, f"LDAP: {type(exc).__name__}: {exc}") from None
    except TimeoutError:
        raise SourceFailed(
            settings.name, f"LDAP: no answer within {settings.timeout * 3:g} s"
        ) from None
    records = [r for dn, attrs in entries if (r := record_of(dn, attrs, settings)) is not None]
    notes = []
    if len(records) < len(entries):
        notes.append(f"{settings.name}: {len(entries) - len(records)} entries have no extension")
    return SourceData(settings.name, users=tuple(records), notes=tuple(notes))
