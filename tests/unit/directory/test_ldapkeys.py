"""The search-key LDIF (RFC 2849) and the key filter: pure, no server."""

from __future__ import annotations

import base64

from autocom.directory import ldapfilter
from autocom.directory.ldapkeys import KeyedEntry, key_changes, summary
from autocom.directory.text import fold, search_keys

ATTR = "autocomSearchKey"


def keyed(
    dn: str,
    name: str,
    first: str = "",
    keys: tuple[str, ...] = (),
    classes: tuple[str, ...] = ("inetOrgPerson",),
) -> KeyedEntry:
    return KeyedEntry(dn, name, first, "", keys, classes)


def test_a_missing_key_gets_the_class_and_every_value() -> None:
    (record,) = key_changes([keyed("uid=a,dc=x", "O'Neil", "Zoé")], ATTR)
    assert record.startswith("dn: uid=a,dc=x\nchangetype: modify\n")
    assert "add: objectClass\nobjectClass: autocomSearchable\n-\n" in record
    assert f"replace: {ATTR}\n{ATTR}: oneil\n{ATTR}: neil\n{ATTR}: zoe\n" in record
    assert f"{ATTR}: 66345\n{ATTR}: 6345\n{ATTR}: 963\n-\n\n" in record


def test_entries_already_right_are_left_out() -> None:
    right = keyed("uid=b,dc=x", "Weiß", "Jean", search_keys("Weiß", "Jean"), ("autocomSearchable",))
    stale = keyed("uid=c,dc=x", "Weiß", "Jean", ("weis",), ("top", "AUTOCOMSEARCHABLE"))
    records = list(key_changes([right, stale], ATTR))
    assert len(records) == 1 and records[0].startswith("dn: uid=c,dc=x\n")
    assert "objectClass" not in records[0]  # the class is there (case-insensitive)
    assert summary([right, stale]) == (2, 1)
    assert "objectClass" not in next(key_changes([keyed("uid=d", "X")], ATTR, object_class=""))


def test_values_that_are_not_safe_strings_go_base64() -> None:
    dn = "uid=é,dc=x"
    (record,) = key_changes([keyed(dn, "Αλέξης")], ATTR)  # Greek: folded, still not ASCII
    assert f"dn:: {base64.b64encode(dn.encode()).decode()}\n" in record
    assert f"{ATTR}:: {base64.b64encode(fold('Αλέξης').encode()).decode()}\n" in record


def test_key_filter_escapes_and_compacts() -> None:
    assert ldapfilter.key_filter(ATTR, "O'Neil") == f"({ATTR}=oneil*)"
    assert ldapfilter.key_filter(ATTR, "weiß") == f"({ATTR}=weiss*)"
    assert ldapfilter.key_filter(ATTR, "*)(uid=*") == f"({ATTR}=\\2a\\29\\28uid=\\2a*)"
    assert ldapfilter.key_filter(ATTR, "-'") == ldapfilter.NOTHING
