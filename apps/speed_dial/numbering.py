"""The numbering plan's classification, as speed dials need it (from the call rights)."""

from __future__ import annotations

from apps.speed_dial.engine import Classify
from autocom.loader import Config
from autocom.rights import OTHER, TimeRules
from autocom.rights import classify as tr_classify


def classifier(config: Config) -> Classify | None:
    """number -> category (None: unclassifiable), or None without call rights."""
    rules = config.rules.get("time_rules")
    if not isinstance(rules, TimeRules):
        return None
    return classifier_of(rules)


def classifier_of(rules: TimeRules) -> Classify:
    def classify(number: str) -> str | None:
        category = tr_classify(rules, number).category
        return None if category == OTHER else category

    return classify
