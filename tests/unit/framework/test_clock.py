from datetime import UTC, datetime, timedelta

import pytest

from autocom.clock import Clock, parse_instant


def test_pinned_clock_and_zone() -> None:
    clock = Clock("Europe/Paris")
    clock.pin(parse_instant("2026-12-25T10:00:00+01:00"))
    assert clock.pinned
    assert clock.now().isoformat() == "2026-12-25T10:00:00+01:00"
    clock.pin(datetime(2026, 7, 14, 8, 0))  # naive: site time
    assert clock.now().utcoffset() == timedelta(hours=2)
    clock.unpin()
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_parse_instant_converts_to_site_zone() -> None:
    when = parse_instant("2026-03-29T01:30:00+00:00")  # DST starts at 01:00 UTC
    assert when.isoformat() == "2026-03-29T03:30:00+02:00"
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_instant("tomorrow")
