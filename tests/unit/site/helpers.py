"""Build a Site from YAML text, keeping file:line sources (no file needed)."""

from __future__ import annotations

import textwrap

from autocom.config.model import validate
from autocom.config.yaml_source import parse_yaml
from autocom.site.model import Site


def site_from(text: str) -> Site:
    return validate(Site, parse_yaml(textwrap.dedent(text), "site.yaml"))


BASE = """
contexts:
  - {name: compta, users: 2001-2090, groups: 2091-2094, conferences: 2095-2099,
     include: [sortie]}
  - {name: rh, users: 3001-3090, groups: 3091-3099, include: [compta]}
  - name: sortie
    kind: outgoing
    line_prefix: "0"
    trunks: [trunk-a, trunk-b]
  - name: entrant
    kind: incoming
    dids:
      - {number: "0388000001", destination: "2001"}
      - {number: "0388000091", destination: "2091"}
users:
  - {extension: "2001", name: Dupont, first_name: Marie, context: compta,
     devices: [dupont-desk, dupont-soft]}
  - {extension: "2002", name: Durand, context: compta, devices: [durand-desk]}
  - {extension: "3001", name: Leroy, context: rh, devices: [leroy-desk]}
groups:
  - {extension: "2091", name: Accueil, context: compta, members: ["2001", "2002"]}
"""
