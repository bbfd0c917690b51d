"""The site's own users (site.yaml) as a directory source."""

from __future__ import annotations

from autocom.directory.memory import MemorySource
from autocom.directory.model import Entry, Number
from autocom.directory.numbers import NumberPlan
from autocom.site.model import Site


def site_entries(site: Site, plan: NumberPlan, name: str = "site") -> list[Entry]:
    out = []
    for user in site.users:
        numbers = [Number("extension", user.extension, plan.canonical(user.extension))]
        if user.mobile:
            numbers.append(Number("mobile", user.mobile, plan.canonical(user.mobile)))
        out.append(
            Entry(
                source=name,
                id=user.extension,
                name=user.name,
                first_name=user.first_name,
                numbers=tuple(numbers),
                department=user.department,
                title=user.title,
                email=user.email,
                uid=user.uid,
            )
        )
    return out


class SiteSource(MemorySource):
    def __init__(self, site: Site, plan: NumberPlan, name: str = "site") -> None:
        super().__init__(name, site_entries(site, plan, name), plan)
