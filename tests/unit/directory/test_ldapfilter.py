"""RFC 4515 escaping and the superset filters built from untrusted terms."""

from __future__ import annotations

import pytest
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


@pytest.mark.parametrize("value", ["\udc80", "ab\ud800", "\udfffcd", "x\udcff*"])
def test_lone_surrogates_are_refused(value: str) -> None:
    """A lone surrogate has no UTF-8 form: it never reaches a filter (ValueError)."""
    with pytest.raises(ValueError, match="unpaired surrogate"):
        escape(value)


@given(st.text())
def test_escaped_values_hold_no_filter_syntax(value: str) -> None:
    out = escape(value)
    assert "*" not in out and "(" not in out and ")" not in out and "\x00" not in out
    # every backslash starts a two-hex-digit escape
    parts = out.split("\\")[1:]
    assert all(len(p) >= 2 and all(c in "0123456789abcdef" for c in p[:2]) for p in parts)


def _assertions(f: str) -> list[str]:
    """The (attr=value) items of an OR of simple assertions."""
    inner = f[2:-1] if f.startswith("(|") else f
    assert inner.startswith("(") and inner.endswith(")")
    items = inner[1:-1].split(")(")
    assert all("(" not in i and ")" not in i for i in items)
    return items


def test_injection_term_stays_inside_one_assertion() -> None:
    f = ldapfilter.word_filter(["sn"], "*)(uid=*")
    # the start up to 'u' spelt with its accents, the rest cut at 'i', all escaped
    items = _assertions(f)
    assert r"sn=\2a\29\28u*d=\2a*" in items and r"sn=\2a\29\28ù*d=\2a*" in items
    assert all(i.startswith(("sn=\\2a", "sn=* \\2a", "sn=*-\\2a", "sn=*'\\2a")) for i in items)


def test_word_filter_starts_with_an_indexed_initial() -> None:
    # every branch has an initial part (slapd's substring index answers it) or
    # an 'any' part of a separator and 3 letters; never a leading bare '*'
    f = ldapfilter.word_filter(["sn"], "lefevre")
    items = _assertions(f)
    assert "sn=lef*vr*" in items and "sn=lèf*vr*" in items and "sn=léf*vr*" in items
    assert "sn=* lef*vr*" in items and "sn=*-lef*vr*" in items and "sn=*'lef*vr*" in items
    assert len(items) == 5 * 4  # 5 spellings of 'lef', at the start or after 3 separators
    for item in items:
        value = item.split("=", 1)[1]
        assert not value.startswith("*") or (value[1] in " -'" and len(value.split("*")[1]) >= 4)
    assert ldapfilter.word_filter(["sn", "cn"], "Müller").startswith("(|(sn=mull*r*)(sn=mùll*r*)")


def test_word_filter_bounds_accent_variants() -> None:
    # 'elie': 'el' has 5 spellings, 'eli' would have 20: the start stops at 'el'
    assert ldapfilter.word_filter(["sn"], "elie") == "(|(sn=el*)(sn=él*)(sn=èl*)(sn=êl*)(sn=ël*))"
    for word in ("eaeaeaeaea", "aeiou" * 10, "zoe", "x"):
        items = _assertions(ldapfilter.word_filter(["sn"], word))
        # two letters whatever their spellings (6 x 6 at most), more only while few
        assert len(items) <= max(36, ldapfilter.MAX_PREFIX_VARIANTS * 4)
        assert all(not i.startswith("sn=**") for i in items)
    assert ldapfilter.word_filter(["sn"], "x") == "(sn=x*)"
    # never a 1-letter start when the word has more (slapd indexes from 2)
    assert ldapfilter.word_filter(["sn"], "noel").startswith("(|(sn=no*l*)(sn=nô*l*)")
    assert "(sn=ño*l*)" in ldapfilter.word_filter(["sn"], "noel")
    assert "(sn=çe*l*k*)" in ldapfilter.word_filter(["sn"], "celik")


def test_keypad_filter_is_initial_substrings_of_the_first_letters() -> None:
    f = ldapfilter.keypad_filter(["sn"], "53")
    items = _assertions(f)
    assert "sn=le*" in items and "sn=jé*" in items and "sn=kf*" in items
    assert all(len(i) == len("sn=le*") for i in items)  # two letters, an initial only
    assert ldapfilter.keypad_filter(["sn"], "0") == "(!(objectClass=*))"
    assert ldapfilter.keypad_filter(["sn"], "50") == "(!(objectClass=*))"
    # many digits: the prefixes stay bounded, two letters at least
    prefixes = ldapfilter.keypad_prefixes("23456789")
    assert len(prefixes) <= ldapfilter.MAX_KEYPAD_PREFIXES
    assert {len(p) for p in prefixes} == {2}
    assert ldapfilter.keypad_prefixes("5") == ["j", "k", "l"]
    # a third letter while the prefixes stay within the bound: '427' -> 'haa'...
    prefixes = ldapfilter.keypad_prefixes("4279")
    assert "hap" in prefixes and "hàs" in prefixes and {len(p) for p in prefixes} == {3}


def test_number_filters() -> None:
    assert ldapfilter.number_filter(["telephoneNumber"], ["+33388400005"]) == (
        "(telephoneNumber=+33388400005)"
    )
    assert ldapfilter.digits_filter(["mobile"], "612") == "(mobile=*612*)"
    assert ldapfilter.any_of([]) == "(!(objectClass=*))"
