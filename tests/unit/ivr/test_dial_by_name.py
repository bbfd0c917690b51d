"""Dial by name: the engine's part (Found events, the external rule), the matches,
and the IVR's own search of the site users (no directory), which follows the
directory's rule: the keys start any word of the family or first name, accents
and separators ignored; it finds exactly what the directory finds.

The engine and names.py are pure.  The finder is tested against a real
DirectoryService over the site's users (in memory, no I/O), and against two
fakes for faults the real service does not show on demand: a directory that
raises, and one that never answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from apps.directory.compile import load_rules
from apps.directory.service import DirectoryService
from apps.ivr import engine as e
from apps.ivr.finder import directory_finder, site_finder
from apps.ivr.names import find_users, matches_from_entries
from apps.ivr.rules import IvrRules
from autocom.config import parse_yaml, validate
from autocom.directory import Entry, Number
from autocom.directory.model import NumberKind
from autocom.site.model import Site, User

RULES = """
menus:
  main:
    prompt: [welcome]
    options:
      "8": {directory: {min_letters: "3", external: yes}}
      "9": {directory: {min_letters: "3"}}
"""

SITE = """
name: t
contexts:
  - {name: default, users: "2000-2999"}
users:
  - {extension: "2001", name: Dupont, first_name: Anne, context: default}
  - {extension: "2003", name: Durand, first_name: Luc, context: default}
  - {extension: "2004", name: Martin, first_name: Paul, context: default}
"""


def rules() -> IvrRules:
    return validate(IvrRules, parse_yaml(RULES, "ivr.yaml"))


def site() -> Site:
    return validate(Site, parse_yaml(SITE, "site.yaml"))


def looking_up(key: str) -> tuple[IvrRules, e.Step]:
    r = rules()
    s = e.start(r, "main")
    s = e.step(r, s.state, e.Digit(key))
    for d in "387":
        s = e.step(r, s.state, e.Digit(d))
    return r, s


def entry(name: str, first: str = "", *numbers: tuple[NumberKind, str]) -> Entry:
    nums = tuple(Number(kind, raw, raw) for kind, raw in numbers)
    return Entry(source="file", id=name, name=name, first_name=first, numbers=nums)


def test_lookup_carries_the_external_rule() -> None:
    _, s = looking_up("9")
    assert s.actions == (e.Lookup("387", 5, external=False),)
    _, s = looking_up("8")
    assert s.actions == (e.Lookup("387", 5, external=True),)


def test_found_origin_is_traced_and_matches_offered() -> None:
    r, s = looking_up("9")
    found = e.Found((e.Match("Durand Luc", "2003"),), "directory")
    s = e.step(r, s.state, found)
    assert "dial by name: matches from directory" in s.trace
    assert s.reason == "dial by name: 1 match(es) for 387 from directory"
    assert s.state.phase == "dir_pick"
    s = e.step(r, s.state, e.Digit("1"))
    assert s.actions[-1] == e.Route("extension", "2003")


def test_external_numbers_are_not_offered_unless_allowed() -> None:
    outside = e.Match("Dupuis Jean", "00389336210", external=True)
    inside = e.Match("Durand Luc", "2003")
    r, s = looking_up("9")
    s = e.step(r, s.state, e.Found((outside, inside), "directory"))
    assert s.state.matches == (inside,)
    assert any("1 outside number(s) not offered" in t for t in s.trace)
    assert any(t.startswith("ivr.yaml:") for t in s.trace)  # the rule line that decided
    r, s = looking_up("9")
    s = e.step(r, s.state, e.Found((outside,), "directory"))
    assert s.state.phase == "dir_keys"  # nothing left: "no match", keys again
    assert "no name matches keys 387" in s.trace[-1]
    r, s = looking_up("8")
    s = e.step(r, s.state, e.Found((outside, inside), "directory"))
    assert s.state.matches == (outside, inside)
    s = e.step(r, s.state, e.Digit("1"))
    assert s.actions[-1] == e.Route("extension", "00389336210")


def test_found_outside_a_lookup_is_stale() -> None:
    r = rules()
    s = e.start(r, "main")
    again = e.step(r, s.state, e.Found((e.Match("Durand Luc", "2003"),), "directory"))
    assert again.actions == () and again.reason == "stale lookup"


def test_matches_from_entries_keep_only_reachable_ones() -> None:
    def dialable(raw: str) -> str:
        return "0" + raw.replace(" ", "")

    entries = [
        entry("Durand", "Luc", ("extension", "2003"), ("office", "03 87 00 00 03")),
        entry("Dupuis", "Jean", ("office", "03 89 33 62 10")),
        entry("Dupont", "Anne", ("extension", "20 01")),
        entry("Duval", "Eve"),  # no number at all
        entry("Durant", "Bis", ("extension", "2003")),  # same extension as Durand
        entry("Dufour", "X", ("extension", "+33 3 87")),  # not an extension
    ]
    got = matches_from_entries(entries, 5)
    # sorted by keypad spelling, as heard: DURAnd 387263 < DUPOnt 387668 < DUPUis 387784
    assert got == (e.Match("Durand Luc", "2003"), e.Match("Dupont Anne", "2001"))
    got = matches_from_entries(entries, 5, external=True, dialable=dialable)
    assert [m.extension for m in got] == ["2003", "2001", "00389336210"]
    assert got[2] == e.Match("Dupuis Jean", "00389336210", external=True)
    assert len(matches_from_entries(entries, 1)) == 1


def service_getter(svc: DirectoryService) -> Callable[[], Awaitable[DirectoryService]]:
    async def get() -> DirectoryService:
        return svc

    return get


async def test_finder_uses_the_directory() -> None:
    s = site()
    svc = DirectoryService(load_rules(None, s), None)
    await svc.start()
    try:
        find = directory_finder(service_getter(svc), s.users)
        found = await find("387", 5, False)
    finally:
        await svc.close()
    assert found.origin == "directory"
    assert [m.extension for m in found.matches] == ["2003", "2001"]


async def test_finder_falls_back_to_site_users_on_failure() -> None:
    async def broken() -> DirectoryService:
        """A fake: a directory whose search raises."""
        raise OSError("ldap down")

    s = site()
    found = await directory_finder(broken, s.users)("387", 5, False)
    assert found.origin == "site users (directory failed: OSError)"
    assert [m.extension for m in found.matches] == ["2003", "2001"]


async def test_finder_falls_back_to_site_users_after_the_budget() -> None:
    release = asyncio.Event()

    async def silent() -> DirectoryService:
        """A fake: a directory that does not answer until released."""
        await release.wait()
        raise OSError("too late")

    s = site()
    loop = asyncio.get_running_loop()
    started = loop.time()
    found = await directory_finder(silent, s.users, budget=0.05)("627", 5, False)
    assert loop.time() - started < 1
    assert found.origin == "site users (directory did not answer within 0.05 s)"
    assert [m.extension for m in found.matches] == ["2004"]
    release.set()
    await asyncio.sleep(0)


async def test_site_finder() -> None:
    found = await site_finder(site().users)("387", 1, False)
    assert found == e.Found((e.Match("Durand Luc", "2003"),), "site users")


# ---------------------------------------------------------------- the site users' search

NAMES_SITE = """
name: t
contexts:
  - {name: default, users: "2000-2999"}
