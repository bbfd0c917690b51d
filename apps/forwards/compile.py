"""forwards.yaml, validated, with its feature codes checked against the site."""

from __future__ import annotations

from pathlib import Path

from apps.forwards.rules import ForwardsRules
from autocom.config import ConfigError, ConfigIssue, load_yaml, validate
from autocom.site.model import Site
from autocom.site.patterns import shadow_issues

NO_FILE = "forwards (no rule file under rules:, the default codes)"


def load_rules(path: Path | None, site: Site) -> ForwardsRules:
    """Read and validate forwards.yaml (None: the default codes)."""
    if path is None:
        rules = ForwardsRules()
        file, lines = NO_FILE, None
    else:
        doc = load_yaml(path)
        rules = validate(ForwardsRules, doc)
        rules.remember_code_lines(doc)
        file, lines = str(path), doc
    issues: list[ConfigIssue] = []
    for name, exten in rules.codes.extensions():
        line = lines.line_of(("codes", name)) if lines is not None else None
        issues += shadow_issues(site, exten, file, line, label=f"forward code {name}")
    if issues:
        raise ConfigError(issues)
    return rules
