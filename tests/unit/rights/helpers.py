"""Build a site and compiled rights rules from YAML text (no files, no I/O)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from autocom.config import parse_yaml, validate
from autocom.rights.compile import compile_rules
from autocom.rights.rules import RightsFile, TimeRules
from autocom.site.model import Site

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")

SITE = """
contexts:
  - {name: staff, users: ["2000-2999"], groups: ["6000-6099"]}
  - {name: lab, users: ["4000-4099"]}
  - {name: to-extern, kind: outgoing, line_prefix: "0", trunks: [t1]}
users:
  - {extension: "2001", name: Boss, context: staff}
  - {extension: "2002", name: Prof, context: staff}
  - {extension: "2003", name: Both, context: staff}
  - {extension: "2101", name: Guard, context: staff, department: Security}
  - {extension: "2150", name: Ranged, context: staff}
  - {extension: "2155", name: Narrow, context: staff}
  - {extension: "4001", name: Student, context: lab}
groups:
  - {extension: "6000", name: securite, context: staff, members: ["2101", "2003"]}
  - {extension: "6001", name: accueil, context: staff, members: ["2003"]}
"""


def site(text: str = SITE) -> Site:
    return validate(Site, parse_yaml(text, "site.yaml"))


def rules(text: str, the_site: Site | None = None, file: str = "rights.yaml") -> TimeRules:
    doc = parse_yaml(text, file)
    return compile_rules(validate(RightsFile, doc), doc, the_site or site())


def paris(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)
