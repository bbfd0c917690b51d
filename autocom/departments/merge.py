"""The site with the departments' hunt-group members (pure)."""

from __future__ import annotations

from autocom.departments.compiled import Departments
from autocom.site.model import Group, Site


def with_group_members(site: Site, deps: Departments) -> Site:
    """``site`` with each group a fragment sets given that fragment's members (the
    fragments were checked first); the same object when no fragment sets a group."""
    members = {s.key: s.value for s in deps.of("group")}
    if not members:
        return site
    groups = tuple(_members(g, members.get(g.extension)) for g in site.groups)
    # model_construct: a new Site, its indexes (cached properties) built afresh
    fields = {name: getattr(site, name) for name in Site.model_fields}
    fields["groups"] = groups
    return Site.model_construct(**fields)


def _members(group: Group, members: tuple[str, ...] | None) -> Group:
    if members is None or members == group.members:
        return group
    return group.model_copy(update={"members": members})
