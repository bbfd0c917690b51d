"""One matching rule for every source, checked on a real slapd.

The same people are held by slapd and by a memory source (what the file and
site sources are).  With the search-key attribute (``autocomSearchKey``,
indexed eq,sub, filled with ``search_keys``) the LDAP source finds exactly what
the memory source finds, for name terms and keypad digits; without it (the
substring filters) it finds a subset, never an entry that does not match, and
the whole set for the terms docs/directory.md says it can.  ``autocom
directory search-keys`` writes the attribute: its LDIF is applied with the
real ldapmodify.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from apps.directory import DirectoryFeature
from autocom.cli import main
from autocom.directory import (
    AttributeMap,
    Entry,
    LdapSettings,
    LdapSource,
    Number,
    NumberPlan,
    Query,
    keypad_query,
    matches,
    parse_term,
)
from autocom.directory.ldapfilter import key_filter
from autocom.directory.memory import MemorySource
from tests.support.slapd import BASE, SEARCH_KEY, Person, Slapd, generate_people

pytestmark = pytest.mark.integration

PLAN = NumberPlan()


def _person(uid: str, sn: str, given: str, department: str, extension: str) -> Person:
    return Person(
        uid=uid, sn=sn, given_name=given, department=department, title="", mail=f"{uid}@x.org",
        room="", extension=extension, office=(f"+33 3 88 {extension[:2]} {extension[2:4]} "
        f"{extension[4:]}",), mobile=(),
    )  # fmt: skip


SPECIAL = [
    _person("s1", "Martin", "Anne-Élise", "Ressources humaines", "499001"),
    _person("s2", "Weiss", "Luc", "Logistique", "499002"),
    _person("s3", "O\u2019Brien", "Zoé", "Médecine", "499003"),  # typographic apostrophe
    _person("s4", "Le Gall-Dupré", "Anne-Sophie", "Informatique", "499004"),
    _person("s5", "Da Silva", "Inès", "Scolarité", "499005"),
]
PEOPLE = [*generate_people(400), *SPECIAL]

TERMS = [
    "el", "elise", "anneelise", "anne-élise", "Anne el", "weiss", "weiß", "WEISS luc",
    "oneil", "o neil", "o'neil", "obrien", "o\u2019brien", "o b", "legall", "gall dupre",
    "galldup", "da silva", "dasilva", "hum", "lefevre", "schoel", "zoe", "x", "zz",
]  # fmt: skip
KEYPAD = ["663", "6 63", "35", "4255", "93477", "627436", "2", "5333", "32", "66345"]


def entry_of(p: Person) -> Entry:
    numbers = tuple(Number("office", n, PLAN.canonical(n)) for n in p.office)
    return Entry("mem", p.uid, p.sn, p.given_name, numbers, p.department, p.title, p.mail)


@pytest.fixture(scope="module")
def keyed_slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    with Slapd(tmp_path_factory.mktemp("slapd-keys"), PEOPLE) as server:
        yield server


def settings(slapd: Slapd, key: str) -> LdapSettings:
    return LdapSettings(
        name="hr", urls=(slapd.url,), base=slapd.base, bind_dn=slapd.bind_dn,
        password=slapd.password, timeout=2.0, attributes=AttributeMap(search_key=key),
    )  # fmt: skip


@pytest.fixture
async def keyed(keyed_slapd: Slapd) -> AsyncIterator[LdapSource]:
    src = LdapSource(settings(keyed_slapd, SEARCH_KEY), PLAN)
    await src.start()
    yield src
    await src.close()


@pytest.fixture
async def substrings(keyed_slapd: Slapd) -> AsyncIterator[LdapSource]:
    src = LdapSource(settings(keyed_slapd, ""), PLAN)
    await src.start()
    yield src
    await src.close()


MEMORY = MemorySource("mem", [entry_of(p) for p in PEOPLE], PLAN)


def uids(entries: tuple[Entry, ...]) -> set[str]:
    return {e.id.split(",")[0].removeprefix("uid=") for e in entries}


async def expected(query: Query) -> set[str]:
    return uids((await MEMORY.search(query, 100_000)).entries)


@pytest.mark.parametrize("term", TERMS)
async def test_search_key_finds_what_the_file_source_finds(keyed: LdapSource, term: str) -> None:
    query = parse_term(term)
    want = await expected(query)
    got = await keyed.search(query, 5000)
    assert uids(got.entries) == want, term
    assert not got.more and got.complete


@pytest.mark.parametrize("digits", KEYPAD)
async def test_keypad_on_the_search_key_is_the_file_source_rule(
    keyed: LdapSource, digits: str
) -> None:
    query = keypad_query(digits)
    got = await keyed.search(query, 5000)
    assert uids(got.entries) == await expected(query), digits


async def test_the_examples_of_the_rule_on_ldap(keyed: LdapSource) -> None:
    async def names(query: Query) -> set[str]:
        found = await keyed.search(query, 500)
        return {f"{e.name} {e.first_name}" for e in found.entries}

    assert "Martin Anne-Élise" in await names(parse_term("el"))
    assert "Martin Anne-Élise" in await names(parse_term("elise"))
    assert "Weiss Luc" in await names(parse_term("weiß"))
    assert "Weiß Jean" in await names(parse_term("weiss"))
    assert "O'Neil Jean" in await names(parse_term("oneil"))
    assert "O'Neil Jean" in await names(parse_term("o neil"))
    assert "O\u2019Brien Zoé" in await names(parse_term("obrien"))
    assert "O'Neil Jean" in await names(keypad_query("663"))
    assert "O'Neil Jean" in await names(keypad_query("6 63"))


async def test_small_pages_say_whether_there_is_more(keyed: LdapSource) -> None:
    # one size-limited search (no paged search to abandon): exactly `want`
    # matches is the whole answer, one fewer asked leaves more
    query = parse_term("weiss")
    count = len(await expected(query))
    assert count >= 3
    whole = await keyed.search(query, count)
    assert len(whole.entries) == count and not whole.more
    cut = await keyed.search(query, count - 1)
    assert len(cut.entries) == count - 1 and cut.more
    assert all(matches(e, query, PLAN) for e in cut.entries)


async def test_injection_stays_data_on_the_search_key(
    keyed_slapd: Slapd, keyed: LdapSource
) -> None:
    assert key_filter(SEARCH_KEY, "*)(uid=*") == f"({SEARCH_KEY}=\\2a\\29\\28uid=\\2a*)"
    for term in ("*)(uid=*", ")(", "\\2a", "*)(|(objectClass=*)", "x\x00y", "ab)(sn=*"):
        query = parse_term(term)
        got = await keyed.search(query, 5000)
        assert uids(got.entries) == await expected(query) == set(), term
    for digits in ("*)(uid=*", "2*)(", "\\32"):
        query = keypad_query(digits)
        got = await keyed.search(query, 5000)
        assert uids(got.entries) == await expected(query), digits


@pytest.mark.parametrize("term", TERMS)
async def test_substring_filters_never_return_a_non_match(
    substrings: LdapSource, term: str
) -> None:
    query = parse_term(term)
    got = uids((await substrings.search(query, 5000)).entries)
    assert got <= await expected(query), term


@pytest.mark.parametrize(
    "term", ["o'neil", "lefevre", "humaines", "gall dupre", "hum", "weiss luc", "schoel"]
)
async def test_substring_filters_find_the_terms_docs_promise(
    substrings: LdapSource, term: str
) -> None:
    query = parse_term(term)
    assert uids((await substrings.search(query, 5000)).entries) == await expected(query), term


def test_search_keys_command_fills_the_attribute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = [*generate_people(60), *SPECIAL]
    with Slapd(tmp_path / "slapd", people, with_search_keys=False) as server:
        (tmp_path / "site.yaml").write_text(
            "name: t\ncontexts: [{name: staff, users: '2001-2002'}]\n", encoding="utf-8"
        )
        (tmp_path / "directory.yaml").write_text(
            f"sources:\n  - type: ldap\n    name: rh\n    servers: ['{server.url}']\n"
            f"    base: '{server.base}'\n    bind_dn: '{server.bind_dn}'\n"
            f"    password: '{server.password}'\n    attributes: {{search_key: {SEARCH_KEY}}}\n",
            encoding="utf-8",
        )
        config = tmp_path / "autocom.yaml"
        config.write_text("site: site.yaml\nrules: {directory: directory.yaml}\n", "utf-8")

        def run(*args: str) -> int:
            return main(["-c", str(config), "directory", *args], [DirectoryFeature()])

        # no keys yet: a name search on the key finds nobody
        assert run("search", "elise") == 1
        assert run("search-keys", "--check") == 1
        assert f"{len(people)} entries read, {len(people)} with search keys" in (
            capsys.readouterr().err
        )
        assert run("search-keys") == 0
        ldif = capsys.readouterr().out
        assert ldif.count("changetype: modify") == len(people)
        assert "add: objectClass\nobjectClass: autocomSearchable\n-\n" in ldif
        applied = subprocess.run(
            ["ldapmodify", "-x", "-H", server.url, "-D", f"cn=admin,{BASE}", "-w",
             "admin-secret"],
            input=ldif.encode(), capture_output=True, timeout=60,
        )  # fmt: skip
        assert applied.returncode == 0, applied.stderr.decode()
        assert run("search-keys", "--check") == 0
        assert "0 with search keys to write" in capsys.readouterr().err
        assert run("search-keys") == 0
        assert capsys.readouterr().out == ""  # nothing left to write
        assert run("search", "elise") == 0
        assert "Martin Anne-Élise" in capsys.readouterr().out
        assert run("search", "663", "--keypad") == 0
        assert "O'Neil" in capsys.readouterr().out
