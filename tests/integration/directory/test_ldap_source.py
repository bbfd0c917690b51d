"""The LDAP source against a real slapd loaded with generated people.

slapd keeps its default size limit (500): a search that did not page would be
cut.  The fixture is tests/support/slapd.py (1200 people, accents in base64,
several numbers each, departments).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import ldap3
import pytest

from autocom.directory import (
    Directory,
    Entry,
    ExtensionDid,
    LdapSettings,
    LdapSource,
    NumberPlan,
    Query,
    SourceUnavailable,
    keypad_query,
    parse_term,
)
from autocom.directory.text import fold, keypad, starts_word
from tests.support.process import free_port
from tests.support.slapd import DEFAULT_PEOPLE, Slapd

pytestmark = pytest.mark.integration

T = TypeVar("T")
PLAN = NumberPlan(line_prefix="0", extension_dids=(ExtensionDid("+33388", 6),))


def settings(slapd: Slapd, **overrides: object) -> LdapSettings:
    base = {
        "name": "hr",
        "urls": (slapd.url,),
        "base": slapd.base,
        "bind_dn": slapd.bind_dn,
        "password": slapd.password,
        "timeout": 1.0,
        "connect_timeout": 0.5,
        "retry_after": 1,
        "page_size": 100,
    }
    base.update(overrides)
    return LdapSettings(**base)  # type: ignore[arg-type]


@pytest.fixture
async def source(slapd: Slapd) -> AsyncIterator[LdapSource]:
    src = LdapSource(settings(slapd), PLAN)
    await src.start()
    yield src
    await src.close()


def raw_search(slapd: Slapd, search_filter: str) -> tuple[str, int]:
    """A plain ldap3 search with no paging: (result description, entries)."""
    conn = ldap3.Connection(
        ldap3.Server(slapd.host, port=slapd.port, get_info=ldap3.NONE),
        slapd.bind_dn, slapd.password, client_strategy=ldap3.SAFE_SYNC, auto_bind=True,
        check_names=False,
    )  # fmt: skip
    try:
        _, result, response, _ = conn.search(slapd.base, search_filter, attributes=["sn"])
        return result["description"], len(response)
    finally:
        conn.unbind()


async def test_an_unpaged_search_is_cut_at_500_but_the_source_pages_past_it(
    slapd: Slapd, source: LdapSource
) -> None:
    assert raw_search(slapd, "(objectClass=inetOrgPerson)") == ("sizeLimitExceeded", 500)
    directory = Directory([source], PLAN)
    page = await directory.search(Query("all"), limit=16, offset=1100)
    assert len(page.entries) == 16 and page.more and page.degraded == ()
    last = await directory.search(Query("all"), limit=16, offset=DEFAULT_PEOPLE - 10)
    assert len(last.entries) == 10 and not last.more and last.total == DEFAULT_PEOPLE


async def test_accents_multivalued_numbers_and_departments(
    slapd: Slapd, source: LdapSource
) -> None:
    person = slapd.people[5]  # Élie Jean, two office numbers and a mobile
    result = await source.search(parse_term(f"{fold(person.sn)} {fold(person.given_name)}"), 5)
    entry = result.entries[0]
    assert (entry.name, entry.first_name) == (person.sn, person.given_name) == ("Élie", "Jean")
    assert entry.department == person.department
    assert [n.raw for n in entry.numbers] == [*person.office, *person.mobile]
    assert [n.kind for n in entry.numbers] == ["office"] * len(person.office) + ["mobile"] * len(
        person.mobile
    )
    assert entry.numbers[0].canonical == "+33388" + person.extension


async def test_folded_search_finds_accented_names(slapd: Slapd, source: LdapSource) -> None:
    expected = {p.uid for p in slapd.people if fold(p.sn).startswith("lefevre")}
    result = await source.search(parse_term("LEFEVRE"), 500)
    assert {e.id.split(",")[0][4:] for e in result.entries} == expected and expected


async def test_keypad_search(slapd: Slapd, source: LdapSource) -> None:
    result = await source.search(keypad_query("5333"), 500)  # Lefè...
    assert result.entries and all(fold(e.name).startswith("lefe") for e in result.entries)
    result = await source.search(keypad_query("3543"), 50)  # Élie
    assert any(e.name == "Élie" for e in result.entries)


async def test_filter_injection_finds_nothing(slapd: Slapd, source: LdapSource) -> None:
    # pasted unescaped into "(&(objectClass=inetOrgPerson)(sn=" + term + "))", the
    # term turns the filter into "every entry with a uid"
    attack = "(&(objectClass=inetOrgPerson)(sn=" + "*)(uid=*" + "))"
    assert raw_search(slapd, attack) == ("sizeLimitExceeded", 500)
    for term in ("*)(uid=*", ")(", "\\2a", "*)(|(objectClass=*)", "x\x00y", "ab)(sn=*"):
        words = parse_term(term).words
        expected = {
            p.uid
            for p in slapd.people
            if all(
                any(starts_word(fold(f), w) for f in (p.sn, p.given_name, p.department))
                for w in words
            )
        }
        result = await source.search(parse_term(term), 5000)
        assert {e.id.split(",")[0][4:] for e in result.entries} == expected, term
    assert (await source.search(parse_term("*)(uid=*"), 50)).entries == ()


@pytest.mark.parametrize(
    "spelling", ["0388400005", "+33 3 88 40 00 05", "0033388400005", "400005", "00388400005"]
)
async def test_lookup_by_any_spelling(slapd: Slapd, source: LdapSource, spelling: str) -> None:
    directory = Directory([source], PLAN)
    entries, degraded = await directory.lookup(spelling)
    assert [e.name for e in entries] == ["Élie"] and degraded == ()


async def test_lookup_second_office_and_mobile(slapd: Slapd, source: LdapSource) -> None:
    person = slapd.people[10]
    directory = Directory([source], PLAN)
    for number in (*person.office, *person.mobile):
        entries, _ = await directory.lookup(number.replace(" ", ""))
        assert [e.first_name for e in entries] == [person.given_name], number


async def test_stopped_server_fails_fast_then_recovers(slapd: Slapd, source: LdapSource) -> None:
    assert await source.lookup(("+33388400005",))
    slapd.stop()
    started = time.monotonic()
    with pytest.raises(SourceUnavailable):
        await source.lookup(("+33388400005",))
    with pytest.raises(SourceUnavailable, match="next try"):  # no new attempt for retry_after
        await source.lookup(("+33388400005",))
    assert time.monotonic() - started < 1.0
    slapd.start()
    await asyncio.sleep(1.1)
    assert (await source.lookup(("+33388400005",)))[0].name == "Élie"


async def test_hung_server_does_not_block_the_loop(slapd: Slapd, source: LdapSource) -> None:
    await source.lookup(("+33388400005",))  # a pooled connection exists
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    slapd.pause()
    try:
        started = time.monotonic()
        with pytest.raises(SourceUnavailable):
            await source.lookup(("+33388400005",))
        elapsed = time.monotonic() - started
    finally:
        slapd.resume()
        task.cancel()
    assert elapsed < 5  # receive timeout (1 s) on the pooled and on a fresh connection
    # The loop kept running while a thread waited: a loop blocked by the wait would
    # show one gap of the whole receive timeout (1 s); a busy machine only slows ticks.
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= 3 and max(gaps) < 0.9, (len(ticks), max(gaps, default=None))


async def test_failover_to_the_second_server(slapd: Slapd) -> None:
    dead = f"ldap://127.0.0.1:{free_port()}"
    src = LdapSource(settings(slapd, urls=(dead, slapd.url)), PLAN)
    await src.start()
    try:
        entries = await src.lookup(("+33388400005",))
        assert entries[0].name == "Élie"
    finally:
        await src.close()


async def test_wrong_password_is_unavailable(slapd: Slapd) -> None:
    src = LdapSource(settings(slapd, password="wrong"), PLAN)
    await src.start()
    try:
        with pytest.raises(SourceUnavailable, match="bind refused"):
            await src.search(parse_term("dupont"), 5)
    finally:
        await src.close()


async def test_pool_serves_concurrent_searches(slapd: Slapd) -> None:
    src = LdapSource(settings(slapd, pool_size=4), PLAN)
    await src.start()
    try:
        terms = ["dupont", "muller", "lefevre", "noel", "keller", "haas", "fabre", "perrin"] * 4
        results = await asyncio.gather(*(src.search(parse_term(t), 5) for t in terms))
        assert all(len(r.entries) == 5 for r in results)
        idle = src.status()["idle_connections"]
        assert isinstance(idle, int) and idle <= 4
    finally:
        await src.close()


def _uids(entries: tuple[Entry, ...]) -> set[str]:
    return {e.id.split(",")[0][4:] for e in entries}


@pytest.mark.parametrize(
    "term", ["lef", "lefevre", "elie", "eli", "noel jean", "humaines", "silva", "o'neil", "hel"]
)
async def test_selective_filters_find_what_matches_finds(
    slapd: Slapd, source: LdapSource, term: str
) -> None:
    # slapd answers initial substrings (and words inside values from 3 letters):
    # every person whose name, first name or department has a word starting
    # with each word of the term, the same set the file source would give
    words = parse_term(term).words
    expected = {
        p.uid
        for p in slapd.people
        if all(
            any(starts_word(fold(f), w) for f in (p.sn, p.given_name, p.department)) for w in words
        )
    }
    result = await source.search(parse_term(term), 5000)
    assert _uids(result.entries) == expected and expected, term


@pytest.mark.parametrize("digits", ["5333", "3543", "427", "24", "6635"])
async def test_keypad_filter_finds_every_name_it_spells(
    slapd: Slapd, source: LdapSource, digits: str
) -> None:
    # names whose first two characters are letters (O'Neil is found by the
    # file and site sources only: documented)
    def spelt(name: str) -> bool:
        return keypad(name).startswith(digits) and name[:2].isalpha()

    expected = {p.uid for p in slapd.people if spelt(p.sn) or spelt(p.given_name)}
    result = await source.search(keypad_query(digits), 5000)
    assert _uids(result.entries) == expected, digits


async def test_identical_concurrent_searches_share_one_ldap_search(slapd: Slapd) -> None:
    src = LdapSource(settings(slapd, pool_size=2), PLAN)
    await src.start()
    calls = 0
    real_call = src._call

    async def counting_call(work: Callable[[ldap3.Connection], T]) -> T:
        nonlocal calls
        calls += 1
        return await real_call(work)

    src._call = counting_call  # type: ignore[method-assign]
    try:
        query = parse_term("lefevre")
        results = await asyncio.gather(*(src.search(query, 16) for _ in range(50)))
        assert calls == 1 and src.coalesced == 49
        assert all(r == results[0] for r in results) and len(results[0].entries) == 16
        # a different page size or term is its own search; a finished one is not reused
        await asyncio.gather(src.search(query, 8), src.search(parse_term("dupont"), 16))
        await src.search(query, 16)
        assert calls == 4
    finally:
        await src.close()


async def test_a_cancelled_waiter_does_not_cancel_the_shared_search(slapd: Slapd) -> None:
    src = LdapSource(settings(slapd), PLAN)
    await src.start()
    try:
        query = parse_term("dupont")
        first = asyncio.ensure_future(src.search(query, 16))
        second = asyncio.ensure_future(src.search(query, 16))
        await asyncio.sleep(0)
        first.cancel()
        result = await second
        assert len(result.entries) == 16 and first.cancelled()
        assert src.coalesced == 1
    finally:
        await src.close()
