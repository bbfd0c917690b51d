"""The caller-name decision: formats, policies, the call left alone when in doubt."""

from __future__ import annotations

import pytest

from apps.directory.engine import LookupFacts, clean_text, decide
from apps.directory.rules import CallerNameRule
from autocom.directory import Entry, Number, NumberPlan

PLAN = NumberPlan()
RULE = CallerNameRule()
DUPONT = Entry(
    "hr", "uid=jd", "Dupont", "Jean",
    (Number("office", "0388400005", "+33388400005"),), "Comptabilité",
)  # fmt: skip
NO_DEPT = Entry("hr", "uid=x", "Noël", "Anaïs")


def found(*entries: Entry) -> LookupFacts:
    return LookupFacts("found", entries, "source")


def test_default_format() -> None:
    d = decide(RULE, PLAN, "0388400005", None, found(DUPONT), "directory.yaml:30")
    assert d.name == "DUPONT Jean - Comptabilité"
    assert d.trace[0] == "directory.yaml:30 caller_name"
    assert "format '{NAME} {first_name} - {department}'" in d.trace


def test_next_format_when_a_field_is_empty() -> None:
    assert decide(RULE, PLAN, "0388400005", None, found(NO_DEPT)).name == "NOËL Anaïs"


def test_custom_format_and_max_length() -> None:
    rule = CallerNameRule(formats=("{first_name} {name} ({title})", "{name}"), max_length=10)
    assert decide(rule, PLAN, "0388400005", None, found(DUPONT)).name == "Dupont"  # no title
    assert len(decide(rule, PLAN, "0388400005", None, found(NO_DEPT)).name or "") <= 10


@pytest.mark.parametrize("outcome", ["timeout", "unavailable", "unknown"])
def test_no_answer_leaves_the_call_unchanged(outcome: str) -> None:
    d = decide(RULE, PLAN, "0388400005", "Jean", LookupFacts(outcome))  # type: ignore[arg-type]
    assert d.name is None


def test_if_empty_keeps_a_real_name_but_replaces_the_number() -> None:
    rule = CallerNameRule(replace="if_empty")
    assert decide(rule, PLAN, "0388400005", "Jean D.", found(DUPONT)).name is None
    assert decide(rule, PLAN, "0388400005", "03 88 40 00 05", found(DUPONT)).name is not None
    assert decide(rule, PLAN, "0388400005", None, found(DUPONT)).name is not None


def test_disabled_and_garbage_numbers() -> None:
    assert decide(CallerNameRule(enabled=False), PLAN, "0388", None, found(DUPONT)).name is None
    assert decide(RULE, PLAN, 'x" ; EXEC', None, found(DUPONT)).name is None


def test_hostile_directory_data_becomes_one_line() -> None:
    evil = Entry("hr", "e", 'Evil"\n${SHELL(touch /tmp/x)}\r\x00', "A\tB", (), "Dép\u2028t")
    name = decide(RULE, PLAN, "0388400005", None, found(evil)).name
    assert name is not None
    assert "\n" not in name and "\r" not in name and "\x00" not in name and "\u2028" not in name
    assert name == 'EVIL" ${SHELL(TOUCH /TMP/X)} A B - Dép t'  # data, quoted by the AGI session


def test_same_name_already_set_is_not_sent_again() -> None:
    assert (
        decide(RULE, PLAN, "0388400005", "DUPONT Jean - Comptabilité", found(DUPONT)).name is None
    )


def test_clean_text() -> None:
    assert clean_text("  a \n b\x1b[31m  ", 80) == "a b [31m"
