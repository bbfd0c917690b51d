"""The clock every decision reads: site time zone, pinnable for tests and drills."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


class Clock:
    """Gives the current time in the site's time zone.

    ``pin(when)`` freezes it (``autocom serve --now ...``, tests); ``unpin()``
    returns to the wall clock.  A naive ``when`` is read in the site zone.
    """

    def __init__(self, timezone: str = "Europe/Paris", pinned: datetime | None = None) -> None:
        self.tz = ZoneInfo(timezone)
        self._pinned: datetime | None = None
        if pinned is not None:
            self.pin(pinned)

    def now(self) -> datetime:
        if self._pinned is not None:
            return self._pinned
        return datetime.now(self.tz)

    def pin(self, when: datetime) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        self._pinned = when.astimezone(self.tz)

    def unpin(self) -> None:
        self._pinned = None

    @property
    def pinned(self) -> bool:
        return self._pinned is not None


def parse_instant(text: str, timezone: str = "Europe/Paris") -> datetime:
    """Read an ISO 8601 instant ('2026-12-25T10:00:00+01:00'; naive = site zone)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"time {text!r}: write ISO 8601, e.g. 2026-12-25T10:00:00+01:00") from None
    tz = ZoneInfo(timezone)
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(tz)
