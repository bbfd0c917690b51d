"""The one definition of a match: start of any word, case, accents and separators ignored.

The same rules hold for every source: the file and site sources apply
``matches`` directly, the LDAP source sends a filter built from the same
words (``search_keys`` on an indexed attribute, or a superset) and applies
``matches`` to what the server returns.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from autocom.directory import Entry, NumberPlan, keypad_query, matches, parse_term
from autocom.directory.text import (
    _fold_each,
    compact,
    fold,
    keypad_starts,
    search_keys,
    starts_word,
    word_starts,
)

PLAN = NumberPlan()
ANNE = Entry("t", "1", "Martin", "Anne-Élise", (), "Ressources humaines")
ONEIL = Entry("t", "2", "O'Neil", "Zoé", (), "Médecine")
WEISS = Entry("t", "3", "Weiß", "Björn", (), "Informatique")
WEISS2 = Entry("t", "4", "Weiss", "Luc", (), "Logistique")
DASILVA = Entry("t", "5", "Da Silva", "Inès", (), "Scolarité")
TYPO = Entry("t", "6", "D\u2019Alembert", "Jean", (), "")  # typographic apostrophe


def found(entry: Entry, term: str) -> bool:
    return matches(entry, parse_term(term), PLAN)


def test_word_starts_drop_separators() -> None:
    assert word_starts("anne-elise") == ("anneelise", "elise")
    assert word_starts("o'neil") == ("oneil", "neil")
    assert word_starts("le gall-dupre") == ("legalldupre", "galldupre", "dupre")
    assert word_starts("  ") == ()
    assert compact("o'neil") == "oneil" and compact("anne - elise") == "anneelise"


def test_the_examples_of_the_rule() -> None:
    for term in ("el", "elise", "ELISE", "Élise", "anne", "anne-élise", "anneelise", "anne el"):
        assert found(ANNE, term), term
    for term in ("oneil", "o neil", "O'Neil", "o'n", "neil", "ONEIL", "o\u2019neil"):
        assert found(ONEIL, term), term
    assert found(WEISS, "weiss") and found(WEISS, "weiß") and found(WEISS, "WEISS bjorn")
    assert found(WEISS2, "weiß") and found(WEISS2, "weiss")
    assert found(DASILVA, "dasilva") and found(DASILVA, "silva") and found(DASILVA, "da s")
    assert found(TYPO, "dalembert") and found(TYPO, "alembert") and found(TYPO, "d'alembert")
    assert found(ANNE, "hum") and found(ANNE, "ressourcesh")


def test_what_does_not_match() -> None:
    for term in ("lise", "nne", "artin", "elize", "anne zoe"):
        assert not found(ANNE, term), term
    assert not found(ONEIL, "eil") and not found(ONEIL, "o'x")
    assert not found(WEISS, "weis z")
    assert not found(ANNE, "*)(uid=*")


def test_keypad_follows_the_same_rule() -> None:
    # O'Neil: O=6 N=6 E=3 I=4 L=5
    assert keypad_starts("O'Neil") == ("66345", "6345")
    for keys in ("663", "6 63", "66345", "634", "6", "6-634"):
        assert matches(ONEIL, keypad_query(keys), PLAN), keys
    assert not matches(ONEIL, keypad_query("664"), PLAN)
    # Anne-Élise: 'el' is 35 on the keypad, the start of a word of the first name
    assert matches(ANNE, keypad_query("35"), PLAN)
    assert matches(ANNE, keypad_query("2663"), PLAN)  # anne + e(lise)
    assert matches(WEISS, keypad_query("93477"), PLAN)  # weiss: ß spelt ss
    assert matches(DASILVA, keypad_query("327"), PLAN)  # da s(ilva)
    assert not matches(ANNE, keypad_query("*#01"), PLAN)  # spells nothing
    assert keypad_query("6 63").words == ("6", "63")
    assert keypad_query("1234").words == ("234",)
    assert len(keypad_query("9" * 40).digits) == 16


def test_search_keys_hold_every_word_start_and_its_keypad_digits() -> None:
    keys = search_keys("O'Neil", "Anne-Élise", "Ressources humaines")
    for key in ("oneil", "neil", "anneelise", "elise", "ressourceshumaines", "humaines"):
        assert key in keys
    assert "66345" in keys and "6345" in keys and "35473" in keys
    assert "486246373" not in keys  # the department is not spelt on the keypad
    assert all(k == k.lower() and "'" not in k and " " not in k for k in keys)


_names = st.text(alphabet="abcdeéèfgilmnoöpsßtuüz '-\u2019ÉO", max_size=16)


@given(_names, _names, _names, st.text(alphabet="aeéilnosß '-", min_size=1, max_size=6))
def test_search_keys_say_exactly_what_matches(
    name: str, first: str, department: str, word: str
) -> None:
    """The indexed key filter (key=word*) selects what ``matches`` accepts, no more, no less."""
    entry = Entry("t", "x", name, first, (), department)
    query = parse_term(word)
    if query.kind != "name":
        return
    keys = search_keys(name, first, department)
    by_keys = all(any(k.startswith(compact(w)) for k in keys) for w in query.words if compact(w))
    assert matches(entry, query, PLAN) == (by_keys and all(compact(w) for w in query.words))


@given(_names, _names, st.text(alphabet="23456789 ", min_size=1, max_size=8))
def test_keypad_keys_say_exactly_what_matches(name: str, first: str, digits: str) -> None:
    entry = Entry("t", "x", name, first)
    query = keypad_query(digits)
    keys = search_keys(name, first)
    by_keys = bool(query.words) and all(any(k.startswith(g) for k in keys) for g in query.words)
    assert matches(entry, query, PLAN) == by_keys


def test_fold_handles_letters_that_fold_to_two() -> None:
    assert fold("Weiß") == "weiss" and starts_word(fold("Schœlcher"), "schoel")


@given(st.text())
def test_fold_is_the_fold_of_each_character(text: str) -> None:
    """fold's fast paths (ASCII, the whole text decomposed at once) change nothing."""
    assert fold(text) == _fold_each(text.casefold())
