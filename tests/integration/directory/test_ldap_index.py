"""The LDAP source's in-memory index against a real slapd: same answers, kept fresh.

A slapd of its own (the entries are changed here with the admin DN), 300
generated people with search keys.  The index answers what the LDAP source
answers for the same terms, sees entries added, changed and deleted at its next
refresh, loads once a server dead at start comes up, and keeps serving during
an outage, flagged degraded past ``max_age``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import ldap3
import pytest

from apps.directory import DirectoryFeature
from autocom.app import running
from autocom.directory import (
    Directory,
    Entry,
    IndexedLdapSource,
    IndexSettings,
    LdapSettings,
    LdapSource,
    Query,
    SourceUnavailable,
    keypad_query,
    parse_term,
)
from autocom.directory.ldap_source import AttributeMap
from tests.integration.directory.test_ldap_source import PLAN
from tests.integration.directory.test_ldap_source import settings as ldap_settings
from tests.integration.directory.test_phones_http import get, service_of, write_config
from tests.support.slapd import BASE, PEOPLE, SEARCH_KEY, Slapd, generate_people

pytestmark = pytest.mark.integration

ADMIN = (f"cn=admin,{BASE}", "admin-secret")
TERMS = ["dupont", "lef", "el", "o neil", "weiss", "da silva", "comptab", "jean", "x", "",
         "*)(uid=*", "*", "\\2a", "0388400005", "+33 3 88 40 00 1", "4000", "999999"]  # fmt: skip
KEYPAD = ["5333", "386", "6 63", "2", "*#01"]


class Clock:
    """A monotonic clock the test moves (max_age without waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def own_slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    with Slapd(tmp_path_factory.mktemp("slapd-index"), generate_people(300)) as server:
        yield server


@pytest.fixture
def slapd_up(own_slapd: Slapd) -> Iterator[Slapd]:
    own_slapd.start()
    yield own_slapd
    own_slapd.start()


def settings(slapd: Slapd, **overrides: object) -> LdapSettings:
    return ldap_settings(slapd, attributes=AttributeMap(search_key=SEARCH_KEY), **overrides)


def indexed(slapd: Slapd, clock: Clock | None = None, **index: float) -> IndexedLdapSource:
    # refresh: an hour, so that only the test's refresh() calls read the server
    return IndexedLdapSource(
        LdapSource(settings(slapd), PLAN),
        IndexSettings(**{"refresh": 3600, **index}),  # type: ignore[arg-type]
        clock=clock or Clock(),
    )


@pytest.fixture
async def index(slapd_up: Slapd) -> AsyncIterator[IndexedLdapSource]:
    source = indexed(slapd_up)
    await source.start()
    await asyncio.wait_for(source.loaded.wait(), 60)  # a guard against a hang, not a timing
    yield source
    await source.close()


def ids(entries: tuple[Entry, ...]) -> set[str]:
    return {e.id.split(",")[0] for e in entries}


def admin(slapd: Slapd) -> ldap3.Connection:
    return ldap3.Connection(
        ldap3.Server(slapd.host, port=slapd.port, get_info=ldap3.NONE), *ADMIN,
        auto_bind=True, check_names=False,
    )  # fmt: skip


async def test_the_index_answers_what_ldap_answers(
    slapd_up: Slapd, index: IndexedLdapSource
) -> None:
    assert index.local and index.status()["index"] == {
        "entries": 300, "age": 0.0, "last_error": ""}  # fmt: skip
    ldap = LdapSource(settings(slapd_up), PLAN)
    await ldap.start()
    try:
        queries: list[Query] = [parse_term(t) for t in TERMS] + [keypad_query(k) for k in KEYPAD]
        for query in queries:
            from_ldap, from_index = await ldap.search(query, 400), await index.search(query, 400)
            assert ids(from_index.entries) == ids(from_ldap.entries), query
            assert from_index.complete and not from_index.more, query
            small = await index.search(query, 3)  # paging: the first 3 in name order, more?
            assert small.entries == from_index.entries[:3], query
            assert small.more == (len(from_index.entries) > 3), query
        assert (await index.search(parse_term("*)(uid=*"), 10)).entries == ()
        for number in ("+33388400005", "+33388400117", "+33999"):
            assert ids(await index.lookup((number,))) == ids(await ldap.lookup((number,)))
    finally:
        await ldap.close()


async def test_a_refresh_sees_what_changed(slapd_up: Slapd, index: IndexedLdapSource) -> None:
    people = generate_people(300)
    changed, deleted = people[10], people[11]
    await asyncio.sleep(1.1)  # the changes get a second of their own, after slapadd's
    await index.refresh()  # entries of slapadd's last second, if few, are read once more
    assert await index.refresh() == (0, 0)
    conn = admin(slapd_up)
    try:
        dn = f"uid={changed.uid},{PEOPLE}"
        assert conn.modify(dn, {"sn": [(ldap3.MODIFY_REPLACE, ["Zyxwvu"])]})
        assert conn.delete(f"uid={deleted.uid},{PEOPLE}")
        assert conn.add(
            f"uid=new1,{PEOPLE}", ["inetOrgPerson"],
            {"sn": "Qwertz", "cn": "Anna Qwertz", "givenName": "Anna",
             "telephoneNumber": "+33 3 88 49 99 99"},
        )  # fmt: skip
        assert await index.refresh() == (2, 1)  # two read again, one gone
        assert ids((await index.search(parse_term("zyxw"), 5)).entries) == {f"uid={changed.uid}"}
        assert ids((await index.search(parse_term("qwertz anna"), 5)).entries) == {"uid=new1"}
        assert [e.name for e in await index.lookup(("+33388499999",))] == ["Qwertz"]
        everyone = ids((await index.search(parse_term(""), 400)).entries)
        assert f"uid={deleted.uid}" not in everyone and len(everyone) == 300
        # changed again within the second it was read: its timestamp stays the same,
        # the entries of the newest second are read once more at the next refresh
        assert conn.modify(dn, {"sn": [(ldap3.MODIFY_REPLACE, ["Zyxagain"])]})
        await index.refresh()
        assert ids((await index.search(parse_term("zyxagain"), 5)).entries) == {
            f"uid={changed.uid}"
        }
        await index.refresh()  # the entries of the newest second, read once more
        assert await index.refresh() == (0, 0)  # then nothing
    finally:
        conn.delete(f"uid=new1,{PEOPLE}")
        conn.unbind()


async def test_a_server_dead_at_start_then_up(own_slapd: Slapd) -> None:
    own_slapd.stop()
    source = indexed(own_slapd, refresh=1)
    await source.start()
    try:
        with pytest.raises(SourceUnavailable):  # no index yet: LDAP is asked, and is down
            await source.search(parse_term("dupont"), 5)
        assert not source.local and source.status()["up"] is False
        own_slapd.start()
        await asyncio.wait_for(source.loaded.wait(), 60)  # retried after retry_after (1 s)
        assert (await source.search(parse_term("dupont"), 5)).entries
    finally:
        await source.close()
        own_slapd.start()


async def test_an_outage_keeps_the_index_then_flags_it(slapd_up: Slapd) -> None:
    clock = Clock()
    source = indexed(slapd_up, clock, max_age=600)
    await source.start()
    try:
        await asyncio.wait_for(source.loaded.wait(), 60)
        slapd_up.stop()
        with pytest.raises(SourceUnavailable):
            await source.refresh()
        found = await source.search(parse_term("dupont"), 5)
        assert found.entries and found.complete  # the last read, still fresh enough
        clock.now += 601
        stale = await source.search(parse_term("dupont"), 5)
        assert stale.entries == found.entries and not stale.complete
        page = await Directory([source], PLAN).search(parse_term("dupont"), 5)
        assert page.entries and page.degraded == ("hr",)
        slapd_up.start()
        await asyncio.sleep(1.1)  # the source's retry_after
        await source.refresh()
        assert (await source.search(parse_term("dupont"), 5)).complete
    finally:
        await source.close()


async def test_a_refused_read_keeps_the_source_up(slapd_up: Slapd) -> None:
    """The server answers the read with an error (here a base that does not exist; on a
    site, a size limit): the index says why, searches are not failed fast for it."""
    source = IndexedLdapSource(
        LdapSource(settings(slapd_up, base=f"ou=nowhere,{BASE}"), PLAN), IndexSettings()
    )
    await source.ldap.start()
    try:
        with pytest.raises(SourceUnavailable, match="reading every entry refused"):
            await source.refresh()
        assert source.ldap.status()["up"] is True and not source.local
    finally:
        await source.close()


async def test_phones_are_served_from_the_index(tmp_path: Path, slapd_up: Slapd) -> None:
    """Over HTTP with the real server, directory.yaml saying nothing of an index (the
    default): answers from memory, nothing written to the cache."""
    config = write_config(tmp_path, slapd_up, "phones: {allow: [127.0.0.0/8]}", index=True)
    assert "index" not in config.parent.joinpath("directory.yaml").read_text(encoding="utf-8")
    async with running(config, [DirectoryFeature()], agi_port=0, http_port=0, watch=False) as s:
        service = await service_of(s)
        await asyncio.wait_for(service.wait_loaded(), 60)
        assert service.directory.local
        status, body, _ = await get(s, "/directory/yealink", params={"term": "élie"})
        assert status == 200 and "Élie".encode() in body
        status, body, _ = await get(s, "/directory/yealink", params={"term": "*)(uid=*"})
        assert status == 200 and b"<Name>" not in body
        assert await s.ctx.store.items("dircache") == {}
