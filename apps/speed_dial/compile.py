"""speeddial.yaml, validated, each entry remembering its file:line."""

from __future__ import annotations

from pathlib import Path

from apps.speed_dial.rules import SpeedDialRules
from autocom.config import load_yaml, validate
from autocom.site.model import Site


def load_rules(path: Path | None, site: Site) -> SpeedDialRules:
    """Read and validate speeddial.yaml (None: the default codes, no collective entry);
    the checks against the site are apps.speed_dial.checks'."""
    if path is None:
        return SpeedDialRules()
    doc = load_yaml(path)
    rules = validate(SpeedDialRules, doc)
    rules.remember_lines(doc)
    return rules
