"""Named time slots: weekdays, hour ranges, dates, public holidays, combinations.

A slot is active at an instant when every condition it writes holds:

- ``weekdays: mon-fri`` (or ``[sat, sun]``, French names too: ``lun-ven``);
- ``hours: "08:00-18:00"`` or a list; the start is included and the **end is
  excluded** (08:00-18:00 is active at 17:59:59, not at 18:00:00). A range whose
  end is before its start crosses midnight (``20:00-07:00``). ``24:00`` ends
  the day. Each condition reads the local time on its own, like Asterisk's
  GotoIfTime: ``{weekdays: fri, hours: "20:00-07:00"}`` is active on Friday
  from 20:00 to midnight and on Friday from 00:00 to 07:00, never on Saturday;
- ``dates``: ``2026-12-24``, ``2026-07-13..2026-08-21`` (both days included),
  or every year ``12-25`` / ``12-24..01-02``;
- ``holidays: true``: a public holiday of the file's calendar (``holidays:
  {country: FR, subdivision: "57"}`` at the top of the file), or a calendar of
  its own: ``holidays: {country: FR, subdivision: "6AE"}``;
- ``all_of: [a, b]``, ``any_of: [a, b]``, ``not: [c]``: other slots.

Times are read in the rules' time zone (the site's): an instant is converted
to local wall-clock time first, so daylight-saving changes are handled by
zoneinfo (the 02:00-03:00 hour does not exist on the spring night; on the
autumn night 02:30 happens twice and is in the same slots both times).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import holidays as holidays_lib

if TYPE_CHECKING:
    from autocom.config.yaml_source import Document
    from autocom.rights.rules import RightsFile, SlotModel, TimeRules

_DAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "lun": 0, "mar": 1, "mer": 2, "jeu": 3, "ven": 4, "sam": 5, "dim": 6,
}  # fmt: skip
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEARLY_DATE = re.compile(r"^(\d{2})-(\d{2})$")


# ------------------------------------------------------------------ parsing (validators)


def parse_weekdays(value: Any) -> tuple[int, ...]:
    """'mon-fri', 'sat,sun', ['mon', 'wed'] -> sorted day numbers (Monday = 0)."""
    items: list[str] = []
    if isinstance(value, str):
        items = [p for p in re.split(r"[,\s]+", value) if p]
    elif isinstance(value, list | tuple):
        for v in value:
            if not isinstance(v, str):
                raise ValueError("weekdays: write names like mon, tue ... sun")
            items.extend(p for p in re.split(r"[,\s]+", v) if p)
    else:
        raise ValueError("weekdays: write 'mon-fri' or a list like [sat, sun]")
    if not items:
        raise ValueError("weekdays: empty; write 'mon-fri' or a list like [sat, sun]")
    days: set[int] = set()
    for item in items:
        parts = item.lower().split("-")
        if len(parts) > 2 or any(p[:3] not in _DAYS or len(p) < 3 for p in parts):
            raise ValueError(
                f"weekdays: {item!r} is not a day: write mon tue wed thu fri sat sun "
                "(or lun..dim), or a range like mon-fri"
            )
        first = _DAYS[parts[0][:3]]
        last = _DAYS[parts[-1][:3]]
        d = first
        days.add(d)
        while d != last:  # a range may wrap: fri-mon
            d = (d + 1) % 7
            days.add(d)
    return tuple(sorted(days))


@dataclass(frozen=True)
class HourRange:
    """[start, end) in seconds since local midnight; end < start crosses midnight."""

    start: int
    end: int
    text: str

    def contains(self, seconds: int) -> bool:
        if self.start < self.end:
            return self.start <= seconds < self.end
        return seconds >= self.start or seconds < self.end


def _hhmm(text: str, whole: str) -> int:
    m = _HHMM.match(text.strip())
    if not m:
        raise ValueError(f'hours: {whole!r}: write HH:MM-HH:MM, e.g. "08:00-18:00" (quoted)')
    h, mi = int(m.group(1)), int(m.group(2))
    if mi > 59 or h > 24 or (h == 24 and mi != 0):
        raise ValueError(f"hours: {whole!r}: {text.strip()} is not a time of day")
    return h * 3600 + mi * 60


def parse_hours(value: Any) -> tuple[HourRange, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ValueError('hours: write "08:00-18:00" or a list of such ranges')
    out = []
    for item in items:
        if isinstance(item, HourRange):
            out.append(item)
            continue
        if not isinstance(item, str) or item.count("-") != 1:
            raise ValueError(f'hours: {item!r}: write HH:MM-HH:MM, e.g. "08:00-18:00"')
        a, b = item.split("-")
        start, end = _hhmm(a, item), _hhmm(b, item)
        if start == 24 * 3600:
            raise ValueError(f"hours: {item!r}: a range cannot start at 24:00; write 00:00")
        if start == end:
            raise ValueError(
                f"hours: {item!r}: start and end are equal; for the whole day write 00:00-24:00"
            )
        if end == 24 * 3600:
            end = 24 * 3600  # end of day; contains() treats it as start < end
        out.append(HourRange(start, end, item.strip()))
    return tuple(out)


@dataclass(frozen=True)
class DateRule:
    """A day or an inclusive range of days; yearly when written without the year."""

    start: tuple[int, int, int]  # (year or 0, month, day)
    end: tuple[int, int, int]
    text: str

    @property
    def yearly(self) -> bool:
        return self.start[0] == 0

    def contains(self, d: date) -> bool:
        if not self.yearly:
            return self.start <= (d.year, d.month, d.day) <= self.end
        md = (0, d.month, d.day)
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end


def _one_date(text: str, whole: str) -> tuple[int, int, int]:
    text = text.strip()
    m = _FULL_DATE.match(text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        try:
            date(y, mo, d)
        except ValueError:
            raise ValueError(f"dates: {whole!r}: {text} is not a real date") from None
        return (y, mo, d)
    m = _YEARLY_DATE.match(text)
    if m:
        mo, d = int(m.group(1)), int(m.group(2))
        try:
            date(2024, mo, d)  # a leap year: 02-29 is allowed
        except ValueError:
            raise ValueError(f"dates: {whole!r}: {text} is not a real day of the year") from None
        return (0, mo, d)
    raise ValueError(
        f"dates: {whole!r}: write YYYY-MM-DD, a range YYYY-MM-DD..YYYY-MM-DD, "
        "or MM-DD for every year"
    )


def parse_dates(value: Any) -> tuple[DateRule, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ValueError('dates: write "2026-12-24" or a list of days and ranges')
    out = []
    for item in items:
        if isinstance(item, DateRule):
            out.append(item)
            continue
        if not isinstance(item, str):
            raise ValueError(f'dates: {item!r}: write "2026-12-24" (quoted)')
        parts = item.split("..")
        if len(parts) > 2:
            raise ValueError(f"dates: {item!r}: write one range as START..END")
        start = _one_date(parts[0], item)
        end = _one_date(parts[-1], item)
        if (start[0] == 0) != (end[0] == 0):
            raise ValueError(f"dates: {item!r}: write both ends with a year, or both without")
        if start[0] and start > end:
            raise ValueError(f"dates: {item!r}: the start is after the end")
        out.append(DateRule(start, end, item.strip()))
    return tuple(out)


# ------------------------------------------------------------------ public holidays


class HolidayCalendar:
    """Public holidays of a country (and subdivision), from the holidays library.

    Years are computed on first use and kept; the set for a year is built whole
    before it is published, so concurrent readers never see a half-built year.
    """

    def __init__(self, country: str, subdivision: str | None = None) -> None:
        self.country = country
        self.subdivision = subdivision
        self._years: dict[int, dict[date, str]] = {}

    @staticmethod
    def check(country: str, subdivision: str | None) -> None:
        """Raise ValueError with a clear message if the library refuses them."""
        try:
            holidays_lib.country_holidays(country, subdiv=subdivision, years=2026)
        except NotImplementedError:
            if subdivision is None:
                raise ValueError(
                    f"country {country!r} is not known to the holidays library: "
                    "write an ISO 3166 code such as FR"
                ) from None
            known = ", ".join(getattr(holidays_lib.country_holidays(country), "subdivisions", ()))
            hint = ""
            if country.upper() == "FR" and subdivision in ("67", "68"):
                hint = (
                    ': for Alsace (Bas-Rhin 67, Haut-Rhin 68) write subdivision "6AE"; '
                    'for Moselle write "57"'
                )
            raise ValueError(
                f"subdivision {subdivision!r} is not known for {country}{hint} (known: {known})"
            ) from None

    def year(self, year: int) -> dict[date, str]:
        days = self._years.get(year)
        if days is None:
            cal = holidays_lib.country_holidays(
                self.country, subdiv=self.subdivision, years=year, language="en_US"
            )
            days = {d: str(name) for d, name in cal.items()}
            self._years[year] = days
        return days

    def name(self, d: date) -> str | None:
        """The holiday's name, or None if ``d`` is a working day."""
        return self.year(d.year).get(d)

    def warm(self, years: range) -> None:
        for y in years:
            self.year(y)

    def __repr__(self) -> str:
        sub = f"-{self.subdivision}" if self.subdivision else ""
        return f"HolidayCalendar({self.country}{sub})"


