"""The decision's prepared texts and one-walk classification against plain references.

The decision reads texts made once (category and assignment trace lines, a class's
plan per category, the local time's text per second) and classifies a number in one
walk of one index.  The references here format everything per call and try every
pattern: both must give the very same decisions, field by field.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocom.rights import decision
from autocom.rights.categories import (
    EMERGENCY,
    INTERNAL,
    OTHER,
    CategoryTable,
    Classified,
    PatternEntry,
)
from autocom.rights.compile import load_rules
from autocom.rights.decision import Purpose, RightsDecision, VerdictT, decide
from autocom.rights.patterns import Pattern
from autocom.rights.rules import TimeRules, assignment_of
from autocom.rights.slots import LocalTimes, is_active, local_time
from autocom.site.model import NumberRange, Site
from autocom.site.sitefile import load_site

from .helpers import PARIS, UTC, rules, site
from .rules_text import RULES

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

# ------------------------------------------------------------------ the references


def scan(entries: tuple[PatternEntry, ...], number: str) -> PatternEntry | None:
    """Every pattern tried; the smallest key wins, the earlier on a tie."""
    found = [e for e in entries if e.pattern.matches(number)]
    return min(found, key=lambda e: e.pattern.key(number)) if found else None


def reference_classify(table: CategoryTable, dialed: str, prefix: str) -> Classified:
    """The rules of autocom.rights.categories, read literally."""
    stripped = dialed[len(prefix) :] if dialed.startswith(prefix) else None
    for candidate in (dialed, stripped):
        hit = scan(table.emergency, candidate) if candidate else None
        if hit is not None:
            return Classified(EMERGENCY, candidate or "", hit.pattern.text, hit.where)
    if table.site_number(dialed):
        return Classified(INTERNAL, dialed, "", f"{table.site_file}: site number")
    hit = scan(table.internal_patterns, dialed)
    if hit is not None:
        return Classified(INTERNAL, dialed, hit.pattern.text, hit.where)
    hit = scan(table.external, stripped) if stripped else None
    if hit is not None:
        return Classified(hit.category, stripped or "", hit.pattern.text, hit.where)
    return Classified(OTHER, stripped or dialed, "", "no pattern matches")


def reference_decide(
    r: TimeRules,
    s: Site,
    caller: str,
    dialed: str,
    when: datetime,
    purpose: Purpose,
    ctx: str | None,
) -> RightsDecision:
    """The decision of autocom.rights.decision's docstring, every text formatted per call."""
    local = local_time(r.tz, when)
    cat = reference_classify(r.categories, dialed, r.line_prefix)
    trace = [f"{cat.where} category {cat.category}" + (f" ({cat.pattern})" if cat.pattern else "")]

    def done(
        verdict: VerdictT, reason: str, name: str | None = None, slot: str | None = None
    ) -> RightsDecision:
        return RightsDecision(
            verdict,
            cat.category,
            name,
            slot,
            reason,
            tuple(trace),
            cat.number,
            caller,
            dialed,
            purpose,
            local.isoformat(),
        )

    if cat.category == EMERGENCY:
        if purpose == "forward":
            return done("deny", "a forward to an emergency number is refused")
        return done("allow", "emergency numbers are always allowed")
    a = assignment_of(r, s, caller, ctx)
    if a is None:
        if cat.category == INTERNAL:
            return done("allow", f"{caller} has no class; internal numbers are allowed")
        trace.append(f"{r.file} assign: no class for {caller} and no assign.default")
        return done("deny", f"{caller} has no class (and no assign.default)")
    trace.append(f"{r.where_of_assignment(a)} {a.selector} -> class {a.class_name}")
    cls = r.classes[a.class_name]
    name, category = cls.name, cat.category
    forward = purpose == "forward"
    lines = (cls.forwards if forward else cls.calls).get(category)
    if lines is None and category == INTERNAL:
        return done("allow", f"class {name} does not list internal: internal is allowed", name)
    fallback = cls.forward_default if forward else cls.call_default
    for group in (lines or (), fallback):
        for line in group:
            if line.slot is not None and not is_active(r.slots, line.slot, local):
                trace.append(f"{r.where_of(name, line)} {line.text} (slot {line.slot} not active)")
                continue
            if line.slot is not None:
                slot = r.slots[line.slot]
                trace.append(f"{slot.where} slot {slot.name} active")
                reason = f"class {name}, {category}, during {slot.name}: {line.verdict}"
            elif group is lines and len(group) == 1:
                reason = f"class {name}, {category}: {line.verdict}"
            elif group is lines:
                reason = f"class {name}, {category}, no listed slot active: {line.verdict}"
            else:
                reason = f"class {name}: {category} not listed, class default: {line.verdict}"
            trace.append(f"{r.where_of(name, line)} {line.text}")
            return done(line.verdict, reason, name, line.slot)
    missing = "no default: denied"
    if forward:
        missing = "forward: no default: external forwards are denied"
    trace.append(f"{r.where_of(name)} class {name}: {missing}")
    return done("deny", f"class {name}: {category} not allowed ({missing})", name)


