"""The phonebook over HTTP and the cache, with the real autocom server and slapd.

autocom runs in the test's loop (autocom.app.running, free ports), with the
site's users, a CSV file and the LDAP source; phones are aiohttp clients on
127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from apps.directory import DirectoryFeature, DirectoryService
from autocom.app import Server, running
from tests.support.slapd import Slapd

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).parents[3] / "examples"
VENDORS = ("yealink", "cisco", "polycom", "snom", "aastra", "fanvil", "gigaset", "grandstream")


def write_config(folder: Path, slapd: Slapd, phones: str, *, index: bool = False) -> Path:
    """``index`` False: every search asks slapd (the LDAP path, what these tests are
    about); True: the default, the LDAP source read into memory."""
    ldap = slapd.source_yaml(timeout=1, connect_timeout=0.5, retry_after=1)
    if not index:
        ldap = slapd.source_yaml(timeout=1, connect_timeout=0.5, retry_after=1, index=False)
    shutil.copy(EXAMPLES / "site.yaml", folder / "site.yaml")
    shutil.copy(EXAMPLES / "directory.csv", folder / "directory.csv")
    (folder / "autocom.yaml").write_text(
        "site: site.yaml\nstate: {path: state.sqlite}\nrules:\n  directory: directory.yaml\n",
        encoding="utf-8",
    )
    (folder / "directory.yaml").write_text(
        f"""
numbers:
  extension_dids: [{{prefix: "+33388", length: 6}}]
sources:
  - type: site
  - {{type: file, name: annuaire, path: directory.csv}}
  - {ldap}
cache: {{ttl: 600, search_ttl: 60}}
{phones}
""",
        encoding="utf-8",
    )
    return folder / "autocom.yaml"


@pytest.fixture
async def server(tmp_path: Path, slapd: Slapd) -> AsyncIterator[Server]:
    config = write_config(tmp_path, slapd, "phones: {allow: [127.0.0.0/8], page_size: 16}")
    async with running(config, [DirectoryFeature()], agi_port=0, http_port=0, watch=False) as s:
        yield s


def url(server: Server, path: str) -> str:
    return f"http://127.0.0.1:{server.http_port}{path}"


async def get(server: Server, path: str, **kwargs: object) -> tuple[int, bytes, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url(server, path), **kwargs) as resp,  # type: ignore[arg-type]
    ):
        return resp.status, await resp.read(), resp.headers.get("Content-Type", "")


async def service_of(server: Server) -> DirectoryService:
    """The DirectoryService the running server's phones and hooks use."""
    feature = server.ctx.features["directory"]
    assert isinstance(feature, DirectoryFeature)
    return await feature.service_for(server.ctx.config.current)


@pytest.mark.parametrize("vendor", VENDORS)
async def test_every_vendor_answers_a_search(server: Server, vendor: str) -> None:
    status, body, content_type = await get(server, f"/directory/{vendor}?term=lefevre")
    assert status == 200 and "charset=utf-8" in content_type
    root = ET.fromstring(body)
    assert "Lefèvre".encode() in body  # accents kept, in UTF-8
    assert root.tag in {
        "YealinkIPPhoneDirectory", "CiscoIPPhoneDirectory", "{http://www.w3.org/1999/xhtml}html",
        "SnomIPPhoneDirectory", "AastraIPPhoneTextMenu", "PhoneBook", "list", "AddressBook",
    }  # fmt: skip


async def test_pages_follow_from_the_source(server: Server, slapd: Slapd) -> None:
    seen: list[str] = []
    path = "/directory/cisco?term=lefevre"
    for _ in range(20):
        status, body, _ = await get(server, path)
        assert status == 200
        root = ET.fromstring(body)
        seen.extend(e.findtext("Name") or "" for e in root.findall("DirectoryEntry"))
        keys = {k.findtext("Name"): k.findtext("URL") for k in root.findall("SoftKeyItem")}
        if "Suiv." not in keys:
            break
        path = (keys["Suiv."] or "").removeprefix(url(server, ""))
    people = [p for p in slapd.people if p.sn.startswith("Lefèvre")]
    # the example file's Lefèvre Hélène, then every LDAP Lefèvre (one line per number)
    expected = 1 + sum(len(p.office) + len(p.mobile) for p in people)
    assert len(seen) == expected


