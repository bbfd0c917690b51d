"""Portal logins by LDAP bind against a real slapd: the directory checks the password,
the site extension comes from an attribute, roles from groups; a hostile login, a
person with no role and a dead directory are refused."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import aiohttp
import ldap3
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from apps import features
from apps.portal import PortalFeature
from apps.portal.ldap_login import extension_of
from autocom.app import running
from autocom.clock import Clock
from tests.integration.portal.test_portal_http import CSRF, client
from tests.support.browser import Browser
from tests.support.portal import portal_config
from tests.support.slapd import BASE, PEOPLE, Slapd

pytestmark = pytest.mark.integration

ADMIN = (f"cn=admin,{BASE}", "admin-secret")
GROUPS = f"ou=portal-groups,{BASE}"
HELPDESK = f"cn=helpdesk,{GROUPS}"
SECRET = "ldap pass 2026"


def _people(n: int) -> str:
    return f"uid=u{n:06d},{PEOPLE}"


def _admin(slapd: Slapd) -> ldap3.Connection:
    return ldap3.Connection(ldap3.Server(slapd.url.rstrip("/")), *ADMIN, auto_bind=True)


@pytest.fixture
def directory(slapd: Slapd) -> Iterator[Slapd]:
    """u000000: extension 2002 (employeeNumber); u000001: helpdesk group; u000002: no
    role; each with password SECRET.  Undone after the test."""
    conn = _admin(slapd)
    for n in range(3):
        conn.modify(_people(n), {"userPassword": [(ldap3.MODIFY_REPLACE, [SECRET])]})
    conn.modify(_people(0), {"employeeNumber": [(ldap3.MODIFY_REPLACE, ["2002"])]})
    conn.add(GROUPS, "organizationalUnit", {"ou": "portal-groups"})
    conn.add(HELPDESK, "groupOfNames", {"cn": "helpdesk", "member": [_people(1)]})
    conn.unbind()
    try:
        yield slapd
    finally:
        slapd.start()  # the test may have stopped it
        conn = _admin(slapd)
        conn.delete(HELPDESK)
        conn.delete(GROUPS)
        for n in range(3):
            conn.modify(_people(n), {"userPassword": [(ldap3.MODIFY_DELETE, [])]})
        conn.modify(_people(0), {"employeeNumber": [(ldap3.MODIFY_DELETE, [])]})
        conn.unbind()


@pytest.fixture
async def base(tmp_path: Path, directory: Slapd) -> AsyncIterator[str]:
    config = portal_config(tmp_path / "config", secure_cookies=False)
    portal_yaml = config.parent / "portal.yaml"
    portal_yaml.write_text(
        portal_yaml.read_text() + f"ldap:\n  servers: ['{directory.url}']\n  base: '{PEOPLE}'\n"
        f"  bind_dn: '{directory.bind_dn}'\n  password: '{directory.password}'\n"
        f"  extension_attribute: employeeNumber\n  timeout: 1\n"
        f"  groups: {{helpdesk: '{HELPDESK}'}}\n"
    )
    feats = features()
    clock = Clock("Europe/Paris", pinned=datetime(2026, 11, 24, 10, 0))
    async with running(config, feats, clock=clock, agi_port=0, http_port=0, watch=False):
        port = next(f for f in feats if isinstance(f, PortalFeature)).port
        yield f"http://127.0.0.1:{port}"


async def _login(http: aiohttp.ClientSession, base: str, name: str, pw: str) -> tuple[int, str]:
    async with http.get(f"{base}/login") as page:
        token = CSRF.findall(await page.text())[0]
    form = {"csrf": token, "login": name, "password": pw}
    async with http.post(f"{base}/login", data=form) as reply:
        return reply.status, await reply.text()


async def test_ldap_logins_roles_and_refusals(base: str, directory: Slapd) -> None:
    async with client() as http:
        status, page = await _login(http, base, "u000000", SECRET)
        assert status == 200 and "Mes renvois (2002)" in page
    async with client() as http:
        status, page = await _login(http, base, "u000001", SECRET)
        assert "Pourquoi cet appel" in page
        async with http.get(f"{base}/me") as reply:
            assert reply.status == 403
    for name, pw in [
        ("u000000", "wrong"),
        ("u000000", ""),  # never an unauthenticated bind
        ("u000002", SECRET),  # right password, no extension, no group: no role
        ("*)(uid=*", SECRET),
        ("u00000*", SECRET),
    ]:
        async with client() as http:
            status, page = await _login(http, base, name, pw)
            assert status == 401, name
    directory.pause()  # a hung directory: connections accepted, nothing answers
    async with client() as http:
        began = time.monotonic()
        status, page = await _login(http, base, "u000000", SECRET)
        assert status == 401 and time.monotonic() - began < 5  # ldap timeout: 1 s
    directory.resume()
    directory.stop()
    async with client() as http:
        status, page = await _login(http, base, "u000000", SECRET)
        assert status == 401 and "Identifiant ou mot de passe incorrect." in page


async def test_ldap_login_in_the_browser(base: str, chrome: WebDriver) -> None:
    """The login form in chromium, typed with the keyboard, checked by slapd's bind:
    the directory's person lands on her own page, with the extension of her entry."""
    browser = Browser(chrome, base)
    await browser.login("u000000", SECRET)
    heading = await browser.do(lambda d: d.find_element(By.TAG_NAME, "h1").text)
    assert heading == "Mes renvois (2002)"
    await browser.login("u000000", "wrong")
    assert "Identifiant ou mot de passe incorrect." in await browser.do(lambda d: d.page_source)


def test_extension_from_a_phone_number_tail_of_three_digits_at_least() -> None:
    site = frozenset({"2001", "12", "388"})
    assert extension_of(["+33 3 88 41 20 01"], site) == "2001"
    assert extension_of(["2001"], site) == "2001"
    assert extension_of(["+33 3 88 41 20 12"], site) == ""  # '12': too short a tail
    assert extension_of(["12"], site) == "12"  # the whole value
    assert extension_of([], site) == ""