# ------------------------------------------------------------------ classification


def entry(text: str, category: str, n: int) -> PatternEntry:
    return PatternEntry(Pattern.parse(text), category, f"rights.yaml:{n}")


_DIGITS = "0123*"
_SET = st.sampled_from(["X", "Z", "N", "[0-2]", "[13]", "[*#0]"])


@st.composite
def pattern_texts(draw: st.DrawFn) -> str:
    if draw(st.booleans()):  # a plain prefix
        return draw(st.text(_DIGITS, min_size=1, max_size=4))
    positions = draw(st.lists(st.one_of(st.sampled_from(_DIGITS), _SET), min_size=1, max_size=4))
    return "_" + "".join(positions) + draw(st.sampled_from(["", ".", "!"]))


@st.composite
def tables(draw: st.DrawFn) -> CategoryTable:
    def entries(category: st.SearchStrategy[str]) -> tuple[PatternEntry, ...]:
        found = draw(st.lists(st.tuples(pattern_texts(), category), max_size=8))
        return tuple(entry(text, cat, n) for n, (text, cat) in enumerate(found))

    numbers = draw(st.frozensets(st.text("0123", min_size=1, max_size=4), max_size=6))
    starts = draw(st.lists(st.integers(0, 80), max_size=3))
    return CategoryTable(
        names=("a", "b", EMERGENCY, INTERNAL, OTHER),
        emergency=entries(st.just(EMERGENCY)),
        internal_patterns=entries(st.just(INTERNAL)),
        internal_numbers=numbers,
        internal_ranges=tuple(NumberRange(f"{s:02d}", f"{s + 15:02d}") for s in starts),
        external=entries(st.sampled_from(["a", "b"])),
    )


@given(
    tables(),
    st.sampled_from(["", "0", "1", "00", "*"]),
    st.lists(st.text("01234*#a", max_size=7), min_size=1, max_size=25),
)
@settings(max_examples=300, deadline=None)
def test_one_walk_classifies_as_the_rules_read_literally(
    table: CategoryTable, prefix: str, numbers: list[str]
) -> None:
    for number in numbers:
        assert table.classify(number, prefix) == reference_classify(table, number, prefix), number


def test_the_prefixed_emergency_forms_lose_to_the_dialed_form() -> None:
    # "0112" is 112 behind the prefix, and also an emergency number as dialed
    table = CategoryTable(
        names=(EMERGENCY, INTERNAL, OTHER),
        emergency=(entry("_112", EMERGENCY, 1), entry("_0112", EMERGENCY, 2)),
        internal_patterns=(),
        internal_numbers=frozenset({"0113"}),
        internal_ranges=(),
        external=(entry("01", "x", 3),),
    )
    assert table.classify("0112", "0") == Classified(EMERGENCY, "0112", "_0112", "rights.yaml:2")
    assert table.classify("00112", "0") == Classified(EMERGENCY, "0112", "_0112", "rights.yaml:2")
    assert table.classify("0113", "0") == Classified(INTERNAL, "0113", "", "site.yaml: site number")
    assert table.classify("0014", "0") == Classified("x", "014", "01", "rights.yaml:3")
    assert table.classify("0", "0") == Classified(OTHER, "0", "", "no pattern matches")


