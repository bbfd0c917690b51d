"""The numbering plan's classification, as speed dials need it (from time_rules)."""

from __future__ import annotations

from apps.forwards.rights import OTHER
from apps.speed_dial.engine import Classify
from apps.time_rules.engine import classify as tr_classify
from apps.time_rules.rules import TimeRules
from autocom.loader import Config


def classifier(config: Config) -> Classify | None:
    """number -> category (None: unclassifiable), or None without time_rules."""
    rules = config.rules.get("time_rules")
    if not isinstance(rules, TimeRules):
        return None
    return classifier_of(rules)


def classifier_of(rules: TimeRules) -> Classify:
    def classify(number: str) -> str | None:
        category = tr_classify(rules, number).category
        return None if category == OTHER else category

    return classify
