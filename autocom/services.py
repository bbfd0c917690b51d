"""What one feature offers another (the portal) without either importing the other.

A feature implements a protocol below; a caller asks its finder (e.g.
``forwards_service(ctx.features.values())``) and gets the feature, or None when no
loaded feature offers it.  The forwards feature implements :class:`ForwardsService`
with the very decision its feature codes (*21...) take, so a change made elsewhere
is checked the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from autocom.context import AppContext
    from autocom.loader import Config
    from autocom.store.base import StateStore
    from autocom.whatif.replay import Replay


@dataclass(frozen=True)
class ForwardView:
    """One forward of a user as a person reads it."""

    type: str  # "unconditional", "noanswer", "busy"
    destination: str
    enabled: bool


@dataclass(frozen=True)
class Change:
    """The outcome of a change asked on someone's behalf: done or refused, and why."""

    accepted: bool
    reason: str  # in words, for the person who asked
    trace: tuple[str, ...] = ()
    code: str = ""  # a stable name of the outcome, e.g. "vip_bad_number", for translation
    facts: tuple[tuple[str, str], ...] = ()  # what the translated words name, e.g. number


@runtime_checkable
class ForwardsService(Protocol):
    """A user's forwards, read and changed with the feature codes' own checks."""

    forward_types: Sequence[str]

    async def forwards_of(self, ctx: AppContext, user: str) -> list[ForwardView]: ...

    async def set_forward(
        self, ctx: AppContext, user: str, ftype: str, number: str, now: datetime
    ) -> Change: ...

    async def cancel_forwards(self, ctx: AppContext, user: str, now: datetime) -> Change: ...


def forwards_service(features: Iterable[object]) -> ForwardsService | None:
    """The loaded feature that offers users' forwards, or None."""
    for feature in features:
        if isinstance(feature, ForwardsService):
            return feature
    return None


@dataclass(frozen=True)
class BossFilterView:
    """One boss's filter as a secretary sees it."""

    boss: str  # extension
    name: str  # the boss's name, as the site says
    filter: str  # the filter's name in the rule file
    on: bool
    vip: tuple[str, ...]  # numbers and patterns that reach the boss directly (rule file)
    added_vip: tuple[str, ...] = ()  # numbers a secretary added (state store overlay)


@runtime_checkable
class BossFiltersService(Protocol):
    """Bosses' filters, switched with the checks and the lamp of the toggle code (*37)."""

    async def filters_for(self, ctx: AppContext, user: str) -> list[BossFilterView]:
        """The filters ``user`` may switch (the boss's own, or a boss's as a secretary)."""
        ...

    async def switch_filter(self, ctx: AppContext, user: str, boss: str, on: bool) -> Change: ...

    async def change_vip(
        self, ctx: AppContext, user: str, boss: str, number: str, add: bool
    ) -> Change:
        """Add ``number`` to (or remove it from) the VIP numbers of ``boss`` kept in the
        state store on top of the rule file's list, if ``user`` may switch the boss's
        filter.  Codes: vip_added, vip_removed; refused: vip_bad_number, vip_already,
        vip_in_file, vip_not_added, vip_full, not_boss, not_yours, store_down."""
        ...


def filters_service(features: Iterable[object]) -> BossFiltersService | None:
    """The loaded feature that offers bosses' filters, or None."""
    for feature in features:
        if isinstance(feature, BossFiltersService):
            return feature
    return None


@dataclass(frozen=True)
class PinLockView:
    """Whether an extension's PIN is locked now, and why (in words)."""

    locked: bool
    reason: str


@runtime_checkable
class PinLocksService(Protocol):
    """PINs: lockouts read and lifted as `autocom rights pin-status|pin-unlock` do, and
    a user's own PIN changed (the current one checked, a wrong one counted)."""

    async def pin_lock(self, ctx: AppContext, owner: str, now: datetime) -> PinLockView: ...

    async def unlock_pin(self, ctx: AppContext, owner: str, now: datetime) -> Change: ...

    async def change_pin(
        self, ctx: AppContext, owner: str, current: str, new: str, now: datetime
    ) -> Change: ...


def pin_service(features: Iterable[object]) -> PinLocksService | None:
    """The loaded feature that keeps PIN lockouts, or None."""
    for feature in features:
        if isinstance(feature, PinLocksService):
            return feature
    return None


@dataclass(frozen=True)
class SpeedDialView:
    """One personal speed dial: its slot ("00".."99"), number and label."""

    slot: str
    number: str
    label: str


@runtime_checkable
class SpeedDialsService(Protocol):
    """A user's personal speed dials, stored and deleted as the phone codes do."""

    async def speed_dials_of(self, ctx: AppContext, user: str) -> list[SpeedDialView]: ...

    async def store_speed_dial(
        self, ctx: AppContext, user: str, slot: str, number: str, now: datetime
    ) -> Change: ...

    async def delete_speed_dial(
        self, ctx: AppContext, user: str, slot: str, now: datetime
    ) -> Change: ...


def speed_dials_service(features: Iterable[object]) -> SpeedDialsService | None:
    """The loaded feature that keeps personal speed dials, or None."""
    for feature in features:
        if isinstance(feature, SpeedDialsService):
            return feature
    return None