# ------------------------------------------------------------------ local time texts

_SPRING = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET -> 03:00 CEST
_AUTUMN = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 03:00 CEST -> 02:00 CET (fold)


def assert_as_local_time(times: LocalTimes, when: datetime) -> None:
    local, text = times.at(when)
    exact = local_time(PARIS, when)
    assert text == exact.isoformat(), when
    assert (local, local.fold, local.tzinfo) == (exact, exact.fold, exact.tzinfo)


def test_local_text_across_seconds_and_daylight_saving_changes() -> None:
    times = LocalTimes(PARIS)
    steps = [timedelta(microseconds=k) for k in (-1_000_001, -1_000_000, -999_999, -1, 0, 1)]
    steps += [timedelta(milliseconds=250 * k) for k in range(-8, 9)]
    for change in (_SPRING, _AUTUMN, _AUTUMN - timedelta(hours=1)):
        instants = [change + step for step in steps]
        for when in instants + instants[::-1]:  # forward, then back in time
            for zone in (UTC, PARIS, timezone(timedelta(hours=-5))):
                assert_as_local_time(times, when.astimezone(zone))
    # the autumn hour happens twice: same wall-clock text, other offset
    first = times.at(_AUTUMN - timedelta(minutes=30))[1]
    second = times.at(_AUTUMN + timedelta(minutes=30))[1]
    assert (first, second) == ("2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00")


def test_local_text_of_times_given_in_the_zone_as_they_are() -> None:
    times = LocalTimes(PARIS)
    spring = datetime(2026, 3, 29, 3, 30, 0, 500_000, tzinfo=PARIS)  # 01:30:00.5 UTC
    gap = datetime(2026, 3, 29, 2, 30, 0, 700_000, tzinfo=PARIS)  # no such time: same instant
    odd = timezone(timedelta(microseconds=7))  # an offset with microseconds
    for when in (
        spring,
        gap,  # kept as given, as local_time keeps it
        spring,
        datetime(2026, 10, 25, 2, 30, 0, 5),  # naive: already local (the first 02:30)
        datetime(2026, 10, 25, 2, 30, 0, 6, fold=1),  # the second 02:30
        datetime(2026, 10, 25, 2, 30, 0, 7, tzinfo=PARIS),
        datetime(2026, 10, 25, 2, 30, 0, 8, tzinfo=PARIS, fold=1),
        datetime(2026, 5, 1, 12, 0, 0, 999_999, tzinfo=odd),
        datetime(2026, 5, 1, 12, 0, 1, 0, tzinfo=odd),
        datetime(9999, 12, 31, 21, 59, 59, 999_999, tzinfo=UTC),  # the last second there is
        datetime(9999, 12, 31, 22, 59, 59, 999_999, tzinfo=PARIS),
        datetime(1600, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    ):
        assert_as_local_time(times, when)
    assert times.at(gap)[1] == "2026-03-29T02:30:00.700000+01:00"


@given(
    st.lists(
        st.datetimes(
            min_value=datetime(2025, 1, 1),
            max_value=datetime(2028, 12, 31),
            timezones=st.sampled_from([UTC, PARIS, ZoneInfo("America/St_Johns"), None]),
        ),
        min_size=1,
        max_size=20,
    )
)
@settings(max_examples=200, deadline=None)
def test_local_text_is_isoformat(instants: list[datetime]) -> None:
    times = LocalTimes(PARIS)
    for when in instants:
        assert_as_local_time(times, when)
        assert_as_local_time(times, when + timedelta(microseconds=1))


# ------------------------------------------------------------------ whole decisions

SITE = site()
RULE_SETS = {
    "tests": (rules(RULES, SITE), SITE),
    "no prefix": (rules(RULES.replace('line_prefix: "0"', 'line_prefix: ""'), SITE), SITE),
    "own categories": (
        rules(
            RULES + 'categories: {internal: ["_8XXX", "_*2."], vip: ["_0800XXXXXX"], '
            'emergency: ["_112", "_15", "_0199"]}\n',
            SITE,
        ),
        SITE,
    ),
}
_EXAMPLE_SITE = load_site(EXAMPLES / "site.yaml")
RULE_SETS["examples"] = (load_rules(EXAMPLES / "rights.yaml", _EXAMPLE_SITE), _EXAMPLE_SITE)

CALLERS = ["2001", "2002", "2003", "2101", "2150", "2155", "4001", "2999", "9999", "6000"]
NUMBERS = [
    "112", "0112", "15", "0116000", "18", "2001", "2002", "8123", "*21", "0*21",
    "00612345678", "00612345670", "0612345678", "00044123456789", "00140000000",
    "00899123456", "00812345678", "00800123456", "00199", "0199", "0123", "0", "00", "",
]  # fmt: skip
_INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 1, 10),
    timezones=st.sampled_from([PARIS, UTC, None]),
)