async def test_gigaset_first_and_count(server: Server) -> None:
    status, body, _ = await get(
        server, "/directory/gigaset?command=get_list&ln=lef*&first=3&count=2"
    )
    root = ET.fromstring(body)
    assert status == 200 and root.get("first") == "3" and root.get("last") == "4"
    assert len(root.findall("entry")) == 2


async def test_keypad_search_over_http(server: Server) -> None:
    status, body, _ = await get(server, "/directory/yealink?keypad=5333")
    names = [e.findtext("Name") or "" for e in ET.fromstring(body).findall("DirectoryEntry")]
    assert status == 200 and names and all(n.startswith("Lef") for n in names)


async def test_input_screens(server: Server) -> None:
    status, body, _ = await get(server, "/directory/cisco/input")
    root = ET.fromstring(body)
    assert status == 200 and root.tag == "CiscoIPPhoneInput"
    assert root.findtext("URL") == url(server, "/directory/cisco")
    assert (await get(server, "/directory/yealink/input"))[0] == 404
    assert (await get(server, "/directory/nokia?term=x"))[0] == 404


async def test_bad_parameters_and_hostile_terms(server: Server) -> None:
    assert (await get(server, "/directory/cisco?offset=-1"))[0] == 400
    assert (await get(server, "/directory/cisco?offset=1e9"))[0] == 400
    for term in ("*)(uid=*", "<script>&amp;", "x" * 5000, "%00"):
        status, body, _ = await get(server, "/directory/yealink", params={"term": term})
        assert status == 200
        assert ET.fromstring(body).findall("DirectoryEntry") == []


@pytest.mark.parametrize(
    "query",
    [
        "term=%00",  # a NUL once matched every entry: the whole book
        "term=a%00b",
        "term=%0D%0Aab",
        "term=ab%09",
        "term=%C2%85ab",  # U+0085, a C1 control
        "term=%ED%A0%80",  # U+D800 encoded alone: an unpaired surrogate
        "term=ab%ED%BF%BF",  # U+DFFF
        "keypad=5%00",
        "ln=%00&fn=",  # gigaset's fields too
    ],
)
async def test_control_characters_and_lone_surrogates_get_400(server: Server, query: str) -> None:
    vendor = "gigaset" if query.startswith("ln=") else "yealink"
    async with (
        aiohttp.ClientSession() as session,
        session.get(URL(url(server, f"/directory/{vendor}?{query}"), encoded=True)) as resp,
    ):
        assert resp.status == 400, await resp.text()


async def test_subnet_allow_list(tmp_path: Path, slapd: Slapd) -> None:
    config = write_config(tmp_path, slapd, "phones: {allow: [10.0.0.0/8]}")
    async with running(config, [DirectoryFeature()], agi_port=0, http_port=0, watch=False) as s:
        assert (await get(s, "/directory/yealink?term=x"))[0] == 403
        assert (await get(s, "/directory/cisco/input"))[0] == 403


async def test_basic_auth(tmp_path: Path, slapd: Slapd) -> None:
    (tmp_path / "phones.secret").write_text("pä55\n", encoding="utf-8")
    config = write_config(
        tmp_path, slapd, "phones: {allow: [], auth: {username: tel, password_file: phones.secret}}"
    )
    async with running(config, [DirectoryFeature()], agi_port=0, http_port=0, watch=False) as s:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url(s, "/directory/yealink?term=lef")) as resp,
        ):
            assert resp.status == 401  # with the challenge a phone answers with credentials
            assert resp.headers["WWW-Authenticate"].startswith('Basic realm="autocom directory"')
        wrong = {"Authorization": "Basic " + base64.b64encode(b"tel:nope").decode()}
        assert (await get(s, "/directory/yealink?term=lef", headers=wrong))[0] == 401
        garbage = {"Authorization": "Basic !!!"}
        assert (await get(s, "/directory/yealink?term=lef", headers=garbage))[0] == 401
        right = {"Authorization": "Basic " + base64.b64encode("tel:pä55".encode()).decode()}
        status, body, _ = await get(s, "/directory/yealink?term=lef", headers=right)
        assert status == 200 and b"DirectoryEntry" in body


