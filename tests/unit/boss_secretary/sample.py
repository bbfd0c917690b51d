"""A small site and filters file shared by the boss/secretary unit tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apps.boss_secretary.compile import load_rules as load_filter_rules
from apps.boss_secretary.rules import FilterRules
from autocom.config import parse_yaml, validate
from autocom.site.model import Site

PARIS = ZoneInfo("Europe/Paris")
MONDAY_10H = datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)

SITE_YAML = """\
name: test
contexts:
  - name: direction
    users: 2001-2090
    groups: 2091-2099
users:
  - {extension: "2001", name: Dupont, first_name: Marie, context: direction,
     devices: [desk-2001, soft-2001], voicemail: "2001"}
  - {extension: "2002", name: Martin, first_name: Anne, context: direction, devices: [desk-2002]}
  - {extension: "2003", name: Bernard, first_name: Luc, context: direction,
     devices: [desk-2003, soft-2003]}
  - {extension: "2004", name: Petit, first_name: Paul, context: direction, devices: [desk-2004]}
  - {extension: "2005", name: Roux, first_name: Eve, context: direction, devices: [desk-2005]}
  - {extension: "2006", name: Moreau, first_name: Jean, context: direction, devices: [desk-2006]}
  - {extension: "2007", name: Simon, first_name: Lea, context: direction, devices: [desk-2007]}
  - {extension: "2010", name: Laurent, first_name: Max, context: direction, devices: [desk-2010]}
  - {extension: "2020", name: Nodev, context: direction}
groups:
  - {extension: "2091", name: Secretariat, context: direction, members: ["2006", "2007"],
     strategy: ringall, ring_time: 25}
  - {extension: "2092", name: Pool, context: direction, members: ["2006", "2007"],
     strategy: linear, ring_time: 10}
"""


def site(text: str = SITE_YAML) -> Site:
    return validate(Site, parse_yaml(text, "site.yaml"))


def write_rules(tmp_path: object, text: str, the_site: Site | None = None) -> FilterRules:
    """Load ``text`` as filters.yaml (through the feature's loader, checks included)."""
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    path = tmp_path / "filters.yaml"
    path.write_text(text, encoding="utf-8")
    return load_filter_rules(path, the_site or site())


def rules(text: str) -> FilterRules:
    """Validate ``text`` as filters.yaml without the site checks."""
    doc = parse_yaml(text, "filters.yaml")
    r = validate(FilterRules, doc)
    r.remember_lines(doc.file, doc.lines)
    return r


def one_filter(**fields: str) -> str:
    """filters.yaml with one filter: boss 2001, secretaries 2002 and 2003, then ``fields``."""
    base = {
        "name": "direction",
        "bosses": '[{extension: "2001", vip: ["0145678900", "_06XXXXXXXX", "2010"]}]',
        "secretaries": '["2002", "2003"]',
        "mode": "secretaries_first_serial",
        "boss_ring_time": "20",
        "secretary_ring_time": "15",
    }
    base.update(fields)
    lines = ["filters:"]
    first = True
    for key, value in base.items():
        lines.append(f"  {'- ' if first else '  '}{key}: {value}")
        first = False
    return "\n".join(lines) + "\n"
