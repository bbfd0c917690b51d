"""A FastAGI session's log line: its fields, their order, duration_ms as round() gives it."""

import math
import random

from autocom.agi.server import SessionReport, _round_ms, _session_line
from autocom.logs import Event


def test_the_session_line_has_the_report_fields_in_order() -> None:
    report = SessionReport("rights", "1764800000.12", "PJSIP/2001-00000001", 0.0123456, 2, "ok")
    line = _session_line(report)
    assert list(line.items()) == [
        ("script", "rights"),
        ("uniqueid", "1764800000.12"),
        ("channel", "PJSIP/2001-00000001"),
        ("duration_ms", 12.346),
        ("commands", 2),
        ("outcome", "ok"),
    ]
    assert report.event() == line and isinstance(report.event(), Event)


def _durations() -> list[float]:
    rng = random.Random(21)
    values = [rng.random() * 10 ** rng.uniform(-7, 5) for _ in range(20000)]
    for _ in range(5000):  # ties of the third decimal, and the floats either side
        tie = rng.randrange(0, 10**8) / 1000 + 0.0005
        values += [tie, math.nextafter(tie, 0), math.nextafter(tie, math.inf)]
    return [*values, 0.0, -0.0, -2.5, 0.0005, 2.675, 1e11, 1e300, 1e-320, math.inf, -math.inf]


def test_milliseconds_are_rounded_as_round_does() -> None:
    for value in _durations():
        ours, theirs = _round_ms(value), round(value, 3)
        assert (ours, math.copysign(1.0, ours)) == (theirs, math.copysign(1.0, theirs)), value
    assert math.isnan(_round_ms(math.nan))