# ------------------------------------------------------------------ compiled slots


@dataclass(frozen=True)
class CompiledSlot:
    name: str
    where: str  # file:line of the slot
    weekdays: frozenset[int] | None = None
    hours: tuple[HourRange, ...] | None = None
    dates: tuple[DateRule, ...] | None = None
    calendar: HolidayCalendar | None = None  # holidays: true / {country...}
    not_holiday: HolidayCalendar | None = None  # holidays: false
    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    refs: tuple[str, ...] = field(default=())


def local_time(rules_tz: ZoneInfo, when: datetime) -> datetime:
    """``when`` as wall-clock time in the rules' zone (a naive ``when`` is already local)."""
    if when.tzinfo is None:
        return when.replace(tzinfo=rules_tz)
    return when.astimezone(rules_tz)


_SECOND = timedelta(seconds=1)


class LocalTimes:
    """``local_time`` and its ISO text (``local.isoformat()``), the text made from the
    last second's: the wall-clock second and its fold (which of a repeated autumn hour)
    give the date, the time and the UTC offset (offsets change on whole seconds); only
    the microseconds differ.  Keyed by the local time's own fields, not the instant: a
    datetime already in the zone is read as given (``local_time`` keeps it as is, a
    time of the spring gap too).  One entry, replaced as a whole: safe across threads.
    """

    __slots__ = ("_last", "tz")

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        never = datetime.max.replace(tzinfo=tz)
        # (the second's first local time, the next second's, text before the fraction,
        # text after it)
        self._last: tuple[datetime, datetime, str, str] = (never, never, "", "")

    def at(self, when: datetime) -> tuple[datetime, str]:
        """``local_time(tz, when)`` and its ``isoformat()``."""
        tz = self.tz
        local = when if when.tzinfo is tz else local_time(tz, when)  # (as local_time does)
        start, end, head, tail = self._last
        # same tzinfo: compared field by field (the fold aside, hence its own test)
        if not (start <= local < end and local.fold == start.fold):
            start = local.replace(microsecond=0)
            text = start.isoformat()  # no fraction: "YYYY-MM-DDTHH:MM:SS" then the offset
            head, tail = text[:19], text[19:]
            end = start + _SECOND if start.year < datetime.max.year else start  # (no hit)
            self._last = (start, end, head, tail)
        micro = local.microsecond
        return local, f"{head}.{micro:06d}{tail}" if micro else head + tail