@given(
    st.sampled_from(sorted(RULE_SETS)),
    st.lists(
        st.tuples(
            st.one_of(st.sampled_from(CALLERS), st.text("0123456789", min_size=4, max_size=4)),
            st.one_of(st.sampled_from(NUMBERS), st.text("0123456789*#", max_size=14)),
            st.one_of(_INSTANTS, st.sampled_from([_SPRING, _AUTUMN, _AUTUMN + timedelta(hours=1)])),
            st.sampled_from(["call", "forward"]),
            st.sampled_from([None, "staff", "lab", "nope"]),
        ),
        min_size=1,
        max_size=15,
    ),
    st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_decisions_are_those_formatted_per_call(
    name: str, calls: list[tuple[str, str, datetime, Purpose, str | None]], kept: bool
) -> None:
    r, s = RULE_SETS[name]  # shared by the examples: its plans and time text are warm
    with pytest.MonkeyPatch.context() as patch:
        if not kept:  # no more plans kept: the steps made as the call tries them
            patch.setattr(decision, "MAX_PLANS", len(r.plans))
        for caller, dialed, when, purpose, ctx in calls:
            got = decide(r, s, caller, dialed, when, purpose, ctx)
            assert got == reference_decide(r, s, caller, dialed, when, purpose, ctx)
            later = when + timedelta(microseconds=1)
            again = decide(r, s, caller, dialed, later, purpose, ctx)
            assert again == reference_decide(r, s, caller, dialed, later, purpose, ctx)


def test_the_audit_record_of_the_hook() -> None:
    r, s = RULE_SETS["tests"]
    d = decide(r, s, "2002", "00044123456789", datetime(2026, 11, 24, 23, 0, 0, 5, tzinfo=PARIS))
    record = d.log_record("1700000000.7")
    assert list(record) == [
        "event", "purpose", "caller", "dialed", "number", "category", "class", "slot",
        "decision", "reason", "at", "uniqueid", "trace",
    ]  # fmt: skip
    assert record["trace"] == list(d.trace) and record["uniqueid"] == "1700000000.7"
    assert record["at"] == "2026-11-24T23:00:00.000005+01:00"
    assert {k: v for k, v in record.items() if k not in ("uniqueid", "trace")} == d.log_record()


def test_plans_are_kept_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decision, "MAX_PLANS", 3)
    r = rules(RULES, SITE)
    purposes: tuple[Purpose, ...] = ("call", "forward")
    calls = [
        (caller, dialed, when, purpose)
        for caller in ("2001", "2002", "2150", "2101", "9999")
        for dialed in ("00612345678", "00044123456789", "00140000000", "2002", "0112")
        for when in (datetime(2026, 11, 23, 10, 0, tzinfo=PARIS), _SPRING, _AUTUMN)
        for purpose in purposes
    ]
    for caller, dialed, when, purpose in calls * 2:  # the second time, from the kept plans
        expected = reference_decide(r, SITE, caller, dialed, when, purpose, None)
        assert decide(r, SITE, caller, dialed, when, purpose) == expected
    assert len(r.plans) == 3
