"""filters.yaml, validated and checked against the site."""

from __future__ import annotations

from pathlib import Path

from apps.boss_secretary.checks import check_site
from apps.boss_secretary.rules import FilterRules
from autocom.config import ConfigError, load_yaml, validate
from autocom.site.model import Site


def load_rules(path: Path | None, site: Site) -> FilterRules:
    """Read and validate filters.yaml (None: no filter); site checks included."""
    if path is None:
        return FilterRules()
    doc = load_yaml(path)
    rules = validate(FilterRules, doc)
    rules.remember_lines(doc.file, doc.lines)
    issues = check_site(rules, site)
    if issues:
        raise ConfigError(issues)
    return rules
