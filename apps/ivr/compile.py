"""ivr.yaml, validated (menus, day/night services)."""

from __future__ import annotations

from pathlib import Path

from apps.ivr.rules import IvrRules
from autocom.config import load_yaml, validate
from autocom.site.model import Site


def load_rules(path: Path | None, site: Site) -> IvrRules:
    """Read and validate ivr.yaml (None: no menu); the checks against the site and
    the time slots are apps.ivr.checks'."""
    if path is None:
        return IvrRules()
    return validate(IvrRules, load_yaml(path))
