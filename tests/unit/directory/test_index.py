"""The in-memory index answers exactly what a scan with ``matches`` answers, in order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from autocom.directory import Entry, Number, NumberPlan, Query, keypad_query, matches, parse_term
from autocom.directory.index import DirectoryIndex
from autocom.directory.query import sort_key

PLAN = NumberPlan(did_aliases=(("+33389336001", "2001"),))


def person(i: int, name: str, first: str = "", department: str = "", *numbers: str) -> Entry:
    nums = tuple(Number("office", n, PLAN.canonical(n)) for n in numbers)
    return Entry("t", f"id{i}", name, first, nums, department)


PEOPLE = [
    person(1, "Martin", "Anne-Élise", "Ressources humaines", "03 89 33 60 01"),
    person(2, "O'Neil", "Zoé", "Médecine", "+33 3 88 40 00 05"),
    person(3, "Weiß", "Björn", "Informatique", "0612345678"),
    person(4, "Le Gall-Dupré", "Anne-Marie", "", "2004"),
    person(5, "Lefèvre", "Hélène", "Bibliothèque", "03 89 33 62 10", "06 11 22 33 44"),
    person(6, "Lefebvre", "Emma", "Laboratoire MIPS"),
    person(7, "", "", "Accueil", "03 89 33 60 00"),
]


def scan(entries: list[Entry], query: Query, want: int) -> tuple[list[Entry], bool]:
    """What a source without an index answers: a scan in sort order."""
    found = [e for e in sorted(entries, key=sort_key) if matches(e, query, PLAN)]
    return found[:want], len(found) > want


def check(entries: list[Entry], query: Query, want: int = 16) -> list[Entry]:
    result = DirectoryIndex(entries, PLAN).search(query, want)
    assert (list(result.entries), result.more) == scan(entries, query, want), query
    return list(result.entries)


def test_the_examples_of_the_rule() -> None:
    def names(term: str) -> list[str]:
        return [e.name for e in check(PEOPLE, parse_term(term))]

    assert names("lef") == ["Lefebvre", "Lefèvre"]
    assert names("lefev") == ["Lefèvre"] and names("LEFÈV") == ["Lefèvre"]
    assert names("el") == ["Martin"] and names("anneelise") == ["Martin"]
    assert names("o neil") == ["O'Neil"] and names("oneil") == ["O'Neil"]
    assert names("weiss") == ["Weiß"] and names("gall dupre") == ["Le Gall-Dupré"]
    assert names("anne") == ["Le Gall-Dupré", "Martin"]  # sort order: name first
    assert names("hum") == ["Martin"] and names("pont") == []
    assert names("") == [e.name for e in sorted(PEOPLE, key=sort_key)]


def test_numbers_in_any_spelling() -> None:
    for term in ("0389336001", "2001", "336001", "+33389336001", "0388400005", "0611"):
        assert check(PEOPLE, parse_term(term)), term
    assert [e.id for e in check(PEOPLE, parse_term("0389336"))] == ["id7", "id5", "id1"]
    assert check(PEOPLE, parse_term("999999")) == []


def test_keypad() -> None:
    assert [e.name for e in check(PEOPLE, keypad_query("533"))] == ["Lefebvre", "Lefèvre"]
    assert [e.name for e in check(PEOPLE, keypad_query("6 63"))] == ["O'Neil"]
    assert check(PEOPLE, keypad_query("*#01")) == []


def test_hostile_terms_are_text() -> None:
    for term in ("*)(uid=*", "*", "\\2a", "a*b", "' -", "(|(sn=*))", "\x00"):
        check(PEOPLE, parse_term(term))
    assert check(PEOPLE, parse_term("*)(uid=*")) == []


def test_paging_and_lookup() -> None:
    many = [person(i, f"Name{i:03}", "Jean", "", f"03 89 33 {i // 100:02} {i % 100:02}")
            for i in range(300)]  # fmt: skip
    index = DirectoryIndex(many, PLAN)
    for want in (0, 1, 16, 299, 300, 301):
        check(many, parse_term("jean"), want)
        check(many, parse_term("n"), want)  # a large range, sorted once and kept
        check(many, parse_term("0389"), want)
    assert [e.id for e in index.lookup([PLAN.canonical("03 89 33 01 05")])] == ["id105"]
    # two words each starting more than 2000 entries: their ranges are intersected
    crowd = [person(i, f"Nom{i}", "Jean" if i % 10 else "Luc", "", "") for i in range(2400)]
    for term in ("nom jean", "jean nom", "nom luc", "n j", "nom1 jean", "nom zoe"):
        check(crowd, parse_term(term), 16)
    assert index.lookup(["+33999"]) == ()


_names = st.text(alphabet="abdeéilnoöstzß '-\u2019É", max_size=10)
_people = st.lists(
    st.builds(
        person,
        st.integers(0, 50),
        _names,
        _names,
        _names,
        st.sampled_from(["", "0389336001", "06 12 34 56 78", "2004", "+41 22 000 00 00"]),
    ),
    max_size=25,
)


@settings(max_examples=200)
@given(_people, st.text(alphabet="adeilnostzéß '-0123456789*()", max_size=8), st.integers(0, 5))
def test_same_answer_as_a_scan(entries: list[Entry], term: str, want: int) -> None:
    check(entries, parse_term(term), want)


@settings(max_examples=100)
@given(_people, st.text(alphabet="23456789 *", max_size=6), st.integers(0, 5))
def test_same_keypad_answer_as_a_scan(entries: list[Entry], digits: str, want: int) -> None:
    check(entries, keypad_query(digits), want)
