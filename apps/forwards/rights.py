"""The call-rights view the forward engine needs, and the adapter to time_rules.

The engine takes a ``RightsCheck``: a function (user, number) -> decision,
built once per request by :func:`rights_for` from the time_rules engine with
``purpose="forward"`` and the time of the request.  The engine never imports
time_rules, so it stays a pure function of its arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from apps.time_rules import engine as tr_engine
from apps.time_rules.categories import EMERGENCY as EMERGENCY  # re-exported: the engines'
from apps.time_rules.categories import INTERNAL as INTERNAL  # category names come from
from apps.time_rules.categories import OTHER as OTHER  # time_rules, never spelled again
from apps.time_rules.rules import TimeRules

if TYPE_CHECKING:
    from autocom.loader import Config
    from autocom.site.model import Site


class RightsView(Protocol):
    """What the forward and speed-dial engines read from a time_rules decision."""

    @property
    def verdict(self) -> str: ...  # "allow" | "deny" | "pin"

    @property
    def category(self) -> str | None: ...  # "internal", "mobile", "international"...

    @property
    def reason(self) -> str: ...

    @property
    def trace(self) -> Sequence[str]: ...  # "file:line ..." lines that decided

    @property
    def number(self) -> str | None: ...  # external number, line prefix removed


# (user extension, dialed number) -> that user's rights for that number, now.
RightsCheck = Callable[[str, str], RightsView]


def is_unclassified(decision: RightsView) -> bool:
    """No pattern of the numbering plan knows the number (time_rules' ``other``)."""
    return not decision.category or decision.category == OTHER


def rights_for(
    config: Config, when: datetime, purpose: Literal["call", "forward"] = "forward"
) -> RightsCheck:
    """A RightsCheck reading the time_rules rules of ``config`` at ``when``."""
    rules = config.rules.get("time_rules")
    if not isinstance(rules, TimeRules):
        raise LookupError(
            "forwards and speed dials need call rights: name a time_rules file under "
            "rules: in autocom.yaml"
        )
    return rights_of(rules, config.site, when, purpose)


def rights_of(
    rules: TimeRules, site: Site, when: datetime, purpose: Literal["call", "forward"]
) -> RightsCheck:
    """A RightsCheck over compiled time_rules rules (what hooks and tests use)."""

    def check(user: str, number: str) -> RightsView:
        decision: RightsView = tr_engine.decide(rules, site, user, number, when, purpose=purpose)
        return decision

    return check
