"""VIP numbers a secretary adds to a boss's list in the portal: pure checks and edits.

The rule file's VIP entries (numbers, extensions, patterns) are the admin's and are
never changed here.  A secretary adds plain numbers on top of them (the overlay,
kept in the state store by ``state.py``): what she typed, without the spaces, dots
and dashes people write between digit groups, must be digits with an optional
leading ``+``, 2 to 20 of them; a boss has at most ``MAX_PER_BOSS`` added numbers.
The caller's number must equal an added number exactly, as the caller ID arrives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apps.boss_secretary.patterns import matches

NUMBER_RE = re.compile(r"\+?[0-9]{2,20}")
MAX_PER_BOSS = 50
MAX_SHOWN = 40  # characters of a refused input repeated back to the person
_SEPARATORS = str.maketrans("", "", " .-\u00a0\t")


@dataclass(frozen=True)
class Edit:
    """An edit of a boss's overlay: the new list (None: refused), why, in words and as
    a code the portal translates (``vip_added``, ``vip_bad_number``, ...)."""

    numbers: tuple[str, ...] | None
    code: str
    reason: str
    number: str  # the number as kept, or what was typed (shortened) when it is not one


def number_of(typed: str) -> str | None:
    """The number typed, without separators; None when it is not a number."""
    if len(typed) > 2 * MAX_SHOWN:
        return None
    number = typed.strip().translate(_SEPARATORS)
    return number if NUMBER_RE.fullmatch(number) else None


def bad_number(typed: str) -> Edit:
    shown = typed.strip()[:MAX_SHOWN]
    return Edit(
        None,
        "vip_bad_number",
        f"{shown!r} is not a phone number: write digits, with a leading + if needed"
        " (2 to 20 digits), e.g. 0612345678",
        shown,
    )


def edit(current: tuple[str, ...], number: str, add: bool, file_vip: tuple[str, ...]) -> Edit:
    """Add ``number`` to (or remove it from) ``current``, the overlay of one boss whose
    rule-file VIP entries are ``file_vip``."""
    if not add:
        if number not in current:
            return Edit(
                None,
                "vip_not_added",
                f"{number} is not among the numbers added by a secretary"
                " (filters.yaml's VIP list is changed by its admin only)",
                number,
            )
        return Edit(
            tuple(n for n in current if n != number), "vip_removed", f"VIP {number} removed", number
        )
    if number in current:
        return Edit(None, "vip_already", f"{number} is already in the VIP list", number)
    entry = next((e for e in file_vip if matches(e, number)), None)
    if entry is not None:
        why = f"{number} is already VIP in filters.yaml ({entry})"
        return Edit(None, "vip_in_file", why, number)
    if len(current) >= MAX_PER_BOSS:
        return Edit(
            None,
            "vip_full",
            f"the VIP list already has {MAX_PER_BOSS} added numbers: remove one first",
            number,
        )
    return Edit((*current, number), "vip_added", f"VIP {number} added", number)