async def test_fifty_phones_at_once(server: Server) -> None:
    terms = ["dupont", "muller", "lefevre", "noel", "keller", "haas", "fabre", "perrin", "elie",
             "martin"]  # fmt: skip
    async with aiohttp.ClientSession() as session:

        async def phone(i: int) -> int:
            term = terms[i % len(terms)]
            offset = 16 * (i % 3)
            path = f"/directory/yealink?term={term}&offset={offset}"
            async with session.get(url(server, path)) as r:
                ET.fromstring(await r.read())
                return r.status

        started = time.monotonic()
        statuses = await asyncio.gather(*(phone(i) for i in range(50)))
    assert statuses == [200] * 50
    assert time.monotonic() - started < 10


async def test_cache_serves_searches_and_lookups_while_ldap_is_down(
    server: Server, slapd: Slapd
) -> None:
    service = await service_of(server)
    first = await service.lookup("+33 3 88 40 00 05")
    assert first.origin == "source" and first.entries[0].name == "Élie"
    status, before, _ = await get(server, "/directory/yealink?term=elie")
    slapd.stop()
    assert (await service.lookup("0388400005")).origin == "cache"
    status, during, _ = await get(server, "/directory/yealink?term=elie")
    assert status == 200 and during == before  # the cached page
    # older than the TTL: the sources are asked, fail, and the stale answer is served
    service.now = lambda: time.time() + 3600
    stale = await service.lookup("0388400005")
    assert stale.origin == "stale cache" and stale.entries[0].name == "Élie"
    assert stale.degraded == ("rh",)
    facts = await service.lookup_within("0388400005", 0.3)
    assert facts.outcome == "found" and facts.origin == "stale cache"
    # a number never seen: nothing to serve, the call is left alone
    assert (await service.lookup_within("0388401111", 0.3)).outcome == "unavailable"


async def test_answers_cached_under_another_number_plan_are_not_read_back(
    server: Server,
) -> None:
    """Entries hold canonical numbers, which phones dial: an edited plan starts afresh."""
    service = await service_of(server)
    assert (await service.lookup("0388400005")).origin == "source"
    assert (await service.lookup("0388400005")).origin == "cache"
    rules = service.rules
    edited = replace(rules, plan=replace(rules.plan, line_prefix="9"))
    other = DirectoryService(edited, server.ctx.store, directory=service.directory)
    assert (await other.lookup("0388400005")).origin == "source"


async def test_lookup_within_budget_when_ldap_hangs(server: Server, slapd: Slapd) -> None:
    service = await service_of(server)
    slapd.pause()
    try:
        started = time.monotonic()
        facts = await service.lookup_within("0388400777", 0.3)
        elapsed = time.monotonic() - started
    finally:
        slapd.resume()
    assert facts.outcome == "timeout" and elapsed < 0.45


async def test_lookup_within_serves_the_stale_cache_when_ldap_hangs(
    server: Server, slapd: Slapd
) -> None:
    service = await service_of(server)
    assert (await service.lookup("0388400005")).origin == "source"
    service.now = lambda: time.time() + 3600  # the cached answer is stale now
    slapd.pause()
    try:
        started = time.monotonic()
        facts = await service.lookup_within("+33388400005", 0.3)
        elapsed = time.monotonic() - started
    finally:
        slapd.resume()
    assert (facts.outcome, facts.origin) == ("found", "stale cache")
    assert facts.entries[0].name == "Élie" and elapsed < 0.45
