"""Filter on/off per boss in the state store (namespace "filters"), and the BLF lamp.

The store is shared by every autocom server of the site and kept across
restarts.  A boss with no key takes the filter's ``default`` from the rule file.
The lamp of boss B is the Asterisk device ``Custom:bsfilter-B``: INUSE when the
filter is on, NOT_INUSE when it is off.

Namespace "filter-vips": the VIP numbers secretaries added to a boss's list in the
portal (see ``vips.py``), one key per boss, the numbers comma-separated.  The rule
file's VIP entries are the admin's and never stored here.
"""

from __future__ import annotations

from collections.abc import Mapping

from apps.boss_secretary import vips
from apps.boss_secretary.rules import FilterRules
from autocom.store.base import StateStore

NAMESPACE = "filters"
ON, OFF = "on", "off"


def lamp_device(boss: str) -> str:
    return f"Custom:bsfilter-{boss}"


def lamp_state(on: bool) -> str:
    return "INUSE" if on else "NOT_INUSE"


def parse(value: str | None) -> bool | None:
    if value == ON:
        return True
    if value == OFF:
        return False
    return None


async def get_state(store: StateStore, boss: str) -> bool | None:
    """True/False as stored, None when nothing is stored for ``boss``."""
    return parse(await store.get(NAMESPACE, boss))


async def set_state(store: StateStore, boss: str, on: bool) -> None:
    await store.set(NAMESPACE, boss, ON if on else OFF)


VIP_NAMESPACE = "filter-vips"  # boss -> the numbers a secretary added, comma-separated


def parse_vips(value: str | None) -> tuple[str, ...]:
    """The stored overlay of one boss; anything that is not a number is dropped."""
    return tuple(v for v in (value or "").split(",") if vips.NUMBER_RE.fullmatch(v))


async def get_vips(store: StateStore, boss: str) -> tuple[str, ...]:
    """The VIP numbers secretaries added for ``boss`` (StoreError raised as is)."""
    return parse_vips(await store.get(VIP_NAMESPACE, boss))


async def set_vips(store: StateStore, boss: str, numbers: tuple[str, ...]) -> None:
    """Write the whole overlay of ``boss`` (none: the key is deleted)."""
    if numbers:
        await store.set(VIP_NAMESPACE, boss, ",".join(numbers))
    else:
        await store.delete(VIP_NAMESPACE, boss)


async def all_states(store: StateStore) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for key, value in (await store.items(NAMESPACE)).items():
        parsed = parse(value)
        if parsed is not None:
            out[key] = parsed
    return out


def effective(rules: FilterRules, stored: Mapping[str, bool]) -> dict[str, bool]:
    """Every boss of the rule file -> on/off, the stored state or the filter's default."""
    return {
        b.extension: stored.get(b.extension, f.default) for f in rules.filters for b in f.bosses
    }
