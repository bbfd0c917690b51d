"""May X call or forward to Y now: the rights view other features' engines read.

An engine (forwards, speed dial) takes a ``RightsCheck``: a function
(user, number) -> decision, built once per request by :func:`rights_for` from
the rights decision (:mod:`autocom.rights.decision`) with ``purpose="forward"``
(or ``"call"``) and the time of the request.  The engine never reads the rule
file itself, so it stays a pure function of its arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from autocom.rights import decision
from autocom.rights.categories import OTHER
from autocom.rights.rules import TimeRules

if TYPE_CHECKING:
    from autocom.loader import Config
    from autocom.site.model import Site


class RightsView(Protocol):
    """What the forward and speed-dial engines read from a rights decision."""

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
    """No pattern of the numbering plan knows the number (category ``other``)."""
    return not decision.category or decision.category == OTHER


def rights_for(
    config: Config, when: datetime, purpose: Literal["call", "forward"] = "forward"
) -> RightsCheck:
    """A RightsCheck reading the call rights (rights.yaml) of ``config`` at ``when``."""
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
    """A RightsCheck over compiled rights rules (what hooks and tests use)."""

    def check(user: str, number: str) -> RightsView:
        found: RightsView = decision.decide(rules, site, user, number, when, purpose=purpose)
        return found

    return check
