"""Per-department statistics: the aggregation of the store's groups, the period
asked, and the text and JSON forms (pure, no store)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from apps.accounting.stats import (
    DaySummary,
    StatGroup,
    aggregate,
    hours_of,
    local_days,
    stats_dict,
    stats_text,
    summarize,
)
from autocom.services import StatCounts, hms, stats_period

PARIS = ZoneInfo("Europe/Paris")
JAN = (datetime(2027, 1, 1, tzinfo=PARIS), datetime(2027, 2, 1, tzinfo=PARIS))
GROUPS = [
    StatGroup("outgoing", "answered", "national", 10, 1200, Decimal("0.7000")),
    StatGroup("outgoing", "no_answer", "national", 2, 0, Decimal(0)),
    StatGroup("outgoing", "answered", "international", 3, 600, Decimal("3.1000")),
    StatGroup("transit", "answered", "mobile", 1, 60, Decimal("0.1000")),  # forwarded out
    StatGroup("outgoing", "answered", "mobile", 4, 240, Decimal("0.4000")),
    StatGroup("incoming", "answered", "", 6, 900, Decimal(0)),
    StatGroup("incoming", "busy", "", 1, 0, Decimal(0)),
    StatGroup("internal", "answered", "internal", 5, 150, Decimal(0)),
    StatGroup("internal", "denied", "internal", 1, 0, Decimal(0)),
]


def days(groups: list[StatGroup], buckets: list[tuple[int, int]]) -> list[DaySummary]:
    """One day of these groups and quarter hours (Paris), through its JSON form."""
    return [DaySummary.from_json(summarize(groups, buckets, PARIS).to_json())]


def test_directions_totals_and_means() -> None:
    s = aggregate("Chimie", *JAN, "EUR", days(GROUPS, []))
    assert s.total == StatCounts(33, 29, 3150, Decimal("4.3000"))
    assert s.total.unanswered == 4
    directions = dict(s.directions)
    assert list(directions) == ["outgoing", "incoming", "internal"]
    assert directions["outgoing"] == StatCounts(20, 18, 2100, Decimal("4.3000"))
    assert directions["outgoing"].mean_talk_seconds == pytest.approx(2100 / 18)
    assert directions["incoming"] == StatCounts(7, 6, 900, Decimal(0))
    assert directions["internal"] == StatCounts(6, 5, 150, Decimal(0))
    assert dict(s.dispositions) == {"answered": 29, "no_answer": 2, "busy": 1, "denied": 1}


def test_categories_by_calls_and_top_destinations_of_outgoing_calls_only() -> None:
    s = aggregate("Chimie", *JAN, "EUR", days(GROUPS, []))
    assert [(k, c.calls) for k, c in s.categories] == [
        ("national", 12),
        ("", 7),
        ("internal", 6),
        ("mobile", 5),
        ("international", 3),
    ]
    assert [(k, c.calls, c.cost) for k, c in s.destinations] == [
        ("national", 12, Decimal("0.7000")),
        ("mobile", 5, Decimal("0.5000")),
        ("international", 3, Decimal("3.1000")),
    ]


def test_no_call_gives_zeros_not_errors() -> None:
    s = aggregate("Vide", *JAN, "EUR", days([], []))
    assert s.total == StatCounts() and s.total.mean_talk_seconds == 0.0
    assert all(c == StatCounts() for _, c in s.directions)
    assert s.hours == (0,) * 24 and s.busiest_hours == ()
    assert "busiest hours: " in stats_text(s)


def test_busiest_hours_are_local_across_a_dst_change() -> None:
    winter = int(datetime(2027, 1, 12, 9, 15, tzinfo=PARIS).timestamp())  # 08:15 UTC
    summer = int(datetime(2027, 7, 12, 9, 45, tzinfo=PARIS).timestamp())  # 07:45 UTC
    late = int(datetime(2027, 1, 12, 17, 0, tzinfo=PARIS).timestamp())
    buckets = [(winter, 4), (summer, 3), (late, 5), (late + 900, 1)]
    hours = hours_of(buckets, PARIS)
    assert hours[9] == 7 and hours[17] == 6 and sum(hours) == 13
    s = aggregate("Chimie", *JAN, "EUR", days(GROUPS, buckets))
    assert s.busiest_hours == (9, 17)
    # ties: the earlier hour first
    even = [(winter, 2), (late, 2), (late - 3 * 3600, 2), (late + 3600, 1)]
    assert aggregate("x", *JAN, "EUR", days([], even)).busiest_hours == (9, 14, 17)


@pytest.mark.parametrize(
    ("ask", "since", "until"),
    [
        (("2027-01", "", "", ""), datetime(2027, 1, 1), datetime(2027, 2, 1)),
        (("2027-12", "", "", ""), datetime(2027, 12, 1), datetime(2028, 1, 1)),
        (("", "2027-03-28", "", ""), datetime(2027, 3, 28), datetime(2027, 3, 29)),
        (("", "", "2027-01-10", "2027-01-20"), datetime(2027, 1, 10), datetime(2027, 1, 21)),
        (("", "", "2027-01-10", "2027-01-10"), datetime(2027, 1, 10), datetime(2027, 1, 11)),
        (("", "", "2028-01-01", "2028-12-31"), datetime(2028, 1, 1), datetime(2029, 1, 1)),
    ],
)
def test_periods_are_local_and_the_last_day_included(
    ask: tuple[str, str, str, str], since: datetime, until: datetime
) -> None:
    assert stats_period(PARIS, *ask) == (since.replace(tzinfo=PARIS), until.replace(tzinfo=PARIS))


@pytest.mark.parametrize(
    ("ask", "says"),
    [
        (("", "", "", ""), "give one period"),
        (("2027-01", "2027-01-02", "", ""), "give one period"),
        (("janvier", "", "", ""), "write a month like 2027-01"),
        (("", "2027-02-30", "", ""), "or days like 2027-01-31"),
        (("", "", "2027-01-10", ""), "or days like 2027-01-31"),
        (("", "", "2027-01-10", "2027-01-09"), "the last day comes before the first"),
        (("2027-01' OR 1=1", "", "", ""), "write a month like 2027-01"),
        (("", "", "0001-01-01", "9999-12-31"), "or days like 2027-01-31"),  # year 10000
        (("", "", "1969-12-31", "1970-01-01"), "ask at most 366 days from 1970 on"),
        (("", "", "2027-01-01", "2028-01-02"), "ask at most 366 days from 1970 on"),
    ],
)
def test_a_bad_period_says_what_to_write(ask: tuple[str, str, str, str], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        stats_period(PARIS, *ask)


def test_text_and_json_forms() -> None:
    late = int(datetime(2027, 1, 12, 17, 0, tzinfo=PARIS).timestamp())
    s = aggregate("Chimie", *JAN, "EUR", days(GROUPS, [(late, 33)]))
    text = stats_text(s)
    assert text.splitlines()[0] == "department Chimie: 2027-01-01 to 2027-01-31"
    assert "outgoing" in text and "0:35:00" in text  # the outgoing calls' 2100 s
    assert "busiest hours: 17h (33)" in text
    body = stats_dict(s)
    assert body["calls"] == 33 and body["answered"] == 29 and body["cost"] == "4.3000"
    assert body["directions"]["internal"] == {  # type: ignore[index]
        "calls": 6,
        "answered": 5,
        "unanswered": 1,
        "talk_seconds": 150,
        "mean_talk_seconds": 30.0,
        "cost": "0.0000",
    }
    assert body["top_destinations"][0]["category"] == "national"  # type: ignore[index]
    assert body["since"] == "2027-01-01T00:00:00+01:00"
    assert hms(3725.4) == "1:02:05"


def test_days_are_cut_at_local_midnights_dst_included() -> None:
    since, until = stats_period(PARIS, "2027-03")
    cut = local_days(since, until)
    assert len(cut) == 31 and cut[0][0] == since and cut[-1][1] == until
    hours = {start: (end.timestamp() - start.timestamp()) / 3600 for start, end in cut}
    assert set(hours.values()) == {24.0, 23.0}  # 28 March 2027 is 23 hours long in Paris
    short = next(start for start, length in hours.items() if length == 23)
    assert short.date().isoformat() == "2027-03-28"
    assert local_days(since, since) == []


def test_several_days_add_up() -> None:
    nine = int(datetime(2027, 1, 12, 9, 0, tzinfo=PARIS).timestamp())
    one = summarize(GROUPS[:2], [(nine, 12)], PARIS)
    two = summarize(GROUPS[:1], [(nine + 86400, 10)], PARIS)
    s = aggregate("Chimie", *JAN, "EUR", [one, two])
    assert s.total == StatCounts(22, 20, 2400, Decimal("1.4000"))
    assert s.hours[9] == 22 and s.busiest_hours == (9,)
