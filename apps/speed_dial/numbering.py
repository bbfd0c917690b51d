"""The numbering plan's classification, as speed dials need it (from time_rules)."""

from __future__ import annotations

from typing import Any

from apps.forwards.rights import UNKNOWN
from apps.speed_dial.engine import Classify
from autocom.loader import Config


def classifier(config: Config) -> Classify | None:
    """number -> category (None: unclassifiable), or None without time_rules."""
    rules: Any = config.rules.get("time_rules")
    if rules is None:
        return None
    table = rules.categories
    prefix: str = rules.line_prefix

    def classify(number: str) -> str | None:
        category: str = table.classify(number, prefix).category
        return None if category.lower() in UNKNOWN else category

    return classify
