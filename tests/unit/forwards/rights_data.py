"""A small site and rights file, compiled by the real time_rules, for forward and
speed-dial engine tests."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from autocom.config import parse_yaml, validate
from autocom.rights.access import RightsCheck, rights_of
from autocom.rights.compile import compile_rules
from autocom.rights.rules import RightsFile, TimeRules
from autocom.site.model import Site

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime(2026, 11, 24, 10, 0, tzinfo=PARIS)  # a Tuesday, 10:00
NIGHT = datetime(2026, 11, 24, 22, 0, tzinfo=PARIS)  # the same Tuesday, 22:00

SITE_YAML = """
contexts:
  - name: staff
    users: ["2001-2049"]
    include: [out]
  - name: lab
    users: ["2050-2099"]
    include: [staff]
  - name: out
    kind: outgoing
    trunks: [trunk-a, trunk-b]
users:
  - {extension: "2001", name: Boss, context: staff, devices: [d2001]}
  - {extension: "2002", name: Staff, context: staff, devices: [d2002, soft2002]}
  - {extension: "2003", name: Staff3, context: staff, devices: [d2003]}
  - {extension: "2004", name: Staff4, context: staff, devices: [d2004]}
  - {extension: "2051", name: Lab, context: lab, devices: [d2051]}
"""

RIGHTS_YAML = """
timezone: Europe/Paris
slots:
  day:
    weekdays: mon-fri
    hours: "08:00-19:00"
classes:
  staff:
    internal: allow
    national: allow
    mobile: allow
    international: {day: allow, default: pin}
    default: deny
    forward:
      national: allow
      mobile: {day: allow, default: deny}
      default: deny
  direction:
    internal: allow
    national: allow
    mobile: allow
    international: allow
    default: deny
    forward:
      national: allow
      mobile: allow
      international: {day: allow, default: pin}
      default: deny
  restricted:
    internal: allow
    national: {day: allow, default: deny}
    default: deny
assign:
  extensions:
    "2001": direction
  contexts:
    staff: staff
    lab: restricted
"""


def site(text: str = SITE_YAML) -> Site:
    return validate(Site, parse_yaml(text, "site.yaml"))


def time_rules(the_site: Site, text: str = RIGHTS_YAML) -> TimeRules:
    doc = parse_yaml(text, "rights.yaml")
    return compile_rules(validate(RightsFile, doc), doc, the_site)


SITE = site()
RULES = time_rules(SITE)


def rights(when: datetime, purpose: Literal["call", "forward"] = "forward") -> RightsCheck:
    return rights_of(RULES, SITE, when, purpose)
