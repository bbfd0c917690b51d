"""Terms, accent folding, keypad digits, and the one definition of a match."""

from __future__ import annotations

from autocom.directory import Entry, Number, NumberPlan, keypad_query, matches, parse_term
from autocom.directory.text import fold, keypad

PLAN = NumberPlan()
HELENE = Entry(
    "t", "1", "Lefèvre", "Hélène",
    (Number("office", "+33 3 88 40 00 05", "+33388400005"),), "Bibliothèque",
)  # fmt: skip
ONEIL = Entry("t", "2", "O'Neil", "Zoé", (), "Médecine")


def test_fold_and_keypad() -> None:
    assert fold("Élodie LEFÈVRE Schœlcher Weiß") == "elodie lefevre schoelcher weiss"
    assert keypad("Lefèvre") == "5333873"
    assert keypad("O'Neil") == "66345"


def test_parse_term() -> None:
    assert parse_term("").kind == "all"
    assert parse_term("*").kind == "all"
    assert parse_term("03 88 40").digits == "038840"
    assert parse_term("Hélène  LEF").words == ("helene", "lef")
    assert parse_term("x" * 500).words == ("x" * 64,)
    assert parse_term("\x00\n").kind == "all"


def test_name_match_folds_accents_and_needs_every_word() -> None:
    assert matches(HELENE, parse_term("lefevre"), PLAN)
    assert matches(HELENE, parse_term("HELENE lef"), PLAN)
    assert matches(HELENE, parse_term("biblio"), PLAN)
    assert not matches(HELENE, parse_term("lefevre jean"), PLAN)
    assert not matches(HELENE, parse_term("*)(uid=*"), PLAN)


def test_name_words_match_the_start_of_a_word() -> None:
    # what an LDAP server's substring index answers: the start of a value or of
    # a word inside it (after a space, a hyphen or an apostrophe)
    gall = Entry("t", "3", "Le Gall-Dupré", "Anne-Sophie", (), "Ressources humaines")
    for term in ("le", "gall", "dupre", "sophie", "anne", "hum", "ress", "gall-dup", "neil"):
        entry = ONEIL if term == "neil" else gall
        assert matches(entry, parse_term(term), PLAN), term
    for term in ("all", "upre", "ophie", "umaines", "efevre"):
        assert not matches(gall, parse_term(term), PLAN), term
        assert not matches(HELENE, parse_term(term), PLAN), term


def test_number_match() -> None:
    assert matches(HELENE, parse_term("0388400005"), PLAN)
    assert matches(HELENE, parse_term("400005"), PLAN)
    assert not matches(HELENE, parse_term("0699"), PLAN)


def test_keypad_match() -> None:
    assert matches(HELENE, keypad_query("533"), PLAN)
    assert matches(HELENE, keypad_query("4353"), PLAN)  # Hélène
    assert matches(ONEIL, keypad_query("663"), PLAN)
    assert not matches(HELENE, keypad_query("666"), PLAN)
    assert not matches(HELENE, keypad_query("*#"), PLAN)