users:
  - {extension: "2001", name: Dupont, first_name: Anne, context: default}
  - {extension: "2002", name: Le Gall, first_name: Yann, context: default}
  - {extension: "2003", name: "O'Neil", first_name: Sean, context: default}
  - {extension: "2004", name: Martin-Moreau, first_name: Élodie, context: default}
  - {extension: "2005", name: Lefèvre, first_name: Anne-Élise, context: default}
  - {extension: "2006", name: Weiß, first_name: Otto, context: default}
  - {extension: "2007", name: Gallo, first_name: Marc, context: default}
"""


def users() -> tuple[User, ...]:
    return validate(Site, parse_yaml(NAMES_SITE, "site.yaml")).users


def found(keys: str) -> list[str]:
    return [m.extension for m in find_users(users(), keys, 10)]


@pytest.mark.parametrize(
    ("keys", "extensions"),
    [
        ("4255", ["2002", "2007"]),  # GALL: second word of "Le Gall", and Gallo
        ("534255", ["2002"]),  # LEGALL: across the space
        ("663", ["2003"]),  # ONE: "O'Neil" across the apostrophe
        ("6345", ["2003"]),  # NEIL: the word after the apostrophe
        ("667", ["2004"]),  # MOR: "Martin-Moreau" after the hyphen
        ("354", ["2005"]),  # ELI: "Anne-Élise", accent folded
        ("356", ["2004"]),  # ELO: "Élodie"
        ("266", ["2005", "2001"]),  # ANN... sorted by keypad spelling of the name
        ("93477", ["2006"]),  # WEISS: ß folded to ss
        ("766", []),  # PON: not the start of a word
        ("", []),
    ],
)
def test_word_starts_accents_and_separators(keys: str, extensions: list[str]) -> None:
    assert sorted(found(keys)) == sorted(extensions)


def test_sorted_by_name_and_limited() -> None:
    got = find_users(users(), "4255", 10)
    assert [m.name for m in got] == ["Gallo Marc", "Le Gall Yann"]  # 425 < 534 on the keypad
    assert len(find_users(users(), "4255", 1)) == 1


async def test_site_finder_uses_the_rule() -> None:
    got = await site_finder(users())("663", 5, False)
    assert [(m.name, m.extension) for m in got.matches] == [("O'Neil Sean", "2003")]
    assert got.origin == "site users"


@pytest.mark.parametrize(
    "keys", ["4255", "534255", "663", "6345", "667", "354", "266", "93477", "766"]
)
async def test_same_answer_as_the_directory(keys: str) -> None:
    """The real DirectoryService over the same site's users (in memory)."""
    site = validate(Site, parse_yaml(NAMES_SITE, "site.yaml"))
    svc = DirectoryService(load_rules(None, site), None)
    await svc.start()
    try:
        page = await svc.search_keypad(keys, limit=50)
    finally:
        await svc.close()
    assert sorted(found(keys)) == sorted(e.id for e in page.entries)
