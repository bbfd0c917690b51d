"""From the config to what the pure builder needs (SiteFacts): the site's users and
devices, and the rights domain's answers (category of a number, class of a user)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from apps.accounting.engine import SiteFacts, UserFacts
from apps.accounting.rules import AccountingRules
from autocom.loader import Config
from autocom.rights import TimeRules, assignment_of
from autocom.site.model import Site


def site_facts(config: Config, rules: AccountingRules) -> SiteFacts:
    site = config.site
    users = {
        u.extension: UserFacts(u.extension, u.display_name, u.department, u.cost_center)
        for u in site.users
    }
    devices = {dev: u.extension for u in site.users for dev in u.devices}
    trunks = frozenset(t for ctx in site.contexts for t in ctx.trunks)
    zone = ZoneInfo(rules.asterisk_timezone or config.settings.timezone)
    rights = config.rules.get("time_rules")
    if not isinstance(rights, TimeRules):
        return SiteFacts(users, devices, trunks, zone)
    return SiteFacts(users, devices, trunks, zone, _category(rights), _rights_class(rights, site))


def _category(rights: TimeRules) -> Callable[[str], str]:
    def category(number: str) -> str:
        """The category of a number as sent to a trunk (no line prefix)."""
        return rights.categories.classify(number, "").category

    return category


def _rights_class(rights: TimeRules, site: Site) -> Callable[[str], str]:
    def rights_class(extension: str) -> str:
        found = assignment_of(rights, site, extension)
        return found.class_name if found else ""

    return rights_class
