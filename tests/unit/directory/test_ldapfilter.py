"""RFC 4515 escaping and the superset filters built from untrusted terms."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from autocom.directory import ldapfilter
from autocom.directory.ldapfilter import escape


def test_reserved_characters_are_escaped() -> None:
    assert escape("\\") == r"\5c"
    assert escape("*") == r"\2a"
    assert escape("(") == r"\28"
    assert escape(")") == r"\29"
    assert escape("\x00") == r"\00"
    assert escape("*)(uid=*") == r"\2a\29\28uid=\2a"
    assert escape("Lefèvre") == "Lefèvre"  # UTF-8 stays as is (RFC 4515 allows it)


@given(st.text())
def test_escaped_values_hold_no_filter_syntax(value: str) -> None:
    out = escape(value)
    assert "*" not in out and "(" not in out and ")" not in out and "\x00" not in out
    # every backslash starts a two-hex-digit escape
    parts = out.split("\\")[1:]
    assert all(len(p) >= 2 and all(c in "0123456789abcdef" for c in p[:2]) for p in parts)


def test_injection_term_stays_inside_one_assertion() -> None:
    f = ldapfilter.word_filter(["sn"], "*)(uid=*")
    # 'u' and 'i' may carry accents on the server: cut there, the rest escaped
    assert f == r"(sn=*\2a\29\28*d=\2a*)"
    assert f.count("(") == 1 and f.count(")") == 1


def test_word_filter_cuts_at_accentable_letters() -> None:
    assert ldapfilter.word_filter(["sn"], "lefevre") == "(sn=*l*f*vr*)"
    assert ldapfilter.word_filter(["sn", "cn"], "Müller") == "(|(sn=*m*ll*r*)(cn=*m*ll*r*))"


def test_word_of_only_accentable_letters_lists_variants() -> None:
    f = ldapfilter.word_filter(["sn"], "eo")
    assert "(sn=*éö*)" in f and "(sn=*eo*)" in f


def test_keypad_filter() -> None:
    f = ldapfilter.keypad_filter(["sn"], "53")
    assert "(sn=l*e*)" in f and "(sn=j*é*)" in f and "(sn=k*f*)" in f
    assert ldapfilter.keypad_filter(["sn"], "0") == "(!(objectClass=*))"
    # many digits: the alternatives stay bounded
    assert ldapfilter.keypad_filter(["sn"], "23456789").count("(sn=") <= 64


def test_number_filters() -> None:
    assert ldapfilter.number_filter(["telephoneNumber"], ["+33388400005"]) == (
        "(telephoneNumber=+33388400005)"
    )
    assert ldapfilter.digits_filter(["mobile"], "612") == "(mobile=*612*)"
    assert ldapfilter.any_of([]) == "(!(objectClass=*))"
