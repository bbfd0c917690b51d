"""The rights domain shared by features: who may call or forward to what, when.

- :mod:`~autocom.rights.patterns`: number patterns (Asterisk syntax, prefixes) and
  their specificity;
- :mod:`~autocom.rights.categories`: the category of a dialed number (emergency,
  internal, national, mobile, ..., other) and the French plan;
- :mod:`~autocom.rights.slots`: named time slots and public holidays;
- :mod:`~autocom.rights.rules`: the rights file (rights.yaml) and its compiled
  form :class:`TimeRules`;
- :mod:`~autocom.rights.decision`: the pure decision ``decide(rules, site,
  caller, dialed, when, purpose) -> RightsDecision``;
- :mod:`~autocom.rights.access`: "may X call or forward to Y now" as a
  ``RightsCheck`` for other features' engines;
- :mod:`~autocom.rights.pins` and :mod:`~autocom.rights.lockout`: PIN hashes and
  the pure PIN lockout rule.

The ``time_rules`` feature loads rights.yaml and serves the rights hooks;
every feature reads the compiled rules as ``config.rules["time_rules"]``.
"""

from __future__ import annotations

from autocom.rights.access import (
    RightsCheck,
    RightsView,
    is_unclassified,
    rights_for,
    rights_of,
)
from autocom.rights.categories import EMERGENCY, INTERNAL, OTHER, Classified
from autocom.rights.compile import load_rules
from autocom.rights.decision import Purpose, RightsDecision, VerdictT, classify, decide
from autocom.rights.rules import Assignment, TimeRules, assignment_of
from autocom.rights.slots import slot_is_active

__all__ = [
    "EMERGENCY",
    "INTERNAL",
    "OTHER",
    "Assignment",
    "Classified",
    "Purpose",
    "RightsCheck",
    "RightsDecision",
    "RightsView",
    "TimeRules",
    "VerdictT",
    "assignment_of",
    "classify",
    "decide",
    "is_unclassified",
    "load_rules",
    "rights_for",
    "rights_of",
    "slot_is_active",
]
