"""From the site and the rules to what the pure builder needs (SiteFacts)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apps.accounting.engine import SiteFacts, UserFacts
from apps.accounting.rules import AccountingRules
from autocom.site.model import Site


def site_facts(site: Site, rules: AccountingRules, timezone: str) -> SiteFacts:
    users = {
        u.extension: UserFacts(u.extension, u.display_name, u.department, u.cost_center)
        for u in site.users
    }
    devices = {dev: u.extension for u in site.users for dev in u.devices}
    trunks = frozenset(t for ctx in site.contexts for t in ctx.trunks)
    return SiteFacts(users, devices, trunks, ZoneInfo(rules.asterisk_timezone or timezone))
