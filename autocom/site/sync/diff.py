"""What a sync changes, and whether it may (pure: two sites in, a difference out)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from autocom.config.model import RuleModel
from autocom.site.model import Site

SHOWN = 20  # names listed per kind of change; the rest are counted


@dataclass(frozen=True)
class SiteDiff:
    users_added: tuple[str, ...] = ()  # extensions
    users_removed: tuple[str, ...] = ()
    users_changed: tuple[tuple[str, tuple[str, ...]], ...] = ()  # extension, fields
    devices_added: tuple[str, ...] = ()
    devices_removed: tuple[str, ...] = ()
    groups_added: tuple[str, ...] = ()
    groups_removed: tuple[str, ...] = ()
    groups_changed: tuple[str, ...] = ()
    other_changed: tuple[str, ...] = ()  # 'name', 'contexts'
    users_before: int = 0

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.users_added,
                self.users_removed,
                self.users_changed,
                self.devices_added,
                self.devices_removed,
                self.groups_added,
                self.groups_removed,
                self.groups_changed,
                self.other_changed,
            )
        )

    def lines(self) -> list[str]:
        """The difference as an admin reads it, at most SHOWN names per line."""
        out = []
        changed = [f"{ext} ({', '.join(f)})" for ext, f in self.users_changed]
        for label, items in (
            ("users added", self.users_added),
            ("users removed", self.users_removed),
            ("users changed", tuple(changed)),
            ("devices added", self.devices_added),
            ("devices removed", self.devices_removed),
            ("groups added", self.groups_added),
            ("groups removed", self.groups_removed),
            ("groups changed", self.groups_changed),
            ("also changed", self.other_changed),
        ):
            if items:
                shown = ", ".join(items[:SHOWN])
                more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
                out.append(f"{label} ({len(items)}): {shown}{more}")
        return out or ["no change"]


def _data(items: Iterable[RuleModel], key: str) -> dict[str, dict[str, Any]]:
    """Models as plain data by key (pydantic's == also compares where each was read)."""
    return {getattr(i, key): i.model_dump() for i in items}


def diff_sites(old: Site, new: Site) -> SiteDiff:
    old_users, new_users = _data(old.users, "extension"), _data(new.users, "extension")
    changed = []
    for ext in sorted(old_users.keys() & new_users.keys()):
        a, b = old_users[ext], new_users[ext]
        if a != b:
            changed.append((ext, tuple(k for k in a if a[k] != b[k])))
    old_devices = {d for u in old.users for d in u.devices}
    new_devices = {d for u in new.users for d in u.devices}
    old_groups, new_groups = _data(old.groups, "extension"), _data(new.groups, "extension")
    both_groups = old_groups.keys() & new_groups.keys()
    other = [
        label
        for label, a, b in (
            ("name", old.name, new.name),
            ("contexts", _data(old.contexts, "name"), _data(new.contexts, "name")),
        )
        if a != b
    ]
    return SiteDiff(
        users_added=tuple(sorted(new_users.keys() - old_users.keys())),
        users_removed=tuple(sorted(old_users.keys() - new_users.keys())),
        users_changed=tuple(changed),
        devices_added=tuple(sorted(new_devices - old_devices)),
        devices_removed=tuple(sorted(old_devices - new_devices)),
        groups_added=tuple(sorted(new_groups.keys() - old_groups.keys())),
        groups_removed=tuple(sorted(old_groups.keys() - new_groups.keys())),
        groups_changed=tuple(sorted(e for e in both_groups if old_groups[e] != new_groups[e])),
        other_changed=tuple(other),
        users_before=len(old_users),
    )


def removal_refused(diff: SiteDiff, max_share: float) -> str | None:
    """Why the change removes too many users (more than ``max_share`` of them), or None."""
    if not diff.users_before or not diff.users_removed:
        return None
    share = len(diff.users_removed) / diff.users_before
    if share <= max_share:
        return None
    return (
        f"the sync would remove {len(diff.users_removed)} of {diff.users_before} users "
        f"({share:.0%}, more than max_removed_share {max_share:.0%}): check the sources, "
        "then run `autocom site sync --force` if it is right"
    )