def is_active(slots: Mapping[str, CompiledSlot], name: str, local: datetime) -> bool:
    """Is slot ``name`` active at ``local`` (already in the site zone)?"""
    slot = slots[name]
    if slot.weekdays is not None and local.weekday() not in slot.weekdays:
        return False
    if slot.hours is not None:
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        if not any(h.contains(seconds) for h in slot.hours):
            return False
    day = local.date()
    if slot.dates is not None and not any(r.contains(day) for r in slot.dates):
        return False
    if slot.calendar is not None and slot.calendar.name(day) is None:
        return False
    if slot.not_holiday is not None and slot.not_holiday.name(day) is not None:
        return False
    if any(not is_active(slots, s, local) for s in slot.all_of):
        return False
    if slot.any_of and not any(is_active(slots, s, local) for s in slot.any_of):
        return False
    return not any(is_active(slots, s, local) for s in slot.none_of)


def slot_is_active(rules: TimeRules, slot_name: str, when: datetime) -> bool:
    """The API other features use: is the named slot of the rights file active?

    Raises KeyError for an unknown slot name (features check names at load
    with ``rules.slot_names()``).
    """
    if slot_name not in rules.slots:
        raise KeyError(f"no time slot is called {slot_name!r}")
    return is_active(rules.slots, slot_name, local_time(rules.tz, when))