@dataclass(frozen=True)
class CallView:
    """One call of a user's history, as the user sees it."""

    start: datetime
    kind: str  # "dialed", "received" or "missed"
    other: str  # the other party's number
    other_name: str
    talk_seconds: float
    disposition: str  # answered, no_answer, busy, failed, denied


@runtime_checkable
class CallHistoryService(Protocol):
    """Users' call histories from call accounting."""

    async def calls_of(self, ctx: AppContext, user: str, limit: int) -> list[CallView] | None:
        """The newest ``limit`` calls of ``user``; None when accounting is not running."""
        ...


def history_service(features: Iterable[object]) -> CallHistoryService | None:
    """The loaded feature that keeps call histories, or None."""
    for feature in features:
        if isinstance(feature, CallHistoryService):
            return feature
    return None


def hms(seconds: float) -> str:
    """A duration as h:mm:ss (statistics' talk times)."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


@dataclass(frozen=True)
class StatCounts:
    """Calls of one kind: how many, how many answered, talk time and cost."""

    calls: int = 0
    answered: int = 0
    talk_seconds: int = 0
    cost: Decimal = Decimal(0)

    @property
    def unanswered(self) -> int:
        return self.calls - self.answered

    @property
    def mean_talk_seconds(self) -> float:
        """The mean talk time of the answered calls (0 when none was answered)."""
        return self.talk_seconds / self.answered if self.answered else 0.0

    def __add__(self, other: StatCounts) -> StatCounts:
        return StatCounts(
            self.calls + other.calls,
            self.answered + other.answered,
            self.talk_seconds + other.talk_seconds,
            self.cost + other.cost,
        )


@dataclass(frozen=True)
class DepartmentStats:
    """One department's calls over a period [since, until) (docs/accounting.md)."""

    department: str
    since: datetime
    until: datetime
    currency: str
    total: StatCounts
    directions: tuple[tuple[str, StatCounts], ...]  # outgoing, incoming, internal
    dispositions: tuple[tuple[str, int], ...]  # answered, no_answer, busy, ...: calls
    categories: tuple[tuple[str, StatCounts], ...]  # most calls first
    destinations: tuple[tuple[str, StatCounts], ...]  # outgoing calls' categories, top 5
    hours: tuple[int, ...]  # calls started in each local hour 0..23
    busiest_hours: tuple[int, ...]  # the 3 hours with the most calls, busiest first


MAX_STATS_DAYS = 366  # the longest period of statistics asked at once


def stats_period(
    zone: ZoneInfo, month: str = "", day: str = "", first: str = "", last: str = ""
) -> tuple[datetime, datetime]:
    """[since, until) in ``zone`` of one month (2027-01), one day (2027-01-31) or the
    days ``first`` to ``last`` included; ValueError saying what to write."""
    asked = [bool(month), bool(day), bool(first or last)]
    if sum(asked) != 1:
        raise ValueError("give one period: a month (2027-01), a day (2027-01-31) or from and to")
    try:
        if month:
            start = datetime.strptime(month, "%Y-%m")
            total = start.year * 12 + start.month
            end = datetime(total // 12, total % 12 + 1, 1)
        elif day:
            start = datetime.strptime(day, "%Y-%m-%d")
            end = start + timedelta(days=1)
        else:
            start = datetime.strptime(first, "%Y-%m-%d")
            end = datetime.strptime(last, "%Y-%m-%d") + timedelta(days=1)
    except (ValueError, OverflowError):
        raise ValueError(
            f"{month or day or first + ' ' + last!r}: write a month like 2027-01 "
            "or days like 2027-01-31"
        ) from None
    if end <= start:
        raise ValueError(f"from {first} to {last}: the last day comes before the first")
    if start.year < 1970 or end - start > timedelta(days=MAX_STATS_DAYS):
        raise ValueError(
            f"from {first} to {last}: ask at most {MAX_STATS_DAYS} days from 1970 on "
            "(a year at most: ask each year on its own)"
        )
    return start.replace(tzinfo=zone), end.replace(tzinfo=zone)


@runtime_checkable
class DepartmentStatsService(Protocol):
    """Per-department call statistics from call accounting."""

    async def department_stats(
        self, ctx: AppContext, department: str, since: datetime, until: datetime
    ) -> DepartmentStats | None:
        """``department``'s calls started in [since, until); None when accounting is
        not running; StoreError when its store fails."""
        ...


def stats_service(features: Iterable[object]) -> DepartmentStatsService | None:
    """The loaded feature that gives department statistics, or None."""
    for feature in features:
        if isinstance(feature, DepartmentStatsService):
            return feature
    return None


@runtime_checkable
class ReplayService(Protocol):
    """A feature's decisions on calls to users, taken again on past calls
    (`autocom simulate`, autocom.whatif): its engine with today's state."""

    async def replay(self, store: StateStore, current: Config, new: Config) -> Replay:
        """The steps to replay under both configs, and what they assume of the state."""
        ...


def replay_services(features: Iterable[object]) -> list[ReplayService]:
    """The loaded features whose decisions a what-if replays, in ``features``' order."""
    return [f for f in features if isinstance(f, ReplayService)]
