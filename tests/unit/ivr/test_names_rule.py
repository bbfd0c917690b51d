"""The IVR's own dial by name (site users, when there is no directory) follows the
directory's rule: the keys start any word of the family or first name, accents
and separators ignored; and it finds exactly what the directory finds."""

from __future__ import annotations

import pytest

from apps.directory.rules import load_rules
from apps.directory.service import DirectoryService
from apps.ivr.finder import site_finder
from apps.ivr.names import find_users
from autocom.config import parse_yaml, validate
from autocom.site.model import Site, User

SITE = """
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
    return validate(Site, parse_yaml(SITE, "site.yaml")).users


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
    site = validate(Site, parse_yaml(SITE, "site.yaml"))
    svc = DirectoryService(load_rules(None, site), None)
    await svc.start()
    try:
        page = await svc.search_keypad(keys, limit=50)
    finally:
        await svc.close()
    assert sorted(found(keys)) == sorted(e.id for e in page.entries)