def compile_slots(
    model: RightsFile,
    doc: Document,
    issue: Callable[..., None],
) -> dict[str, CompiledSlot]:
    calendars: dict[tuple[str, str | None], HolidayCalendar] = {}

    def calendar(country: str, subdivision: str | None) -> HolidayCalendar:
        key = (country, subdivision)
        if key not in calendars:
            calendars[key] = HolidayCalendar(country, subdivision)
        return calendars[key]

    out: dict[str, CompiledSlot] = {}
    for name, slot in model.slots.items():
        if name == "default" or not re.match(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$", name):
            issue(
                ("slots", name),
                f"{name!r} cannot name a slot",
                "use letters, digits, '_' and '-', starting with a letter; 'default' is reserved",
            )
            continue
        line = doc.line_of(("slots", name))
        where = f"{doc.file}:{line}" if line is not None else doc.file
        out[name] = compile_slot(name, slot, model, where, calendar, issue)
    check_cycles(out, issue)
    for cal in calendars.values():
        this_year = datetime.now().year
        cal.warm(range(this_year - 1, this_year + 3))
    return out


def compile_slot(
    name: str,
    slot: SlotModel,
    model: RightsFile,
    where: str,
    calendar: Callable[[str, str | None], HolidayCalendar],
    issue: Callable[..., None],
) -> CompiledSlot:
    cal = not_cal = None
    if slot.holidays is True:
        cal = calendar(model.holidays.country, model.holidays.subdivision)
    elif slot.holidays is False:
        not_cal = calendar(model.holidays.country, model.holidays.subdivision)
    elif slot.holidays is not None:
        cal = calendar(slot.holidays.country, slot.holidays.subdivision)
    refs = (*slot.all_of, *slot.any_of, *slot.none_of)
    for key, names in (("all_of", slot.all_of), ("any_of", slot.any_of),
                       ("not", slot.none_of)):  # fmt: skip
        for ref in names:
            if ref not in model.slots:
                issue(
                    ("slots", name, key),
                    f"slot {name}: {key}: no slot is called {ref!r}",
                    f"use one of: {', '.join(sorted(model.slots))}",
                )
    conditions = (slot.weekdays, slot.hours, slot.dates, slot.holidays)
    if all(c is None for c in conditions) and not refs:
        issue(
            ("slots", name),
            f"slot {name}: no condition",
            "write weekdays, hours, dates, holidays, all_of, any_of or not",
        )
    return CompiledSlot(
        name=name,
        where=where,
        weekdays=frozenset(slot.weekdays) if slot.weekdays is not None else None,
        hours=slot.hours,
        dates=slot.dates,
        calendar=cal,
        not_holiday=not_cal,
        all_of=slot.all_of,
        any_of=slot.any_of,
        none_of=slot.none_of,
        refs=refs,
    )


def check_cycles(slots: Mapping[str, CompiledSlot], issue: Callable[..., None]) -> None:
    """A slot must not depend on itself, through any chain of all_of/any_of/not."""
    state: dict[str, int] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == 2 or name not in slots:
            return
        if state.get(name) == 1:
            issue(
                ("slots", name),
                f"slots refer to each other in a loop: {' -> '.join((*chain, name))}",
                "remove one of the references",
            )
            return
        state[name] = 1
        for ref in slots[name].refs:
            visit(ref, (*chain, name))
        state[name] = 2

    for name in slots:
        visit(name, ())
