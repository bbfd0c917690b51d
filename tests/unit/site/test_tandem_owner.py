"""Forwards are shared by a tandem: a forward code or a 302 from a numberless
secondary set acts for the main user; a set with its own number keeps its own."""

from __future__ import annotations

from autocom.site.channels import acting_user
from tests.unit.site.helpers import BASE, site_from

TANDEM = """
tandems:
  - {main: "2001", secondaries: [{device: dupont-dect}, {user: "2002"}]}
"""


def test_forward_codes_from_a_secondary_set_change_the_main_users_forwards() -> None:
    site = site_from(BASE + TANDEM)
    assert acting_user(site, "PJSIP/dupont-dect-0000002a", "9999") == "2001"
    assert acting_user(site, "PJSIP/durand-desk-0000002b", "9999") == "2002"  # its own number
    assert acting_user(site, "Local/2001_1@autocom-site-tandem-0000002c;2", "2001") == "2001"
