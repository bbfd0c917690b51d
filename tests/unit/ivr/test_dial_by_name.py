"""Dial by name: the engine's part (Found events, the external rule) and the matches.

The engine and names.py are pure.  The finder is tested against a real
DirectoryService over the site's users (in memory, no I/O), and against two
fakes for faults the real service does not show on demand: a directory that
raises, and one that never answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from apps.directory.rules import load_rules
from apps.directory.service import DirectoryService
from apps.ivr import engine as e
from apps.ivr.finder import directory_finder, site_finder
from apps.ivr.names import matches_from_entries
from apps.ivr.rules import IvrRules
from autocom.config import parse_yaml, validate
from autocom.directory import Entry, Number
from autocom.directory.model import NumberKind
from autocom.site.model import Site

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
